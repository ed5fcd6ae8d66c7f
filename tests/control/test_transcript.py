"""The wire-neutral transcript: chat messages and Responses input items read as the same turns."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types import responses

from mockai.control.transcript import (
    StoredResponse,
    ToolCall,
    Turn,
    chat_transcript,
    declared_tools,
    request_transcript,
    responses_transcript,
)

WEATHER_CALL = {
    "id": "call_w",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
}
TIME_CALL = {"id": "call_t", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}

CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Weather and time "}, {"type": "text", "text": "in Paris?"}]},
    {"role": "assistant", "content": None, "tool_calls": [WEATHER_CALL, TIME_CALL]},
    {"role": "tool", "tool_call_id": "call_t", "content": "10:00"},
    {"role": "tool", "tool_call_id": "call_w", "content": [{"type": "text", "text": "Sunny"}]},
]

# The same conversation as a Responses request sends it (shapes checked against the SDK's types below).
RESPONSES_INPUT: list[dict[str, Any]] = [
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather and time in Paris?"}]},
    {"type": "function_call", "call_id": "call_w", "name": "get_weather", "arguments": '{"city":"Paris"}'},
    {"type": "function_call", "call_id": "call_t", "name": "get_time", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_t", "output": "10:00"},
    {"type": "function_call_output", "call_id": "call_w", "output": [{"type": "input_text", "text": "Sunny"}]},
]

EXPECTED = (
    Turn("system", "Be brief."),
    Turn("user", "Weather and time in Paris?"),
    Turn(
        "assistant",
        "",
        (ToolCall("call_w", "get_weather", '{"city":"Paris"}'), ToolCall("call_t", "get_time", "{}")),
    ),
    Turn("tool", "10:00", call_id="call_t", tool="get_time"),
    Turn("tool", "Sunny", call_id="call_w", tool="get_weather"),
)


@functools.cache
def _input_items() -> Any:
    return pydantic.TypeAdapter(responses.ResponseInputParam)


def _spec_shaped(items: Sequence[Mapping[str, Any]]) -> None:
    """Fail unless `items` are valid Responses input items by the official SDK's types (generated from the spec)."""
    _input_items().validate_python(items)


def test_chat_messages_become_turns_with_calls_and_named_results() -> None:
    transcript = chat_transcript(CHAT)
    assert transcript.turns == EXPECTED
    assert (transcript.wire, transcript.last_role, transcript.dialogue_turns) == ("chat", "tool", 4)
    assert transcript.called_tools == ("get_weather", "get_time")
    assert [turn.tool for turn in transcript.unanswered_results] == ["get_time", "get_weather"]


def test_responses_input_items_become_the_same_turns() -> None:
    _spec_shaped(RESPONSES_INPUT)
    transcript = responses_transcript(RESPONSES_INPUT, instructions="Be brief.")
    assert transcript.turns == EXPECTED
    assert transcript.wire == "responses"


def test_a_string_input_is_one_user_turn() -> None:
    assert responses_transcript("Hello!").turns == (Turn("user", "Hello!"),)


def test_assistant_output_messages_and_their_calls_make_one_turn() -> None:
    items: list[dict[str, Any]] = [
        {"role": "user", "content": "Paris?"},
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Let me check.", "annotations": []}],
        },
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
        {"type": "reasoning", "id": "rs_1", "summary": []},
        {"type": "function_call_output", "call_id": "call_1", "output": "Rain"},
        {"type": "item_reference", "id": "msg_0"},
    ]
    _spec_shaped(items)
    turns = responses_transcript(items).turns
    assert [(turn.role, turn.text) for turn in turns] == [
        ("user", "Paris?"),
        ("assistant", "Let me check."),
        ("tool", "Rain"),
    ]
    assert turns[1].calls == (ToolCall("call_1", "get_weather", "{}"),)


def test_custom_tool_calls_and_outputs_count_as_tool_turns() -> None:
    items = [
        {"role": "user", "content": "Run it"},
        {"type": "custom_tool_call", "call_id": "c1", "name": "shell", "input": "ls"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "README.md"},
    ]
    _spec_shaped(items)
    transcript = responses_transcript(items)
    assert transcript.called_tools == ("shell",)
    assert transcript.turns[-1] == Turn("tool", "README.md", call_id="c1", tool="shell")


def test_legacy_function_calls_and_results_read_as_tool_turns() -> None:
    transcript = chat_transcript(
        [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": "{}"}},
            {"role": "function", "name": "get_weather", "content": "Sunny"},
        ]
    )
    assert transcript.called_tools == ("get_weather",)
    assert transcript.turns[-1] == Turn("tool", "Sunny", tool="get_weather")


def test_only_results_after_the_last_assistant_turn_are_unanswered() -> None:
    messages = [
        *CHAT,
        {"role": "assistant", "content": "It is sunny."},
        {"role": "user", "content": "Thanks"},
    ]
    assert chat_transcript(messages).unanswered_results == ()


