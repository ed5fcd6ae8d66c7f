"""`/v1/files` through the official SDK (strict validation) and raw HTTP: bytes, visibility, limits, concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

TRAIN = b'{"prompt": "Hi ->", "completion": " there\\n"}\n' * 3


@pytest.fixture(scope="module")
def files_server() -> Iterator[ServerThread]:
    running = start_server(storage_limit_bytes=2_000_000)
    yield running
    running.stop()


@pytest.fixture
def http(files_server: ServerThread, response_guard: ResponseGuard) -> httpx.Client:
    return response_guard.http(files_server.base_url, {"Authorization": f"Bearer {API_KEY}"})


def sdk(server: ServerThread, guard: ResponseGuard, organization: str | None = None) -> Any:
    return guard.openai(server.base_url, api_key=API_KEY, organization=organization)


def test_a_file_with_an_expiry_is_gone_once_world_time_passes_it(
    files_server: ServerThread, http: httpx.Client, response_guard: ResponseGuard
) -> None:
    # The SDK sends the policy as form fields `expires_after[anchor]` and `expires_after[seconds]`.
    client = sdk(files_server, response_guard, "org-expiry")
    expires_after = {"anchor": "created_at", "seconds": 3600}
    created = client.files.create(file=("notes.txt", b"short-lived"), purpose="assistants", expires_after=expires_after)
    assert created.expires_at == created.created_at + 3600
    kept = client.files.create(file=("kept.txt", b"kept"), purpose="assistants")
    assert kept.expires_at is None

    http.post("/_mockai/clock/advance", json={"seconds": 3599})
    assert client.files.retrieve(created.id).expires_at == created.expires_at
    http.post("/_mockai/clock/advance", json={"seconds": 1})
    assert [f.id for f in client.files.list()] == [kept.id]
    with pytest.raises(openai.NotFoundError, match=f"No such File object: {created.id}"):
        client.files.retrieve(created.id)


def test_batch_files_expire_after_30_days_by_default(files_server: ServerThread, response_guard: ResponseGuard) -> None:
    client = sdk(files_server, response_guard, "org-batch-expiry")
    created = client.files.create(file=("batch.jsonl", TRAIN), purpose="batch")
    assert created.expires_at == created.created_at + 30 * 24 * 3600


@pytest.mark.parametrize(
    ("fields", "param", "code"),
    [
        ({"expires_after[anchor]": "created_at", "expires_after[seconds]": "soon"}, "expires_after.seconds",
         "invalid_type"),
        ({"expires_after[anchor]": "created_at", "expires_after[seconds]": "60"}, "expires_after.seconds",
         "integer_below_min_value"),
        ({"expires_after[seconds]": "3600"}, "expires_after.anchor", "missing_required_parameter"),
    ],
    ids=["seconds not a number", "seconds below an hour", "no anchor"],
)  # fmt: skip
def test_an_expiry_policy_is_validated_field_by_field(
    http: httpx.Client, fields: dict[str, str], param: str, code: str
) -> None:
    response = http.post("/v1/files", files={"file": ("a.jsonl", TRAIN)}, data={"purpose": "batch", **fields})
    error = response.json()["error"]
    assert (response.status_code, error["param"], error["code"]) == (400, param, code)


def test_the_sdk_uploads_lists_downloads_and_deletes(
    files_server: ServerThread, http: httpx.Client, response_guard: ResponseGuard
) -> None:
    client = sdk(files_server, response_guard, "org-sdk")
    created = client.files.create(file=("mydata.jsonl", TRAIN), purpose="fine-tune")
    assert (created.bytes, created.filename, created.purpose, created.status) == (
        len(TRAIN),
        "mydata.jsonl",
        "fine-tune",
        "uploaded",
    )
    assert created.id.startswith("file-") and len(created.id) == 29
    http.post("/_mockai/clock/advance", json={"seconds": 10})
    assert client.files.retrieve(created.id).status == "processed"
    assert [f.id for f in client.files.list(purpose="fine-tune")] == [created.id]
    assert client.files.content(created.id).content == TRAIN
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "file")
    with pytest.raises(openai.NotFoundError, match=f"No such File object: {created.id}"):
        client.files.retrieve(created.id)


def test_other_organizations_get_404_and_empty_lists(files_server: ServerThread, response_guard: ResponseGuard) -> None:
    mine = sdk(files_server, response_guard, "org-owner").files.create(file=("a.txt", b"secret"), purpose="assistants")
    theirs = sdk(files_server, response_guard, "org-other")
    assert [f.id for f in theirs.files.list()] == []
    for call in (theirs.files.retrieve, theirs.files.content, theirs.files.delete):
        with pytest.raises(openai.NotFoundError):
            call(mine.id)


def test_a_file_belongs_to_the_organization_its_response_names(http: httpx.Client) -> None:
    # Two headers, the first empty: the owner is the one stamped on the response, whichever rule picks it.
    headers = [("openai-organization", ""), ("openai-organization", "org-second")]
    created = http.post("/v1/files", files={"file": ("a.txt", b"x")}, data={"purpose": "assistants"}, headers=headers)
    assert created.headers["openai-organization"] == "org-second"
    owner = {"openai-organization": "org-second"}
    assert http.get(f"/v1/files/{created.json()['id']}", headers=owner).status_code == 200


def test_filenames_are_kept_as_given(http: httpx.Client) -> None:
    name = "../../etc/passwd; rm -rf ~.jsonl"
    body = http.post("/v1/files", files={"file": (name, b"x")}, data={"purpose": "assistants"}).json()
    assert body["filename"] == name
    downloaded = http.get(f"/v1/files/{body['id']}/content")
    assert downloaded.content == b"x" and downloaded.headers["content-type"].startswith("application/jsonl")


@pytest.mark.parametrize(
    ("data", "files", "param"),
    [
        pytest.param({"purpose": "nonsense"}, {"file": ("a", b"x")}, "purpose", id="bad-purpose"),
        pytest.param({}, {"file": ("a", b"x")}, "purpose", id="no-purpose"),
        pytest.param({"purpose": "assistants", "file": "text"}, {"other": ("a", b"x")}, None, id="no-file"),
    ],
)
def test_bad_uploads_are_refused(
    http: httpx.Client, data: dict[str, str], files: dict[str, Any], param: str | None
) -> None:
    response = http.post("/v1/files", data=data, files=files)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    if param is not None:
        assert error["param"] == param


def test_a_bad_training_file_ends_in_error_naming_its_line(http: httpx.Client) -> None:
    bad = TRAIN + b'{"prompt": "no completion"}\n'
    body = http.post("/v1/files", files={"file": ("t.jsonl", bad)}, data={"purpose": "fine-tune"}).json()
    http.post("/_mockai/clock/advance", json={"seconds": 10})
    seen = http.get(f"/v1/files/{body['id']}").json()
    assert seen["status"] == "error"
    assert seen["status_details"].endswith("Missing `completion` key on line 4.")


def test_the_storage_limit_is_enforced_with_the_real_error(http: httpx.Client) -> None:
    org = {"OpenAI-Organization": "org-full"}
    ok = http.post("/v1/files", headers=org, files={"file": ("a", b"x" * 1_500_000)}, data={"purpose": "assistants"})
    assert ok.status_code == 200
    over = http.post("/v1/files", headers=org, files={"file": ("b", b"x" * 600_000)}, data={"purpose": "assistants"})
    assert over.status_code == 400 and over.json()["error"]["code"] == "storage_limit_exceeded"
    assert len(http.get("/v1/files", headers=org).json()["data"]) == 1


def test_fifty_parallel_uploads_give_fifty_distinct_ids(files_server: ServerThread) -> None:
    org = {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": "org-parallel"}

    def upload(i: int) -> str:
        with httpx.Client(base_url=files_server.base_url, headers=org) as client:
            response = client.post(
                "/v1/files", files={"file": (f"f{i}", str(i).encode() * 50)}, data={"purpose": "batch"}
            )
            return str(response.json()["id"])

    with ThreadPoolExecutor(10) as pool:
        ids = list(pool.map(upload, range(50)))
    assert len(set(ids)) == 50
    with httpx.Client(base_url=files_server.base_url, headers=org) as client:
        listed = {f["id"]: f for f in client.get("/v1/files").json()["data"]}
        assert set(listed) == set(ids)
        assert client.get(f"/v1/files/{ids[7]}/content").content == b"7" * 50


def test_files_and_jobs_survive_a_restart_on_a_data_dir(tmp_path: Any) -> None:
    def serve() -> tuple[ServerThread, httpx.Client]:
        running = start_server(data_dir=tmp_path)
        # The first fine-tune of a fresh server trains the token model: seconds on a loaded machine.
        headers = {"Authorization": f"Bearer {API_KEY}"}
        return running, httpx.Client(base_url=running.base_url, headers=headers, timeout=60)

    first, http = serve()
    file_id = http.post("/v1/files", files={"file": ("t.jsonl", TRAIN)}, data={"purpose": "fine-tune"}).json()["id"]
    http.post("/_mockai/clock/advance", json={"seconds": 10})
    job_id = http.post("/v1/fine-tunes", json={"training_file": file_id}).json()["id"]
    http.close()
    first.stop()

    second, http = serve()
    try:
        assert http.get(f"/v1/files/{file_id}/content").content == TRAIN
        assert http.get(f"/v1/fine-tunes/{job_id}").json()["status"] == "pending"
        # World time restarts at the configured start, so move it past the job's plan.
        http.post("/_mockai/clock/advance", json={"seconds": 3600})
        done = http.get(f"/v1/fine-tunes/{job_id}").json()
        assert done["status"] == "succeeded"
        assert done["fine_tuned_model"] in {m["id"] for m in http.get("/v1/models").json()["data"]}
        new_id = http.post("/v1/files", files={"file": ("u", b"1")}, data={"purpose": "batch"}).json()["id"]
        assert new_id != file_id
    finally:
        http.close()
        second.stop()


def test_kill_9_mid_upload_then_restart_shows_only_whole_files(tmp_path: Any) -> None:
    import signal
    import subprocess
    import sys

    def serve() -> tuple[subprocess.Popen[str], str]:
        command = [sys.executable, "-m", "mockai", "serve", "--port", "0", "--time-scale", "0"]
        command += ["--data-dir", str(tmp_path), "--log-level", "info"]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        assert process.stderr is not None
        for line in process.stderr:  # readiness from the server's own log line, never a sleep
            if "Uvicorn running on" in line:
                return process, line.split("running on ")[1].split()[0]
        raise AssertionError("mockai serve did not start")

    server, url = serve()
    headers = {"Authorization": f"Bearer {API_KEY}"}
    kept = httpx.post(f"{url}/v1/files", headers=headers, files={"file": ("k", b"kept")}, data={"purpose": "batch"})

    def body() -> Iterator[bytes]:
        boundary = b"--cut\r\n"
        yield boundary + b'Content-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big"\r\n\r\n'
        for sent in range(64):
            if sent == 8:
                server.send_signal(signal.SIGKILL)
                server.wait()
            yield b"z" * 65536

    with pytest.raises(httpx.TransportError):
        httpx.post(
            f"{url}/v1/files",
            headers={**headers, "content-type": "multipart/form-data; boundary=cut"},
            content=body(),
        )
    assert server.stderr is not None
    server.stderr.close()

    server, url = serve()
    try:
        listed = httpx.get(f"{url}/v1/files", headers=headers).json()["data"]
        assert [f["id"] for f in listed] == [kept.json()["id"]]
        assert sorted(p.name for p in (tmp_path / "blobs").iterdir()) == [kept.json()["id"]]
    finally:
        server.terminate()
        server.wait()
        assert server.stderr is not None
        server.stderr.close()
