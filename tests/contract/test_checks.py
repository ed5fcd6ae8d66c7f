"""Each named check passes a conforming exchange and reports a planted defect under a stable title."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from mockai.contract import checks
from mockai.contract.checks import Exchange, RecordedRequest, RecordedResponse
from mockai.contract.registry import default_registry

SSE = {"content-type": "text/event-stream; charset=utf-8"}
JSON = {"content-type": "application/json"}


def _exchange(
    status: int, body: Any, headers: dict[str, str] | None = None, events: list[str] | None = None
) -> Exchange:
    text = body if isinstance(body, str) else json.dumps(body)
    request = RecordedRequest("POST", "http://127.0.0.1/v1/chat/completions", {"model": "gpt-4o"})
    return Exchange("createChatCompletion", request, RecordedResponse(status, headers or JSON, text), events or [])


def _chunk(delta: dict[str, Any], finish: str | None = None, *, ident: str = "chatcmpl-1", index: int = 0) -> str:
    choice = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
    return json.dumps({"id": ident, "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]})


def _stream(*events: str) -> Exchange:
    text = "".join(f"data: {event}\n\n" for event in events)
    return _exchange(200, text, SSE, checks.parse_sse(text)[0])


GOOD_STREAM = [_chunk({"role": "assistant", "content": ""}), _chunk({"content": "Hi"}), _chunk({}, "stop"), "[DONE]"]


def _titles(found: list[checks.Failure]) -> list[str]:
    return [failure.title for failure in found]


@pytest.mark.parametrize(("status", "expected", "ok"), [(200, "2xx", True), (201, "2xx", True), (500, "2xx", False),
                                                        (400, 400, True), (415, 400, False)])  # fmt: skip
def test_status_code_conformance(status: int, expected: int | str, ok: bool) -> None:
    found = checks.status_code_conformance(_exchange(status, {}), expected=expected)
    assert (found == []) is ok
    if not ok:
        assert found[0].title == f"expected {expected}, got {status}"


# A chat completion as the real API sends it today (the spec requires `refusal` and `logprobs`, null here).
CHAT_COMPLETION: dict[str, Any] = {
    "id": "chatcmpl-123",
    "object": "chat.completion",
    "created": 1677652288,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello there, how may I assist you today?", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
}


def test_response_schema_conformance_passes_a_real_answer() -> None:
    body = copy.deepcopy(CHAT_COMPLETION)
    exchange = _exchange(200, body)
    assert (
        checks.response_schema_conformance(exchange, default_registry(), "openai/createChatCompletion.response") == []
    )


def test_one_defect_in_every_choice_is_one_failure_whatever_the_index() -> None:
    body = copy.deepcopy(CHAT_COMPLETION)
    body["choices"] = [dict(body["choices"][0], index=i, finish_reason="sleepy") for i in range(3)]
    found = checks.response_schema_conformance(
        _exchange(200, body), default_registry(), "openai/createChatCompletion.response"
    )
    assert _titles(found) == ["response violates createChatCompletion.response at choices[*].finish_reason: enum"]


def test_a_non_json_body_is_a_schema_failure() -> None:
    found = checks.response_schema_conformance(
        _exchange(200, "<html>"), default_registry(), "openai/listModels.response"
    )
    assert _titles(found) == ["response body is not JSON"]


@pytest.mark.parametrize(
    ("body", "expected_param", "title"),
    [
        ({"error": {"message": "m", "type": "invalid_request_error", "param": "n", "code": None}}, "n", None),
        ({"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}}, "n",
         "error param does not name the invalid parameter"),
        ({"error": {"message": "m", "type": "server_error", "param": "n", "code": None}}, "n",
         "a refused parameter is not an invalid_request_error"),
        ({"detail": "bad"}, None, "error violates error at (root): required"),
        ("Bad Request", None, "error body is not JSON"),
    ],
    ids=["names the param", "wrong param", "wrong type", "not an envelope", "not JSON"],
)  # fmt: skip
def test_error_envelope_conformance(body: Any, expected_param: str | None, title: str | None) -> None:
    found = checks.error_envelope_conformance(_exchange(400, body), default_registry(), expected_param=expected_param)
    assert _titles(found) == ([] if title is None else [title])


def test_a_well_formed_stream_passes_framing_chunks_and_invariants() -> None:
    exchange = _stream(*GOOD_STREAM)
    assert checks.sse_framing(exchange) == []
    assert checks.chunk_schema_conformance(exchange, default_registry(), "openai/createChatCompletion.chunk") == []
    assert checks.stream_invariants(exchange) == []


@pytest.mark.parametrize(
    ("text", "headers", "title"),
    [
        ("".join(f"data: {e}\n\n" for e in GOOD_STREAM[:-1]), SSE, "stream does not end with data: [DONE]"),
        ("".join(f"data: {e}\n\n" for e in GOOD_STREAM), JSON, "stream is not text/event-stream"),
        ("".join(f"{e}\n\n" for e in GOOD_STREAM), SSE, "event has a line that is not an SSE field"),
        ("".join(f"data: {e}\n" for e in GOOD_STREAM), SSE, "stream does not end with a blank line"),
        ("data: {broken\n\ndata: [DONE]\n\n", SSE, "event data is not JSON"),
        ("data: [DONE]\n\n" + "".join(f"data: {e}\n\n" for e in GOOD_STREAM), SSE, "events follow data: [DONE]"),
    ],
    ids=["no [DONE]", "wrong content type", "bare JSON lines", "no blank line", "not JSON", "[DONE] early"],
)
def test_sse_framing_reports_each_planted_defect(text: str, headers: dict[str, str], title: str) -> None:
    exchange = _exchange(200, text, headers, checks.parse_sse(text)[0])
    assert title in _titles(checks.sse_framing(exchange))


@pytest.mark.parametrize(
    ("events", "title"),
    [
        ([GOOD_STREAM[0], _chunk({"content": "x"}, ident="other"), GOOD_STREAM[2]], "chunks carry different ids"),
        ([_chunk({"content": "Hi"}), GOOD_STREAM[2]], "first delta of a choice has no role"),
        ([GOOD_STREAM[0], GOOD_STREAM[1]], "a choice does not have exactly one finish_reason"),
        ([GOOD_STREAM[0], _chunk({}, "length"), GOOD_STREAM[2]], "a choice does not have exactly one finish_reason"),
    ],
    ids=["two ids", "no role first", "no finish_reason", "two finish_reasons"],
)
def test_stream_invariants_report_each_planted_defect(events: list[str], title: str) -> None:
    assert title in _titles(checks.stream_invariants(_stream(*events, "[DONE]")))


def test_stream_matches_response_compares_each_choice_text() -> None:
    plain = _exchange(200, CHAT_COMPLETION)
    text = plain.response.json()["choices"][0]["message"]["content"]

    def text_of(choice: dict[str, Any]) -> str | None:
        holder = choice.get("message") or choice.get("delta") or {}
        return holder.get("content")

    same = _stream(
        _chunk({"role": "assistant", "content": ""}), _chunk({"content": text}), _chunk({}, "stop"), "[DONE]"
    )
    other = _stream(_chunk({"role": "assistant", "content": "nope"}), _chunk({}, "stop"), "[DONE]")
    assert checks.stream_matches_response(same, plain, text_of=text_of) == []
    assert _titles(checks.stream_matches_response(other, plain, text_of=text_of)) == [
        "streamed text differs from the non-streamed answer"
    ]


def test_parse_sse_reads_data_payloads_and_ignores_comments() -> None:
    events, problems = checks.parse_sse(': keep-alive\n\ndata: {"a": 1}\r\n\r\ndata: [DONE]\n\n')
    assert events == ['{"a": 1}', "[DONE]"]
    assert problems == []


def _usage_chunk() -> str:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    return json.dumps({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                       "choices": [], "usage": usage})  # fmt: skip


@pytest.mark.parametrize(
    ("events", "include_usage", "title"),
    [
        (GOOD_STREAM, False, None),
        ([*GOOD_STREAM[:-1], _usage_chunk(), "[DONE]"], True, None),
        ([*GOOD_STREAM[:-1], _usage_chunk(), "[DONE]"], False, "usage sent without stream_options.include_usage"),
        (GOOD_STREAM, True, "include_usage did not give one final usage chunk without choices"),
    ],
    ids=["no usage asked, none sent", "usage asked and sent last", "usage unasked", "usage asked, none sent"],
)
def test_stream_usage(events: list[str], include_usage: bool, title: str | None) -> None:
    found = checks.stream_usage(_stream(*events), include_usage=include_usage)
    assert _titles(found) == ([] if title is None else [title])


def _usage_exchange(
    request: dict[str, Any], usage: dict[str, int], *, operation: str = "createChatCompletion"
) -> Exchange:
    recorded = RecordedRequest("POST", "http://127.0.0.1/v1/x", request)
    answer = json.dumps({"model": request.get("model"), "usage": usage})
    return Exchange(operation, recorded, RecordedResponse(200, JSON, answer))


HELLO = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}]}
TOTAL = "total_tokens is not prompt_tokens + completion_tokens"
OVER = "completion_tokens exceed max_tokens times the choices asked for"


@pytest.mark.parametrize(
    ("request_body", "usage", "titles"),
    [
        ({}, {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}, []),
        ({}, {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 99}, [TOTAL]),
        ({}, {"prompt_tokens": 5, "total_tokens": 5}, []),
        ({}, {"prompt_tokens": 5, "total_tokens": 6}, [TOTAL]),
        ({"max_tokens": 1}, {"prompt_tokens": 5, "completion_tokens": 13, "total_tokens": 18}, [OVER]),
        ({"max_tokens": 1}, {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}, []),
        ({"max_tokens": 2, "n": 3}, {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}, []),
        ({"max_tokens": 2, "n": 3}, {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}, [OVER]),
        ({"max_tokens": 2, "n": 1, "best_of": 3}, {"prompt_tokens": 5, "completion_tokens": 6, "total_tokens": 11}, []),
        ({"max_tokens": 2, "prompt": ["a", "b"]}, {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}, []),
        ({"max_tokens": 2, "prompt": [1, 2]}, {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}, [OVER]),
        ({"max_tokens": 4, "max_completion_tokens": 1}, {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
         [OVER]),
    ],
    ids=["adds-up", "total-99-for-5+1", "embeddings", "embeddings-total-off", "13-for-max-1", "within-max",
         "n-times-max", "over-n-times-max", "best-of-times-max", "per-prompt-of-a-batch", "token-array-is-one-prompt",
         "max-completion-tokens-wins"],
)  # fmt: skip
def test_usage_arithmetic(request_body: dict[str, Any], usage: dict[str, int], titles: list[str]) -> None:
    assert _titles(checks.usage_arithmetic(_usage_exchange(request_body, usage))) == titles


@pytest.mark.parametrize(
    ("request_body", "prompt_tokens", "failed"),
    [(HELLO, 9, False), (HELLO, 8, True), ({**HELLO, "model": "my-own-model"}, 1234, False)],
    ids=["cookbook-count", "one-off", "unknown-model-is-not-judged"],
)
def test_prompt_token_count_uses_the_models_encoding(
    request_body: dict[str, Any], prompt_tokens: int, failed: bool
) -> None:
    from mockai.contract.prompt_tokens import expected_prompt_tokens

    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 1, "total_tokens": prompt_tokens + 1}
    found = checks.prompt_token_count(_usage_exchange(request_body, usage), expected=expected_prompt_tokens)
    assert bool(found) is failed
