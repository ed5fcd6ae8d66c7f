"""Body limits count the bytes that arrive (chunked bodies included), and a refusal always reaches the client.

A server with small limits stands in for the real ones (32 MiB of JSON, 512 MiB of upload), so the bodies stay small.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockai.api.app import build_app, services_of
from mockai.server import ServerThread
from mockai.settings import Settings
from tests.conftest import API_KEY, start_server

UPLOAD_LIMIT = 3_000_000
JSON_LIMIT = 100_000
LINE = b'{"prompt": "Hi ->", "completion": " there"}\n'
BLOCK = LINE * 1000
BOUNDARY = "mockai-test-boundary"


@pytest.fixture(scope="module")
def small_limits() -> Iterator[ServerThread]:
    running = start_server(max_upload_bytes=UPLOAD_LIMIT, max_json_bytes=JSON_LIMIT)
    yield running
    running.stop()


@pytest.fixture
def http(small_limits: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=small_limits.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        yield client


def chunked_upload(content_bytes: int) -> Iterator[bytes]:
    """A multipart `POST /v1/files` of a JSONL file of about `content_bytes`, sent without a Content-Length."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="train.jsonl"\r\n'
        "Content-Type: application/jsonl\r\n\r\n"
    ).encode()
    for _ in range(content_bytes // len(BLOCK)):
        yield BLOCK
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def spooled_files() -> list[str]:
    """Temporary files this process holds open (the multipart parser spools uploads past 1 MB to them)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(("/tmp/", "/var/tmp/")) and "mockai-" not in target:
            found.append(target)
    return found


def file_sizes(http: httpx.Client) -> list[int]:
    return [entry["bytes"] for entry in http.get("/v1/files").json()["data"]]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="reads open files from /proc")
def test_a_chunked_upload_past_the_limit_is_413_and_leaves_nothing_behind(http: httpx.Client) -> None:
    # Only Content-Length was checked once: a chunked 530 MiB upload was accepted and stored, its spool unbounded.
    before, spooled = file_sizes(http), spooled_files()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = http.post("/v1/files", content=chunked_upload(4 * UPLOAD_LIMIT), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert response.headers["connection"] == "close"  # the rest is not read: the connection ends with the answer
    assert file_sizes(http) == before
    assert spooled_files() == spooled


def test_a_chunked_upload_within_the_limit_is_stored_whole(http: httpx.Client) -> None:
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = http.post("/v1/files", content=chunked_upload(UPLOAD_LIMIT // 2), headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == UPLOAD_LIMIT // 2 // len(BLOCK) * len(BLOCK)


def test_a_chunked_json_body_past_its_limit_is_413(http: httpx.Client) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "'
        for _ in range(2 * JSON_LIMIT // 1000):
            yield b"x" * 1000
        yield b'"}]}'

    response = http.post("/v1/chat/completions", content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert http.get("/v1/models").status_code == 200


def raw_exchange(server: ServerThread, requests: list[bytes]) -> list[bytes]:
    """Send each whole request on one connection before reading its answer (as most clients do); the answers."""
    host, port = server.base_url.removeprefix("http://").split(":")
    answers = []
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        reader = connection.makefile("rb")
        for request in requests:
            connection.sendall(request)
            status = reader.readline()
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            answers.append(status + reader.read(length))
    return answers


def multipart_request(path: str, fields: dict[str, bytes]) -> bytes:
    body = (
        b"".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
            for name, value in fields.items()
        )
        + f"--{BOUNDARY}--\r\n".encode()
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {API_KEY}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def test_a_form_field_over_1_mb_gets_its_400_and_the_connection_stays_usable(small_limits: ServerThread) -> None:
    # The refusal comes after 1 MB of a 2.5 MB body: the rest is read and dropped, so the client, still sending,
    # is never reset, reads the 400, and can send its next request on the same connection.
    oversized = multipart_request("/v1/audio/transcriptions", {"model": b"whisper-1", "prompt": b"x" * 2_500_000})
    models = f"GET /v1/models HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {API_KEY}\r\n\r\n".encode()
    refused, listed = raw_exchange(small_limits, [oversized, models])
    assert refused.startswith(b"HTTP/1.1 400")
    assert b"Part exceeded maximum size of 1024KB." in refused
    assert listed.startswith(b"HTTP/1.1 200")


def drive(app: Any, path: str, chunks: list[bytes], content_type: str) -> list[str]:
    """Run one request through the ASGI app; the order in which body chunks were read and the answer started."""
    seen: list[str] = []
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        body = pending.pop(0)
        seen.append(f"chunk {len(chunks) - len(pending)}")
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen.append(f"answer {message['status']}")

    headers = [(b"content-type", content_type.encode()), (b"authorization", f"Bearer {API_KEY}".encode())]
    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": path, "raw_path": path.encode(),
             "query_string": b"", "headers": headers, "scheme": "http", "server": ("test", 80), "client": None,
             "root_path": ""}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return seen


def test_a_refusal_mid_body_is_sent_only_after_the_whole_body_was_read() -> None:
    # Answering at the first megabyte left the client sending into a connection the server would close (a reset
    # that can swallow the answer); now the answer waits for the body's end, within the upload limit.
    app = build_app(Settings(port=0, time_scale=0.0, max_upload_bytes=UPLOAD_LIMIT))
    field = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n'.encode()
    chunks = [field] + [b"x" * 500_000] * 4 + [f"\r\n--{BOUNDARY}--\r\n".encode()]
    order = drive(app, "/v1/audio/transcriptions", chunks, f"multipart/form-data; boundary={BOUNDARY}")
    assert order == [f"chunk {n}" for n in range(1, len(chunks) + 1)] + ["answer 400"]
    services_of(app).close()


def test_a_multipart_body_cut_before_its_closing_boundary_is_a_400_and_leaves_no_spool(http: httpx.Client) -> None:
    # The parser accepted a cut body, Starlette dropped the unfinished file part and left its spooled temporary
    # file open (a ResourceWarning at garbage collection), and the answer blamed a missing 'file'.
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n'
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = http.post("/v1/audio/transcriptions", content=head + b"\x00" * 2_000_000, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "Invalid multipart form data: the body ends before its closing boundary."
    gc.collect()  # an unclosed spool would warn here, and warnings are errors in this suite
