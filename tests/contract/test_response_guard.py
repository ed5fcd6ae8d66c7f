"""The suite's response guard (tests/response_guard.py) can fail: it reports answers outside the spec, only those."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.response_guard import ResponseGuard

CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
         "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}]}  # fmt: skip
MODEL = {"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"}


def _checked(method: str, path: str, status: int, content_type: str, body: Any) -> list[str]:
    guard = ResponseGuard()
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    guard.check(method, path, status, content_type, raw)
    return guard.violations


def _stream(*chunks: dict[str, Any]) -> bytes:
    return b"".join(f"data: {json.dumps(chunk)}\n\n".encode() for chunk in chunks) + b"data: [DONE]\n\n"


def test_an_answer_that_fits_passes() -> None:
    assert _checked("GET", "/v1/models/gpt-4o", 200, "application/json", MODEL) == []
    assert _checked("POST", "/v1/chat/completions", 200, "text/event-stream", _stream(CHUNK)) == []


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body", "reported"),
    [
        ("GET", "/v1/models/gpt-4o", "application/json", {**MODEL, "created": "yesterday"},
         "retrieveModel: GET /v1/models/gpt-4o at created: 'yesterday' is not of type 'integer'"),
        ("GET", "/v1/models", "application/json; charset=utf-8", {"object": "list", "data": [{"id": "x"}]},
         "listModels: GET /v1/models at data[0]: 'object' is a required property"),
        ("POST", "/v1/chat/completions", "text/event-stream", _stream(CHUNK, {**CHUNK, "choices": [{"index": 0}]}),
         "createChatCompletion: POST /v1/chat/completions event 1 at choices[0]: 'delta' is a required property"),
    ],
    ids=["wrong type", "missing field in a list item", "one bad stream event"],
)  # fmt: skip
def test_an_answer_outside_the_spec_is_reported_where_it_breaks(
    method: str, path: str, content_type: str, body: Any, reported: str
) -> None:
    assert reported in _checked(method, path, 200, content_type, body)


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/v1/models/gpt-4o", 404, {"error": {"message": "no", "type": "invalid_request_error"}}),
        ("/_mockai/health", 200, {"mockai": True}),
        ("/v1/files/file-1/content", 200, [{"stored": "by a user"}]),
    ],
    ids=["an error answer", "the admin API", "a downloaded JSON file"],
)
def test_what_the_spec_does_not_describe_is_left_alone(path: str, status: int, body: Any) -> None:
    assert _checked("GET", path, status, "application/json", body) == []


def test_the_guard_fails_with_every_violation_listed_once() -> None:
    guard = ResponseGuard()
    for _ in range(2):
        guard.check("GET", "/v1/models/gpt-4o", 200, "application/json", b'{"id": "gpt-4o"}')
    with pytest.raises(AssertionError, match="answered outside the spec's schemas") as failed:
        guard.assert_clean()
    assert str(failed.value).count("'object' is a required property") == 1
