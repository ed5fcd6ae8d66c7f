"""Conversation-state matchers: the same verdicts on a chat request and on the same conversation sent to Responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from mockai.contract.registry import default_registry
from mockai.control.matching import Pattern, RequestView
from mockai.control.transcript import StoredResponse

CALL = {"id": "call_w", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
CHAT = RequestView(
    "POST",
    "/v1/chat/completions",
    {},
    {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_w", "content": "Sunny, 22 C"},
        ],
    },
    "json",
)
RESPONSES = RequestView(
    "POST",
    "/v1/responses",
    {},
    {
        "model": "gpt-4o",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "function_call", "call_id": "call_w", "name": "get_weather", "arguments": '{"city":"Paris"}'},
            {"type": "function_call_output", "call_id": "call_w", "output": "Sunny, 22 C"},
        ],
    },
    "json",
)


@pytest.mark.parametrize("request_view", [CHAT, RESPONSES], ids=["chat", "responses"])
@pytest.mark.parametrize(
    ("document", "matches"),
    [
        ({"last_role": "tool"}, True),
        ({"last_role": "user"}, False),
        ({"turns": 3}, True),
        ({"turns": {"op": "in", "value": [1, 2]}}, False),
        ({"called": {"get_weather": True}}, True),
        ({"called": {"get_time": False}}, True),
        ({"called": {"get_time": True}}, False),
        ({"tool_result": [{"op": "contains", "value": "Sunny"}]}, True),
        ({"tool_result": [{"of": "get_weather", "op": "regex", "value": r"\d+ C"}]}, True),
        ({"tool_result": [{"of": "call_w", "op": "eq", "value": "Sunny, 22 C"}]}, True),
        ({"tool_result": [{"of": "get_time", "op": "exists", "value": True}]}, False),
        ({"tool_result": [{"of": "get_time", "op": "exists", "value": False}]}, True),
        ({"tool_result": [{"op": "contains", "value": "Rain"}]}, False),
        ({"last_user": {"op": "regex", "value": "Paris"}}, True),
    ],
    ids=[
        "last role",
        "last role differs",
        "turns so far (instructions not counted)",
        "turns not in",
        "tool called",
        "tool not called",
        "tool never called",
        "any result contains",
        "result by tool name, regex",
        "result by call id, equal",
        "no result of that tool",
        "absent result of that tool",
        "result lacks the text",
        "last user message",
    ],
)
def test_conversation_matchers_read_chat_and_responses_alike(
    request_view: RequestView, document: dict[str, Any], matches: bool
) -> None:
    assert default_registry().validator("mockai/rule").is_valid({"match": document, "reply": {"kind": "json"}})
    assert Pattern.from_json(document).matches(request_view) is matches


def test_conversation_mismatches_name_what_was_expected_and_what_came() -> None:
    pattern = Pattern.from_json(
        {
            "last_role": "user",
            "turns": 1,
            "called": {"get_time": True},
            "tool_result": [{"of": "get_weather", "op": "contains", "value": "Rain"}],
        }
    )
    assert pattern.mismatches(RESPONSES) == [
        "last role: expected == 'user', got 'tool'",
        "turns: expected == 1, got 3",
        "tool get_time called: expected == True, got False",
        "tool result of get_weather: expected contains 'Rain', got ['Sunny, 22 C']",
    ]
    assert pattern.describe() == (
        "last role == 'user' and turns == 1 and tool get_time called == True "
        "and tool result of get_weather contains 'Rain'"
    )


def test_requests_without_a_conversation_never_meet_conversation_conditions() -> None:
    embeddings = RequestView("POST", "/v1/embeddings", {}, {"model": "m", "input": "tool"}, "json")
    pattern = Pattern.from_json({"last_role": "tool", "tool_result": [{"op": "exists", "value": True}]})
    assert pattern.mismatches(embeddings) == [
        "last role: expected == 'tool', got nothing",
        "tool result: expected exists, got nothing",
    ]


class OneStoredChain:
    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        if response_id != "resp_2":
            return None
        first = StoredResponse("resp_1", [{"role": "user", "content": "Weather in Paris?"}])
        call = {"type": "function_call", "call_id": "call_w", "name": "get_weather", "arguments": "{}"}
        return [first, StoredResponse("resp_2", [call])]

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        return None


def _continuing(previous: str | None) -> RequestView:
    body: dict[str, Any] = {
        "model": "gpt-4o",
        "input": [{"type": "function_call_output", "call_id": "call_w", "output": "Sunny"}],
    }
    if previous is not None:
        body["previous_response_id"] = previous
    return RequestView("POST", "/v1/responses", {}, body, "json", history=OneStoredChain())


@pytest.mark.parametrize(
    ("previous", "document", "matches"),
    [
        ("resp_2", {"previous_response_id": {"op": "exists", "value": True}}, True),
        (None, {"previous_response_id": {"op": "exists", "value": True}}, False),
        ("resp_2", {"chain": {"op": "contains", "value": "resp_1"}}, True),
        ("resp_2", {"chain": ["resp_1", "resp_2"]}, True),
        ("resp_9", {"chain": ["resp_9"]}, True),
        (None, {"chain": {"op": "exists", "value": False}}, True),
        ("resp_2", {"turns": 3, "called": {"get_weather": True}}, True),
        ("resp_2", {"tool_result": [{"of": "get_weather", "op": "eq", "value": "Sunny"}]}, True),
        (None, {"tool_result": [{"of": "get_weather", "op": "eq", "value": "Sunny"}]}, False),
    ],
    ids=[
        "continues a response",
        "starts a chain",
        "chain contains the first response",
        "the whole chain, oldest first",
        "an unknown previous response is the chain",
        "no chain",
        "the chain's turns count and its calls were made",
        "a result is named by the stored call",
        "without the chain the result's tool is unknown",
    ],
)
def test_the_previous_response_chain_is_read_through_the_history(
    previous: str | None, document: dict[str, Any], matches: bool
) -> None:
    assert Pattern.from_json(document).matches(_continuing(previous)) is matches


@pytest.mark.parametrize(
    "document",
    [
        {"last_role": "tool", "turns": {"op": "in", "value": [3, 5]}},
        {"called": {"get_weather": True, "get_time": False}},
        {"tool_result": [{"op": "contains", "value": "x"}, {"of": "call_1", "op": "exists", "value": False}]},
        {"previous_response_id": {"op": "regex", "value": "^resp_"}, "chain": {"op": "contains", "value": "resp_1"}},
    ],
    ids=["role and turns", "called", "tool results", "chain"],
)
def test_conversation_conditions_survive_a_round_trip_through_json(document: dict[str, Any]) -> None:
    pattern = Pattern.from_json(document)
    assert pattern.to_json() == document
    assert Pattern.from_json(pattern.to_json()) == pattern
