"""`/v1/uploads` through the official SDK: parts in, one File out, like any uploaded file; cancel and expiry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

TRAINING = b"".join(json.dumps({"prompt": f"Say {i} ->", "completion": f" {i}\n"}).encode() + b"\n" for i in range(50))


@pytest.fixture(scope="module")
def uploads_server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def client(uploads_server: ServerThread, response_guard: ResponseGuard) -> Any:
    return response_guard.openai(uploads_server.base_url, api_key=API_KEY, organization="org-uploads")


@pytest.fixture
def http(uploads_server: ServerThread, response_guard: ResponseGuard) -> httpx.Client:
    return response_guard.http(
        uploads_server.base_url, {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": "org-uploads"}
    )


def advance(http: httpx.Client, seconds: float) -> None:
    http.post("/_mockai/clock/advance", json={"seconds": seconds})


def test_parts_complete_into_a_file_with_the_bytes_in_the_named_order(client: Any, http: httpx.Client) -> None:
    upload = client.uploads.create(
        bytes=len(TRAINING), filename="train.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    assert (upload.status, upload.expires_at, upload.file) == ("pending", upload.created_at + 3600, None)
    middle = len(TRAINING) // 2
    second = client.uploads.parts.create(upload.id, data=TRAINING[middle:])
    first = client.uploads.parts.create(upload.id, data=TRAINING[:middle])
    assert (first.object, first.upload_id) == ("upload.part", upload.id)
    md5 = hashlib.md5(TRAINING).hexdigest()
    done = client.uploads.complete(upload.id, part_ids=[first.id, second.id], md5=md5)
    assert (done.status, done.file.filename, done.file.bytes, done.file.purpose) == (
        "completed",
        "train.jsonl",
        len(TRAINING),
        "fine-tune",
    )
    assert client.files.content(done.file.id).content == TRAINING
    advance(http, 10)
    assert client.files.retrieve(done.file.id).status == "processed"  # validated like any fine-tuning file


def test_the_sdk_uploads_a_file_in_chunks(client: Any) -> None:
    data = bytes(range(256)) * 40
    done = client.uploads.upload_file_chunked(
        file=data,
        filename="blob.bin",
        bytes=len(data),
        mime_type="application/octet-stream",
        purpose="assistants",
        part_size=1000,
    )
    assert done.status == "completed" and client.files.content(done.file.id).content == data


def test_a_bad_training_file_made_by_upload_ends_in_error(client: Any, http: httpx.Client) -> None:
    bad = TRAINING + b'{"prompt": "no completion"}\n'
    upload = client.uploads.create(bytes=len(bad), filename="t.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part = client.uploads.parts.create(upload.id, data=bad)
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    advance(http, 10)
    assert client.files.retrieve(done.file.id).status_details.endswith("Missing `completion` key on line 51.")


def test_a_cancelled_upload_takes_no_more_parts(client: Any) -> None:
    upload = client.uploads.create(bytes=3, filename="a.txt", mime_type="text/plain", purpose="assistants")
    assert client.uploads.cancel(upload.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="only a pending Upload can be changed"):
        client.uploads.parts.create(upload.id, data=b"abc")


def test_an_upload_expires_an_hour_after_creation(client: Any, http: httpx.Client) -> None:
    upload = client.uploads.create(bytes=3, filename="a.txt", mime_type="text/plain", purpose="assistants")
    part = client.uploads.parts.create(upload.id, data=b"abc")
    advance(http, 3600)
    with pytest.raises(openai.BadRequestError) as refused:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert "'expired'" in refused.value.message


def test_the_file_keeps_its_own_expiry(client: Any) -> None:
    upload = client.uploads.create(
        bytes=3,
        filename="a.txt",
        mime_type="text/plain",
        purpose="assistants",
        expires_after={"anchor": "created_at", "seconds": 7200},
    )
    part = client.uploads.parts.create(upload.id, data=b"abc")
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file.expires_at == done.file.created_at + 7200


def _pending(http: httpx.Client, size: int = 3, purpose: str = "assistants") -> str:
    body = {"bytes": size, "filename": "a.txt", "mime_type": "text/plain", "purpose": purpose}
    return str(http.post("/v1/uploads", json=body).json()["id"])


def _part(http: httpx.Client, upload_id: str, data: bytes) -> str:
    return str(http.post(f"/v1/uploads/{upload_id}/parts", files={"data": ("blob", data)}).json()["id"])


@pytest.mark.parametrize(
    ("case", "status", "param", "code"),
    [
        ("too many bytes", 400, "bytes", "invalid_value"),
        ("jsonl purpose, text/plain", 400, "mime_type", "invalid_value"),
        ("unknown purpose", 400, "purpose", "invalid_value"),
        ("no filename", 400, "filename", "missing_required_parameter"),
        ("parts short of bytes", 400, "part_ids", "invalid_value"),
        ("another upload's part", 400, "part_ids", "invalid_value"),
        ("a part named twice", 400, "part_ids", "invalid_value"),
        ("wrong md5", 400, "md5", "invalid_value"),
        ("unknown upload", 404, "upload_id", None),
        ("complete twice", 400, "upload_id", "invalid_upload_status"),
        ("data as text", 400, "data", "invalid_value"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_requests_get_an_error_naming_the_field(
    http: httpx.Client, case: str, status: int, param: str, code: str | None
) -> None:
    upload_id = _pending(http)
    if case == "too many bytes":
        response = http.post(
            "/v1/uploads", json={"bytes": 9 * 1024**3, "filename": "a", "mime_type": "a/b", "purpose": "batch"}
        )
    elif case == "jsonl purpose, text/plain":
        response = http.post(
            "/v1/uploads", json={"bytes": 3, "filename": "a", "mime_type": "text/plain", "purpose": "batch"}
        )
    elif case == "unknown purpose":
        response = http.post("/v1/uploads", json={"bytes": 3, "filename": "a", "mime_type": "a/b", "purpose": "x"})
    elif case == "no filename":
        response = http.post("/v1/uploads", json={"bytes": 3, "mime_type": "a/b", "purpose": "assistants"})
    elif case == "parts short of bytes":
        response = http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [_part(http, upload_id, b"ab")]})
    elif case == "another upload's part":
        other = _part(http, _pending(http), b"abc")
        response = http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [other]})
    elif case == "a part named twice":
        part = _part(http, upload_id, b"a")
        response = http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [part, part, part]})
    elif case == "wrong md5":
        part = _part(http, upload_id, b"abc")
        response = http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [part], "md5": "0" * 32})
    elif case == "unknown upload":
        response = http.post("/v1/uploads/upload_nope/cancel")
    elif case == "complete twice":
        part = _part(http, upload_id, b"abc")
        http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [part]})
        response = http.post(f"/v1/uploads/{upload_id}/complete", json={"part_ids": [part]})
    else:
        response = http.post(f"/v1/uploads/{upload_id}/parts", files={"data": (None, b"abc")})
    error = response.json()["error"]
    assert (response.status_code, error["type"], error["param"], error["code"]) == (
        status,
        "invalid_request_error",
        param,
        code,
    )
