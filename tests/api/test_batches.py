"""`/v1/batches` through the official SDK: a batch's requests answer what the same requests answer one by one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockai.api.responses import dump_json
from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

ORG = "org-batches"
QUESTIONS = ["What is the capital of France?", "Say this is a test!", "How do I boil an egg?"]


def chat_body(question: str, seed: int) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "seed": seed, "messages": [{"role": "user", "content": question}]}


def jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def chat_lines() -> list[dict[str, Any]]:
    return [
        {"custom_id": f"q{i}", "method": "POST", "url": "/v1/chat/completions", "body": chat_body(q, seed=i)}
        for i, q in enumerate(QUESTIONS)
    ]


@pytest.fixture(scope="module")
def batch_server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def client(batch_server: ServerThread, response_guard: ResponseGuard) -> Any:
    return response_guard.openai(batch_server.base_url, api_key=API_KEY, organization=ORG)


@pytest.fixture
def http(batch_server: ServerThread, response_guard: ResponseGuard) -> httpx.Client:
    return response_guard.http(
        batch_server.base_url, {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": ORG}
    )


def advance(http: httpx.Client, seconds: float) -> None:
    http.post("/_mockai/clock/advance", json={"seconds": seconds})


def submit(client: Any, lines: list[dict[str, Any]], endpoint: str = "/v1/chat/completions") -> Any:
    upload = client.files.create(file=("batch.jsonl", jsonl(lines)), purpose="batch")
    return client.batches.create(input_file_id=upload.id, endpoint=endpoint, completion_window="24h")


def output_lines(client: Any, file_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_a_batch_of_three_chat_requests_answers_what_they_answer_one_by_one(client: Any, http: httpx.Client) -> None:
    batch = submit(client, chat_lines())
    assert (batch.status, batch.request_counts.total, batch.expires_at) == ("validating", 0, batch.created_at + 86400)

    advance(http, 60)
    done = client.batches.retrieve(batch.id)
    assert (done.status, done.model, done.error_file_id) == ("completed", "gpt-4o-mini", None)
    assert (done.request_counts.total, done.request_counts.completed, done.request_counts.failed) == (3, 3, 0)
    assert done.in_progress_at <= done.finalizing_at <= done.completed_at

    lines = output_lines(client, done.output_file_id)
    assert [line["custom_id"] for line in lines] == ["q0", "q1", "q2"]
    for line, question, seed in zip(lines, QUESTIONS, range(3), strict=True):
        direct = http.post("/v1/chat/completions", json=chat_body(question, seed))  # same world time, same seed
        assert line["response"]["status_code"] == 200 and line["error"] is None
        assert line["response"]["request_id"].startswith("req_")
        assert dump_json(line["response"]["body"]) == direct.content  # byte for byte, ids and created included
    assert done.usage.input_tokens == sum(line["response"]["body"]["usage"]["prompt_tokens"] for line in lines)
    assert client.files.retrieve(done.output_file_id).purpose == "batch_output"


def test_any_endpoint_of_the_table_runs_in_a_batch(client: Any, http: httpx.Client) -> None:
    body = {"model": "text-embedding-3-small", "input": "hello batch", "encoding_format": "float"}
    lines = [{"custom_id": "e", "method": "POST", "url": "/v1/embeddings", "body": body}]
    batch = submit(client, lines, endpoint="/v1/embeddings")
    advance(http, 60)
    [line] = output_lines(client, client.batches.retrieve(batch.id).output_file_id)
    assert dump_json(line["response"]["body"]) == http.post("/v1/embeddings", json=body).content


def test_requests_the_endpoint_refuses_go_to_the_error_file(client: Any, http: httpx.Client) -> None:
    bad = {"custom_id": "bad", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}
    lines = [*chat_lines()[:1], bad]
    batch = submit(client, lines)
    advance(http, 60)
    done = client.batches.retrieve(batch.id)
    assert (done.status, done.request_counts.completed, done.request_counts.failed) == ("completed", 1, 1)
    [refused] = output_lines(client, done.error_file_id)
    assert refused["custom_id"] == "bad" and refused["response"]["status_code"] == 400
    assert refused["response"]["body"]["error"]["param"] == "messages"


def test_scripted_rules_answer_batch_requests_too(client: Any, http: httpx.Client) -> None:
    rule = {"match": {"path": "/v1/chat/completions"}, "reply": {"kind": "content", "content": "Scripted."}, "times": 3}
    http.post("/_mockai/rules", json=rule)
    batch = submit(client, chat_lines())
    advance(http, 60)
    lines = output_lines(client, client.batches.retrieve(batch.id).output_file_id)
    assert [line["response"]["body"]["choices"][0]["message"]["content"] for line in lines] == ["Scripted."] * 3


def test_a_file_with_bad_lines_fails_validation_naming_each_line(client: Any, http: httpx.Client) -> None:
    good = chat_lines()[0]
    lines = (
        jsonl([good])
        + b"not json\n"
        + jsonl(
            [
                {**good, "custom_id": "q0"},
                {**good, "custom_id": "x", "url": "/v1/embeddings"},
                {"custom_id": "y", "method": "POST", "url": "/v1/chat/completions"},
                {**good, "custom_id": "z", "body": {**good["body"], "model": "gpt-4o"}},
            ]
        )
    )
    upload = client.files.create(file=("bad.jsonl", lines), purpose="batch")
    batch = client.batches.create(input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h")
    assert batch.errors is None
    advance(http, 10)
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed" and failed.failed_at and failed.output_file_id is None
    assert [(e.code, e.line, e.param) for e in failed.errors.data] == [
        ("invalid_json_line", 2, None),
        ("duplicate_custom_id", 3, "custom_id"),
        ("url_mismatch", 4, "url"),
        ("missing_required_parameter", 5, "body"),
        ("model_mismatch", 6, "body.model"),
    ]
    assert failed.errors.data[0].message == "This line is not parseable as valid JSON."


def test_a_cancelled_batch_runs_nothing(client: Any, http: httpx.Client) -> None:
    batch = submit(client, chat_lines())
    cancelling = client.batches.cancel(batch.id)
    assert (cancelling.status, cancelling.cancelling_at) == ("cancelling", batch.created_at)
    advance(http, 60)
    cancelled = client.batches.retrieve(batch.id)
    assert (cancelled.status, cancelled.output_file_id, cancelled.request_counts.completed) == ("cancelled", None, 0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.batches.cancel(batch.id)
    assert refused.value.body["code"] == "batch_not_cancellable"


def test_batches_list_newest_first_and_page(
    client: Any, http: httpx.Client, batch_server: ServerThread, response_guard: ResponseGuard
) -> None:
    own = response_guard.openai(batch_server.base_url, api_key=API_KEY, organization="org-batch-list")
    made = [submit(own, chat_lines()[:1]).id for _ in range(3)]
    first = own.batches.list(limit=2)
    assert ([b.id for b in first.data], first.has_more) == (made[::-1][:2], True)
    assert [b.id for b in own.batches.list(limit=2)] == made[::-1]
    assert not set(made) & {b.id for b in client.batches.list()}  # other organizations see none of them


CHAT_24H = {"endpoint": "/v1/chat/completions", "completion_window": "24h"}


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [
        (CHAT_24H, 400, "input_file_id", "missing_required_parameter"),
        ({**CHAT_24H, "input_file_id": "F", "completion_window": "1h"}, 400, "completion_window", "invalid_value"),
        ({**CHAT_24H, "input_file_id": "F", "endpoint": "/v1/files"}, 400, "endpoint", "invalid_value"),
        ({**CHAT_24H, "input_file_id": "file-nope"}, 404, "input_file_id", None),
        ({**CHAT_24H, "input_file_id": "ASSISTANTS"}, 400, "input_file_id", "invalid_file_purpose"),
        ({**CHAT_24H, "input_file_id": "F", "metadata": {"k": 1}}, 400, "metadata.k", "invalid_type"),
    ],
    ids=[
        "no input file",
        "a window other than 24h",
        "an endpoint batches do not serve",
        "an unknown file",
        "a file not for batches",
        "metadata not text",
    ],
)
def test_create_is_validated(
    http: httpx.Client, body: dict[str, Any], status: int, param: str, code: str | None
) -> None:
    batch_file = http.post("/v1/files", files={"file": ("b.jsonl", jsonl(chat_lines()))}, data={"purpose": "batch"})
    other = http.post("/v1/files", files={"file": ("a.txt", b"x")}, data={"purpose": "assistants"})
    replaced = {"F": batch_file.json()["id"], "ASSISTANTS": other.json()["id"]}
    if "input_file_id" in body:
        body = {**body, "input_file_id": replaced.get(body["input_file_id"], body["input_file_id"])}
    response = http.post("/v1/batches", json=body)
    error = response.json()["error"]
    assert (response.status_code, error["type"], error["param"], error["code"]) == (
        status,
        "invalid_request_error",
        param,
        code,
    )


def test_unknown_batches_are_404(client: Any) -> None:
    for call in (client.batches.retrieve, client.batches.cancel):
        with pytest.raises(openai.NotFoundError, match="No batch found with id 'batch_nope'"):
            call("batch_nope")
