"""Scripted chat replies through the official SDK: text, streams, tool calls, sequences, errors and stream faults."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from mockai.engine.tokenizer import get_encoding
from mockai.testing import MockAI

WEATHER = [{"role": "user", "content": "What's the weather in Paris?"}]
FORECAST = "Sunny with a light breeze, around twenty degrees."


def _stream_text(client: Any, **options: Any) -> tuple[str, list[Any]]:
    chunks = list(client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, stream=True, **options))
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices), chunks


def test_a_scripted_reply_is_the_answer_with_real_usage(mock: MockAI, client: Any) -> None:
    rule = mock.chat.reply(FORECAST, when=mock.match(last_user=r"weather"))
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason) == (FORECAST, "stop")
    assert completion.usage.completion_tokens == len(get_encoding("cl100k_base").encode(FORECAST))
    assert rule.call_count == 1
    assert mock.requests.last.json["messages"][-1]["content"] == "What's the weather in Paris?"


def test_a_scripted_reply_streams_like_generated_text(mock: MockAI, client: Any) -> None:
    mock.chat.reply(FORECAST)
    text, chunks = _stream_text(client)
    assert text == FORECAST
    assert len(chunks) > 3 and len({chunk.id for chunk in chunks}) == 1
    assert [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices][-1] == "stop"
    summary = mock.requests.last.response
    assert summary["stream"] and summary["done"] and summary["chunks"] == len(chunks)


def test_a_tool_call_reply(mock: MockAI, client: Any) -> None:
    mock.chat.reply(tool_calls=[mock.tool_call("get_weather", {"city": "Paris"})])
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [(call.function.name, call.function.arguments) for call in choice.message.tool_calls] == [
        ("get_weather", '{"city": "Paris"}')
    ]


def test_a_scripted_reply_cut_by_max_tokens_ends_by_length(mock: MockAI, client: Any) -> None:
    mock.chat.reply("one two three four five six")
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, max_tokens=2)
    choice = completion.choices[0]
    assert (choice.message.content, choice.finish_reason) == ("one two", "length")
    assert completion.usage.completion_tokens == 2


def test_a_tool_call_reply_to_legacy_functions_is_a_function_call(mock: MockAI, client: Any) -> None:
    mock.chat.reply(tool_calls=[mock.tool_call("get_weather", {"city": "Paris"})])
    function = {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, functions=[function])
    choice = completion.choices[0]
    assert choice.finish_reason == "function_call" and choice.message.tool_calls is None
    assert (choice.message.function_call.name, choice.message.function_call.arguments) == (
        "get_weather",
        '{"city": "Paris"}',
    )


def test_a_tool_call_reply_has_logprobs_like_a_generated_one(mock: MockAI, client: Any) -> None:
    mock.chat.reply(tool_calls=[mock.tool_call("get_weather", {"city": "Paris"})])
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, logprobs=True, top_logprobs=2)
    tokens = completion.choices[0].logprobs.content
    assert "".join(token.token for token in tokens) == '{"city": "Paris"}'
    assert all([(top.token, top.logprob) for top in token.top_logprobs] == [(token.token, 0.0)] for token in tokens)


def test_a_tool_call_written_flat_with_arguments_as_an_object_reaches_the_client_as_json(
    mock: MockAI, client: Any
) -> None:
    call = {"name": "get_weather", "arguments": {"city": "Paris"}}
    mock.add_rule({"match": {"path": "/v1/chat/completions"}, "reply": {"kind": "content", "tool_calls": [call]}})
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    (called,) = completion.choices[0].message.tool_calls
    assert (called.id, called.function.name, called.function.arguments) == (
        "call_0",
        "get_weather",
        '{"city": "Paris"}',
    )


def test_a_sequence_then_the_token_model(mock: MockAI, client: Any) -> None:
    mock.chat.reply_sequence(["first", "second"])
    answers = [
        client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER).choices[0].message.content
        for _ in range(3)
    ]
    assert answers[:2] == ["first", "second"]
    assert answers[2] not in ("first", "second") and mock.requests.last.rule_id is None


def test_unmatched_requests_record_near_misses(mock: MockAI, client: Any) -> None:
    rule = mock.chat.reply("Sunny", when=mock.match(model="gpt-4"))
    client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    assert mock.requests.last.near_misses == [
        {"rule_id": rule.id, "mismatches": ["model: expected == 'gpt-4', got 'gpt-3.5-turbo'"]}
    ]
    rule.delete()


def test_an_error_reply_reaches_the_sdk_as_its_exception(mock: MockAI, client: Any) -> None:
    mock.chat.fail(429, message="Slow down", headers={"retry-after": "1"})
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    assert caught.value.response.headers["retry-after"] == "1"
    assert caught.value.body["message"] == "Slow down"


def test_a_dropped_stream_breaks_the_sdk_iteration(mock: MockAI, client: Any) -> None:
    mock.chat.reply(FORECAST)
    mock.faults.drop_stream(after_chunks=2)
    stream = client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, stream=True)
    received = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(stream)
    assert len(received) == 2
    assert mock.requests.last.response["done"] is False


def test_a_malformed_chunk_breaks_json_decoding(mock: MockAI, client: Any) -> None:
    mock.chat.reply(FORECAST)
    mock.faults.malformed_chunk(at=2)
    with pytest.raises(ValueError):
        _stream_text(client)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The server's real sleeps (latency and pacing), recorded instead of slept: no test waits on wall time.

    How long they really take is measured in bench/bench_faults.py.
    """
    recorded: list[float] = []

    async def pause(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr("mockai.api.sse.pace", pause)
    monkeypatch.setattr("mockai.api.scripting.pace", pause)
    return recorded


def test_pacing_waits_before_the_first_token_then_between_tokens(
    mock: MockAI, client: Any, pauses: list[float]
) -> None:
    mock.chat.reply("Hi there, friend")
    mock.faults.pace(ttft=0.2, tokens_per_second=1000)
    text, chunks = _stream_text(client)
    assert text == "Hi there, friend"
    assert pauses[:2] == [0.0, 0.2]  # no latency fault, then the time to first token
    assert pauses[2:] == [0.001] * len(chunks)  # one interval before each later frame, [DONE] included


def test_latency_delays_a_plain_response_once(mock: MockAI, client: Any, pauses: list[float]) -> None:
    mock.faults.latency(0.15, times=1)
    client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, max_tokens=1)
    client.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, max_tokens=1)
    assert pauses == [0.15, 0.0]
    assert [request.faults for request in mock.requests] == [["fault-1:latency"], []]