class FakeHistory:
    """What the Responses API's store provides: stored chains and conversations."""

    def __init__(self) -> None:
        first = StoredResponse(
            "resp_1", [{"role": "user", "content": "Weather in Paris?"}, _call("call_w", "get_weather")]
        )
        self.chains = {"resp_1": [first]}
        self.conversations = {"conv_1": [{"role": "user", "content": "Earlier question"}]}

    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        return self.chains.get(response_id)

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        return self.conversations.get(conversation_id)


def _call(call_id: str, name: str) -> dict[str, Any]:
    return {"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name, "arguments": "{}"}


def test_a_previous_response_chain_prepends_its_stored_turns() -> None:
    output = [{"type": "function_call_output", "call_id": "call_w", "output": "Sunny"}]
    transcript = responses_transcript(output, previous_response_id="resp_1", history=FakeHistory())
    assert transcript.chain == ("resp_1",)
    assert [turn.role for turn in transcript.turns] == ["user", "assistant", "tool"]
    # The result names its tool although its call lives only in the stored response.
    assert transcript.unanswered_results[0].tool == "get_weather"


def test_an_unknown_previous_response_is_still_the_chain_the_request_names() -> None:
    assert responses_transcript("Hi", previous_response_id="resp_x", history=FakeHistory()).chain == ("resp_x",)
    assert responses_transcript("Hi", previous_response_id="resp_x").chain == ("resp_x",)


def test_a_stored_conversation_prepends_its_items() -> None:
    transcript = responses_transcript("And now?", conversation="conv_1", history=FakeHistory())
    assert [turn.text for turn in transcript.turns] == ["Earlier question", "And now?"]
    assert transcript.conversation == "conv_1"


@pytest.mark.parametrize(
    ("path", "body", "wire"),
    [
        ("/v1/chat/completions", {"messages": []}, "chat"),
        ("/v1/responses", {"input": "Hi", "conversation": {"id": "conv_1"}}, "responses"),
        ("/v1/embeddings", {"input": "Hi"}, None),
        ("/v1/completions", {"prompt": "Hi"}, None),
        ("/v1/models", None, None),
    ],
    ids=["chat", "responses", "embeddings carry no conversation", "completions neither", "no body"],
)
def test_only_chat_and_responses_requests_carry_a_conversation(
    path: str, body: dict[str, Any] | None, wire: str | None
) -> None:
    transcript = request_transcript(path, body, None)
    assert (transcript.wire if transcript is not None else None) == wire


def test_declared_tools_are_read_from_every_spelling() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    chat = {"tools": [{"type": "function", "function": {"name": "a", "parameters": schema}}]}
    legacy = {"functions": [{"name": "b"}]}
    responses = {"tools": [{"type": "function", "name": "c", "parameters": schema}, {"type": "web_search"}]}
    assert declared_tools(chat) == {"a": schema}
    assert declared_tools(legacy) == {"b": {"type": "object"}}
    assert declared_tools(responses) == {"c": schema}


# An abstract agent conversation, rendered on both wires: the transcripts must agree turn for turn.
_words = st.text("abcdefgh ", min_size=1, max_size=8)
_calls = st.lists(st.sampled_from(["get_weather", "get_time", "search"]), min_size=1, max_size=3)
_events = st.lists(
    st.one_of(
        st.tuples(st.just("user"), _words),
        st.tuples(st.just("assistant"), _words),
        st.tuples(st.just("calls"), _calls),
    ),
    min_size=1,
    max_size=6,
)


def _render(events: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Chat puts a reply's text and its calls in one assistant message; Responses sends them as separate items."""
    chat: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for number, (kind, value) in enumerate(events):
        if kind != "calls":
            chat.append({"role": kind, "content": value})
            items.append({"role": kind, "content": value})
            continue
        calls = [
            {"id": f"call_{number}_{position}", "name": name, "arguments": json.dumps({"n": position})}
            for position, name in enumerate(value)
        ]
        if not (chat and chat[-1]["role"] == "assistant" and "tool_calls" not in chat[-1]):
            chat.append({"role": "assistant", "content": None})
        chat[-1]["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls
        ]
        items += [
            {"type": "function_call", "call_id": c["id"], "name": c["name"], "arguments": c["arguments"]} for c in calls
        ]
        chat += [{"role": "tool", "tool_call_id": c["id"], "content": f"result {c['id']}"} for c in calls]
        items += [{"type": "function_call_output", "call_id": c["id"], "output": f"result {c['id']}"} for c in calls]
    return chat, items


@given(_events)
def test_both_wires_agree_turn_for_turn(events: list[tuple[str, Any]]) -> None:
    chat, items = _render(events)
    _spec_shaped(items)
    from_chat, from_items = chat_transcript(chat), responses_transcript(items)
    assert from_chat.turns == from_items.turns
    assert from_chat.dialogue_turns == from_items.dialogue_turns
