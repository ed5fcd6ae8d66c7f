"""Rules and faults on the Responses API: `mockai.responses.reply(...)` maps to output items, faults hit its stream."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY


@pytest.fixture
def mockai(server: ServerThread) -> Iterator[MockAI]:
    handle = MockAI(server.base_url, api_key=API_KEY)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()


def test_a_scripted_text_is_the_responses_message(mockai: MockAI, client: Any) -> None:
    mockai.responses.reply("Sunny, 24 degrees.", when=mockai.match(last_user__contains="weather"))
    response = client.responses.create(model="gpt-4o", input="What is the weather?")
    assert response.output_text == "Sunny, 24 degrees."
    with client.responses.stream(model="gpt-4o", input="The weather, please") as stream:
        deltas = "".join(event.delta for event in stream if event.type == "response.output_text.delta")
    assert deltas == "Sunny, 24 degrees."


def test_scripted_tool_calls_are_function_call_items(mockai: MockAI, client: Any) -> None:
    mockai.responses.reply(
        tool_calls=[
            {"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": "call_paris"},
            {"name": "get_time", "arguments": "{}"},
        ]
    )
    response = client.responses.create(model="gpt-4o", input="Weather and time in Paris?")
    calls = [(item.type, item.name, item.call_id, json.loads(item.arguments)) for item in response.output]
    assert calls == [
        ("function_call", "get_weather", "call_paris", {"city": "Paris"}),
        ("function_call", "get_time", "call_1", {}),
    ]


def test_a_scripted_refusal_is_a_refusal_part_on_both_wires(mockai: MockAI, client: Any) -> None:
    mockai.responses.reply(refusal="I can't help with that.")
    mockai.chat.reply(refusal="I can't help with that.")
    response = client.responses.create(model="gpt-4o", input="Something forbidden")
    assert response.output[0].content[0].type == "refusal"
    assert response.output[0].content[0].refusal == "I can't help with that."
    with client.responses.stream(model="gpt-4o", input="Something forbidden") as stream:
        refused = "".join(event.delta for event in stream if event.type == "response.refusal.delta")
    assert refused == "I can't help with that."
    chat = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Forbidden"}])
    assert chat.choices[0].message.refusal == "I can't help with that." and chat.choices[0].message.content is None


def test_a_dropped_stream_breaks_the_sdk_iteration(mockai: MockAI, client: Any) -> None:
    mockai.faults.drop_stream(after_chunks=3)
    stream = client.responses.create(model="gpt-4o-mini", input="Hi", stream=True, store=False)
    received: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(stream)
    assert [event.type for event in received] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]


def test_a_malformed_event_keeps_its_event_line(mockai: MockAI, server: ServerThread) -> None:
    mockai.faults.malformed_chunk(at=2)
    body = {"model": "gpt-4o-mini", "input": "Hi", "stream": True, "store": False}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    raw = httpx.post(f"{server.base_url}/v1/responses", json=body, headers=headers).text
    frames = raw.split("\n\n")
    assert frames[1].startswith("event: response.in_progress\ndata: {")
    with pytest.raises(json.JSONDecodeError):
        json.loads(frames[1].split("data: ", 1)[1])
    assert json.loads(frames[2].split("data: ", 1)[1])["sequence_number"] == 2
