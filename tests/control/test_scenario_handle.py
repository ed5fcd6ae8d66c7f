"""The Python vocabulary of scenarios and conversation matchers compiles to valid documents, refusing bad arguments."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.contract.registry import default_registry
from mockai.control.scenarios import ScenarioBook
from mockai.testing import Match, Scenario, unreached_steps_message
from tests.control.test_testing_handle import RecordingMockAI


def _valid(schema: str, document: Any) -> bool:
    return default_registry().validator(schema).is_valid(document)


LINES = {
    "user_says": lambda scenario: scenario.user_says(r"weather in \w+"),
    "expect": lambda scenario: scenario.expect_result(contains="Sunny"),
    "expect regex of": lambda scenario: scenario.expect_result(regex=r"\d+", of="call_1"),
    "expect anything": lambda scenario: scenario.expect_result(),
    "when": lambda scenario: scenario.when(Match(turns=3, header__x_agent="planner")),
    "call": lambda scenario: scenario.call("get_weather", {"city": "Paris"}),
    "call generated": lambda scenario: scenario.call("get_time", id="call_t"),
    "also_call": lambda scenario: scenario.call("a").also_call("b", '{"x": 1}'),
    "reply": lambda scenario: scenario.reply("It is sunny."),
    "fail": lambda scenario: scenario.fail(429, headers={"retry-after": "1"}),
}


@given(
    st.lists(st.sampled_from(sorted(LINES)), min_size=1, max_size=8),
    st.sampled_from([None, "user", "header:x-session", "conversation", "json:metadata.session"]),
)
def test_every_line_leaves_a_valid_scenario_on_the_server(lines: list[str], key: str | None) -> None:
    recorder = RecordingMockAI()
    scenario = recorder.scenario("s", key=key, when=Match(model="gpt-4o"))
    for line in lines:
        LINES[line](scenario)
    documents = [document for _, path, document in recorder.sent if path == "/scenarios"]
    assert documents and documents[-1] == scenario.document
    for document in documents:
        assert _valid("mockai/scenario", document), document
        ScenarioBook().add(document)  # and it compiles


def test_the_chain_reads_as_the_document_it_sends() -> None:
    recorder = RecordingMockAI()
    (
        recorder.scenario("weather", key="user")
        .user_says("weather")
        .call("get_weather", {"city": "Paris"})
        .also_call("get_time")
        .expect_result(contains="Sunny", of="get_weather")
        .reply("Sunny.")
    )
    assert recorder.sent[-1] == (
        "POST",
        "/scenarios",
        {
            "id": "weather",
            "key": "user",
            "script": [
                {"user_says": "weather"},
                {"call": [{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time"}]},
                {"expect": {"of": "get_weather", "contains": "Sunny"}},
                {"reply": "Sunny."},
            ],
        },
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda m: m.scenario(""), "name='' must be 1 to 128 characters"),
        (lambda m: m.scenario("s", key="cookie:x"), "key='cookie:x' must be"),
        (lambda m: m.scenario("s").user_says("("), "invalid regex"),
        (lambda m: m.scenario("s").expect_result(contains="a", regex="b"), "one of contains, regex or content"),
        (lambda m: m.scenario("s").expect_result(regex="["), "invalid regex"),
        (lambda m: m.scenario("s").also_call("f"), "also_call\\(\\) adds to an answer"),
        (lambda m: m.scenario("s").call(""), "must name a tool"),
        (lambda m: m.scenario("s").fail(200), "status=200"),
        (lambda m: m.match(called__exists=True), "unknown lookup"),
    ],
    ids=[
        "empty name",
        "unknown key kind",
        "bad user_says regex",
        "two expectations",
        "bad expect regex",
        "also_call first",
        "nameless call",
        "success status as failure",
        "called with an operator",
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(build: Any, message: str) -> None:
    recorder = RecordingMockAI()
    with pytest.raises(ValueError, match=message):
        build(recorder)
    assert recorder.sent == []


@pytest.mark.parametrize(
    ("lookups", "document"),
    [
        ({"last_role": "tool"}, {"last_role": "tool"}),
        ({"turns__in": [3, 5]}, {"turns": {"op": "in", "value": [3, 5]}}),
        ({"called": "get_weather"}, {"called": {"get_weather": True}}),
        ({"called": ["a", "b"], "called__c": False}, {"called": {"a": True, "b": True, "c": False}}),
        ({"tool_result__contains": "Sunny"}, {"tool_result": [{"op": "contains", "value": "Sunny"}]}),
        ({"tool_result__call_1__exists": False}, {"tool_result": [{"of": "call_1", "op": "exists", "value": False}]}),
        ({"previous_response_id__exists": True}, {"previous_response_id": {"op": "exists", "value": True}}),
        ({"chain__contains": "resp_1"}, {"chain": {"op": "contains", "value": "resp_1"}}),
    ],
    ids=[
        "last role",
        "turns in",
        "called",
        "called list and not called",
        "any result",
        "no result of a call",
        "continues",
        "chain",
    ],
)
def test_conversation_lookups_compile_to_valid_rule_documents(
    lookups: dict[str, Any], document: dict[str, Any]
) -> None:
    match = Match(**lookups)
    assert match.document == document
    assert _valid("mockai/rule", {"match": match.document, "reply": {"kind": "content", "content": "x"}})


def test_conversation_lookups_combine_with_and() -> None:
    combined = Match(called="a", tool_result__contains="x") & Match(called__b=False, tool_result__a__regex="y")
    assert combined.document == {
        "called": {"a": True, "b": False},
        "tool_result": [{"op": "contains", "value": "x"}, {"of": "a", "op": "regex", "value": "y"}],
    }


def test_also_call_after_a_check_is_refused_and_sends_nothing_more() -> None:
    recorder = RecordingMockAI()
    scenario = recorder.scenario("s").user_says("x")
    with pytest.raises(ValueError, match="call\\(\\) or reply\\(\\) must come right before it"):
        scenario.also_call("f")
    assert len(recorder.sent) == 1 and scenario.document["script"] == [{"user_says": "x"}]


def test_a_scenario_handle_is_exported_for_annotations() -> None:
    assert isinstance(RecordingMockAI().scenario("s"), Scenario)


def test_the_unreached_steps_message_names_scenario_step_and_closest_request() -> None:
    unreached: list[dict[str, Any]] = [
        {
            "scenario": "weather",
            "instance": "x-session 'a'",
            "step": 2,
            "of": 3,
            "description": "a result of get_weather contains 'Sunny' -> call get_time",
            "closest": {
                "request": "#2 POST /v1/chat/completions",
                "mismatches": ["tool result of get_weather: expected contains 'Sunny', got ['Rain']"],
            },
        },
        {"scenario": "booking", "instance": None, "step": 1, "of": 1, "description": "any request -> reply 'x'"},
    ]
    assert unreached_steps_message(unreached).splitlines() == [
        "mockai: 2 scenario steps were never reached:",
        "  - scenario 'weather' (x-session 'a'), step 2 of 3: "
        "a result of get_weather contains 'Sunny' -> call get_time",
        "    closest request: #2 POST /v1/chat/completions",
        "      tool result of get_weather: expected contains 'Sunny', got ['Rain']",
        "  - scenario 'booking', step 1 of 1: any request -> reply 'x'",
        "    no request tried this step",
        "If a step is optional, end the scenario before it or mark the test with "
        "@pytest.mark.mockai(assert_all_steps_reached=False).",
    ]
