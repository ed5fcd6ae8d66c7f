"""Legacy `/v1/fine-tunes` over raw HTTP (the 3.x SDK dropped it): the whole story, SSE events, errors, isolation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

EXAMPLES = [
    {"prompt": f"Capital of {country} ->", "completion": f" {capital}, of course.\n"}
    for country, capital in [("Freedonia", "Fredville"), ("Sylvania", "Sylburg"), ("Latveria", "Doomstadt")]
]
TRAIN = "".join(json.dumps(e) + "\n" for e in EXAMPLES).encode()


@pytest.fixture(scope="module")
def ft_server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


def client_for(server: ServerThread, guard: ResponseGuard, org: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": org}
    return guard.http(server.base_url, headers, timeout=60)


@pytest.fixture
def http(ft_server: ServerThread, response_guard: ResponseGuard) -> httpx.Client:
    return client_for(ft_server, response_guard, "org-legacy")


def advance(http: httpx.Client, seconds: float) -> None:
    assert http.post("/_mockai/clock/advance", json={"seconds": seconds}).status_code == 200


def uploaded(http: httpx.Client, data: bytes = TRAIN) -> str:
    file_id = str(
        http.post("/v1/files", files={"file": ("train.jsonl", data)}, data={"purpose": "fine-tune"}).json()["id"]
    )
    advance(http, 10)
    return file_id


def read_stream(http: httpx.Client, job_id: str, frames: list[str]) -> None:
    with http.stream("GET", f"/v1/fine-tunes/{job_id}/events", params={"stream": "true"}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        frames.extend(line.removeprefix("data: ") for line in response.iter_lines() if line.startswith("data: "))


def test_the_whole_legacy_story(ft_server: ServerThread, http: httpx.Client, response_guard: ResponseGuard) -> None:
    job = http.post("/v1/fine-tunes", json={"training_file": uploaded(http), "n_epochs": 2}).json()
    assert (job["object"], job["model"], job["status"]) == ("fine-tune", "curie", "pending")
    assert job["events"][0]["message"] == "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0."
    assert job["training_files"][0]["filename"] == "train.jsonl"

    frames: list[str] = []
    reader = threading.Thread(target=read_stream, args=(http, job["id"], frames))
    reader.start()
    advance(http, 3600)  # the stream wakes on the clock, follows the job to its end, and closes
    reader.join(timeout=30)
    assert not reader.is_alive() and frames[-1] == "[DONE]"
    messages = [json.loads(f)["message"] for f in frames[:-1]]
    done = http.get(f"/v1/fine-tunes/{job['id']}").json()
    model, result = done["fine_tuned_model"], done["result_files"][0]
    assert messages == [
        "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.",
        "Job started.",
        "Completed epoch 1/2.",
        "Completed epoch 2/2.",
        f"Uploaded snapshot: {model}.",
        f"Uploaded result files: {result['id']}.",
        "Job succeeded.",
    ]
    assert done["status"] == "succeeded" and model.startswith("curie:ft-legacy-2023-11-14-")
    assert [e["message"] for e in http.get(f"/v1/fine-tunes/{job['id']}/events").json()["data"]] == messages

    csv = http.get(f"/v1/files/{result['id']}/content")
    assert csv.headers["content-type"].startswith("text/csv")
    header, *rows = csv.text.splitlines()
    assert header == (
        "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,training_token_accuracy"
    )
    assert len(rows) == 2 * 3 and float(rows[-1].split(",")[3]) < float(rows[0].split(",")[3])

    listed = {m["id"]: m for m in http.get("/v1/models").json()["data"]}
    assert listed[model]["owned_by"] == "org-legacy" and listed[model]["parent"] == "curie"
    # Using the model: at temperature 0 a training prompt gets its training completion back.
    client = response_guard.openai(ft_server.base_url, api_key=API_KEY, organization="org-legacy")
    for example in EXAMPLES:
        answer = client.completions.create(model=model, prompt=example["prompt"], temperature=0, max_tokens=16)
        assert answer.model == model and answer.choices[0].text == example["completion"]
    with client_for(ft_server, response_guard, "org-stranger") as other:
        refused = other.post("/v1/completions", json={"model": model, "prompt": "x"})
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "model_not_found"

    deleted = http.delete(f"/v1/models/{model}").json()
    assert deleted == {"id": model, "object": "model", "deleted": True}
    assert http.get(f"/v1/models/{model}").status_code == 404


def test_cancel_only_while_pending_or_running(http: httpx.Client) -> None:
    job = http.post("/v1/fine-tunes", json={"training_file": uploaded(http)}).json()
    cancelled = http.post(f"/v1/fine-tunes/{job['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and cancelled["events"][-1]["message"] == "Job cancelled."
    again = http.post(f"/v1/fine-tunes/{job['id']}/cancel")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == f"Cannot cancel a job that has already been cancelled: {job['id']}."


@pytest.mark.parametrize(
    ("body", "status", "param", "needle"),
    [
        pytest.param({"training_file": "file-nope"}, 404, "training_file", "No such File object", id="missing"),
        pytest.param({"model": "gpt-4"}, 400, "model", "Invalid base model: gpt-4", id="base-model"),
        pytest.param({"n_epochs": 0}, 400, "n_epochs", "", id="schema"),
    ],
)
def test_create_is_validated(http: httpx.Client, body: dict[str, Any], status: int, param: str, needle: str) -> None:
    response = http.post("/v1/fine-tunes", json={"training_file": uploaded(http), **body})
    assert response.status_code == status
    error = response.json()["error"]
    assert error["param"] == param and needle in error["message"]


def test_a_file_still_processing_is_refused(http: httpx.Client) -> None:
    fresh = http.post("/v1/files", files={"file": ("t.jsonl", TRAIN)}, data={"purpose": "fine-tune"}).json()
    response = http.post("/v1/fine-tunes", json={"training_file": fresh["id"]})
    assert response.status_code == 400 and "still being processed" in response.json()["error"]["message"]


def test_other_organizations_see_nothing(
    ft_server: ServerThread, http: httpx.Client, response_guard: ResponseGuard
) -> None:
    job = http.post("/v1/fine-tunes", json={"training_file": uploaded(http)}).json()
    with client_for(ft_server, response_guard, "org-stranger") as other:
        assert other.get(f"/v1/fine-tunes/{job['id']}").status_code == 404
        assert other.get(f"/v1/fine-tunes/{job['id']}/events").status_code == 404
        assert other.post(f"/v1/fine-tunes/{job['id']}/cancel").status_code == 404
        assert other.get("/v1/fine-tunes").json()["data"] == []


def test_base_models_cannot_be_deleted(http: httpx.Client) -> None:
    response = http.delete("/v1/models/curie")
    assert response.status_code == 403
    assert http.delete("/v1/models/curie:ft-someone-2020-01-01-00-00-00").status_code == 404
