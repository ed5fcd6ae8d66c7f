"""Scenarios: scripts compiled into steps, instances walking them by key, generated arguments, teardown data, locks."""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from dataclasses import replace
from typing import Any

import jsonschema
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mockai.contract.registry import default_registry
from mockai.control.matching import RequestView
from mockai.control.rules import ContentReply, ErrorReply
from mockai.control.scenarios import (
    TRANSITIONS,
    Position,
    Progress,
    ScenarioBook,
    Taken,
    advance,
)
from mockai.control.script import compile_script
from mockai.control.transcript import StoredResponse

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "unit", "days"],
    "additionalProperties": False,
}
TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
]
SCRIPT: list[dict[str, Any]] = [
    {"user_says": "weather"},
    {"call": {"name": "get_weather"}},
    {"expect": {"contains": "Sunny"}},
    {"call": {"name": "get_time", "arguments": {}}},
    {"expect": {}},
    {"reply": "Sunny in Paris at 10:00."},
]


def chat(*messages: dict[str, Any], headers: dict[str, str] | None = None, **body: Any) -> RequestView:
    return RequestView(
        "POST", "/v1/chat/completions", headers or {}, {"model": "gpt-4o", "messages": list(messages), **body}, "json"
    )


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def called(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": list(calls)}


def result(call: dict[str, Any], text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call["id"], "content": text}


def taken_reply(taken: Taken | None) -> ContentReply:
    assert taken is not None
    assert isinstance(taken.reply, ContentReply)
    return taken.reply


def walk(book: ScenarioBook, question: str = "What's the weather?", **options: Any) -> list[Taken | None]:
    """Play the agent of SCRIPT: ask, answer each call with a result, until the scenario stops answering."""
    messages = [user(question)]
    steps: list[Taken | None] = []
    for _ in range(4):
        taken = book.take(chat(*messages, tools=TOOLS, **options.get("body", {}), headers=options.get("headers")))
        steps.append(taken)
        if taken is None or not isinstance(taken.reply, ContentReply) or not taken.reply.tool_calls:
            return steps
        calls = taken.reply.tool_calls
        messages += [called(*calls), *(result(call, f"Sunny result of {call['function']['name']}") for call in calls)]
    return steps


def test_a_script_compiles_into_one_step_per_request() -> None:
    steps = compile_script(SCRIPT)
    assert [step.description for step in steps] == [
        "the user says 'weather' -> call get_weather",
        "a result of get_weather contains 'Sunny' -> call get_time",
        "a result of get_time came back -> reply 'Sunny in Paris at 10:00.'",
    ]
    assert [step.reply.finish_reason for step in steps if isinstance(step.reply, ContentReply)] == [
        "tool_calls",
        "tool_calls",
        "stop",
    ]


@pytest.mark.parametrize(
    ("script", "description"),
    [
        ([{"reply": "Hi"}, {"reply": "Bye"}], ["any request -> reply 'Hi'", "any request -> reply 'Bye'"]),
        (
            [{"call": [{"name": "a"}, {"name": "b"}]}, {"expect": {"regex": "ok"}}],
            ["any request -> call a, b", "a result matches 'ok' -> rules or the model answer"],
        ),
        (
            [{"user_says": "go", "reply": "Checking.", "call": {"name": "a"}}],
            ["the user says 'go' -> reply 'Checking.' and call a"],
        ),
        (
            [
                {"when": {"turns": 1}, "reply": {"kind": "error", "status": 429}},
                {"expect": {"of": "x", "content": "1"}},
            ],
            ["turns == 1 -> error 429", "a result of x == '1' -> rules or the model answer"],
        ),
    ],
    ids=["answers only", "parallel calls then a check alone", "checks and answer on one line", "error reply, of"],
)
def test_step_descriptions_read_as_the_script(script: list[dict[str, Any]], description: list[str]) -> None:
    assert [step.description for step in compile_script(script)] == description


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"expect": {"contains": "a", "regex": "b"}}, "expect takes one of content, contains or regex"),
        ({"reply": {"kind": "json", "body": {}}, "call": {"name": "a"}}, "replies with text or nothing"),
        ({"user_says": "("}, "invalid regex"),
    ],
    ids=["two expectations", "json reply beside a call", "bad regex"],
)
def test_scripts_that_cannot_work_are_refused(line: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScenarioBook().add({"script": [line]})


def test_the_state_machine_moves_only_along_its_transitions() -> None:
    assert advance(Position(), 1) == Position(Progress.FINISHED, 1)
    assert advance(advance(Position(), 3), 3) == Position(Progress.RUNNING, 2)
    with pytest.raises(ValueError, match="finished scenario takes no more requests"):
        advance(Position(Progress.FINISHED, 3), 3)
    assert TRANSITIONS[Progress.FINISHED] == frozenset()


def test_an_agent_walks_the_script_to_its_final_answer() -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "script": SCRIPT})
    steps = walk(book)
    assert [(taken.step, taken.of) for taken in steps if taken] == [(1, 3), (2, 3), (3, 3)]
    assert taken_reply(steps[-1]).content == "Sunny in Paris at 10:00."
    first_call = taken_reply(steps[0]).tool_calls or []
    arguments = json.loads(first_call[0]["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER_SCHEMA)  # generated from the declared schema
    assert book.unreached() == []
    assert book.take(chat(user("What's the weather?"), tools=TOOLS)) is None  # finished: it takes nothing more


def test_a_request_that_misses_the_step_does_not_advance() -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "script": SCRIPT})
    first = taken_reply(book.take(chat(user("weather?"), tools=TOOLS))).tool_calls or []
    assert book.take(chat(user("weather?"), called(*first), result(first[0], "Rain"))) is None
    (unreached,) = book.unreached()
    assert (unreached.scenario, unreached.step, unreached.of) == ("weather", 2, 3)
    assert unreached.closest is not None
    assert unreached.closest.mismatches == ("tool result of get_weather: expected contains 'Sunny', got ['Rain']",)
    assert taken_reply(book.take(chat(user("weather?"), called(*first), result(first[0], "Sunny")))).tool_calls


def test_the_closest_request_fails_fewest_conditions_and_on_a_tie_is_the_latest() -> None:
    book = ScenarioBook()
    book.add({"id": "s", "script": [{"when": {"model": "gpt-4", "last_role": "tool"}, "reply": "x"}]})

    def closest_after(number: int, model: str, last: dict[str, Any]) -> str | None:
        book.take(replace(chat(user("q"), last, model=model), number=number))
        (unreached,) = book.unreached()
        return unreached.closest.request if unreached.closest else None

    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    assert closest_after(1, "gpt-4", user("more")) == "#1 POST /v1/chat/completions"
    assert closest_after(2, "gpt-3.5-turbo", user("more")) == "#1 POST /v1/chat/completions"  # two conditions failed
    assert closest_after(3, "gpt-3.5-turbo", result(call, "ok")) == "#3 POST /v1/chat/completions"  # one, later


def test_a_scenario_never_started_reports_its_first_step_and_the_closest_request() -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "script": SCRIPT})
    book.take(chat(user("hello")))
    (unreached,) = book.unreached()
    assert unreached.to_json() == {
        "scenario": "weather",
        "key": None,
        "instance": None,
        "step": 1,
        "of": 3,
        "description": "the user says 'weather' -> call get_weather",
        "closest": {
            "request": "POST /v1/chat/completions",
            "mismatches": ["last user message: expected matches 'weather', got 'hello'"],
        },
    }


@pytest.mark.parametrize(
    ("key", "options_a", "options_b", "shown"),
    [
        ("header:x-session", {"headers": {"x-session": "a"}}, {"headers": {"x-session": "b"}}, "x-session 'a'"),
        ("user", {"body": {"user": "alice"}}, {"body": {"user": "bob"}}, "user 'alice'"),
        (
            "json:metadata.session",
            {"body": {"metadata": {"session": "1"}}},
            {"body": {"metadata": {"session": "2"}}},
            "metadata.session '1'",
        ),
    ],
    ids=["header", "user", "body field"],
)
def test_keyed_instances_walk_the_script_independently(
    key: str, options_a: dict[str, Any], options_b: dict[str, Any], shown: str
) -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "key": key, "script": SCRIPT})
    assert [taken.step for taken in walk(book, **options_a) if taken] == [1, 2, 3]
    # The second session starts from step 1 although the first one finished.
    second = book.take(
        chat(user("weather?"), tools=TOOLS, **options_b.get("body", {}), headers=options_b.get("headers"))
    )
    assert second is not None and second.step == 1
    (unreached,) = book.unreached()
    assert (unreached.step, unreached.instance) == (
        2,
        shown.replace("'a'", "'b'").replace("'alice'", "'bob'").replace("'1'", "'2'"),
    )


def test_a_request_without_the_key_is_a_miss_that_says_so() -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "key": "header:x-session", "script": SCRIPT})
    assert book.take(chat(user("weather?"))) is None
    (miss,) = book.near_misses(chat(user("weather?")))
    assert miss.mismatches == ("key header:x-session: expected a value, got nothing",)


def test_chat_requests_have_no_conversation_to_key_by() -> None:
    book = ScenarioBook()
    book.add({"id": "weather", "key": "conversation", "script": SCRIPT})
    request = chat(user("weather?"))
    assert book.conversation_key(request) is None
    assert book.take(request) is None
    assert book.near_misses(request)[0].mismatches == (
        "key conversation: chat requests carry none (key them by a header or the user)",
    )


def responses(input: Any, **body: Any) -> RequestView:
    return RequestView("POST", "/v1/responses", {}, {"model": "gpt-4o", "input": input, **body}, "json")


def test_responses_conversations_are_keyed_by_conversation_then_by_the_chain_they_continue() -> None:
    book = ScenarioBook()
    assert book.conversation_key(responses("Hi", conversation="conv_1")) == "conversation conv_1"
    assert book.conversation_key(responses("Hi", conversation={"id": "conv_1"})) == "conversation conv_1"
    root = book.conversation_key(responses("Hi"))
    assert root == "chain 1" and book.conversation_key(responses("Hi")) == "chain 2"  # each new chain its own
    numbered = RequestView("POST", "/v1/responses", {}, {"input": "Hi"}, "json", number=4)
    assert book.conversation_key(numbered) == "chain of #4 POST /v1/responses"
    assert book.conversation_key(responses("More", previous_response_id="resp_9")) == "chain resp_9"
    book.bind("resp_1", root)
    assert book.conversation_key(responses("More", previous_response_id="resp_1")) == root


def test_a_conversation_keyed_scenario_follows_its_previous_response_chain() -> None:
    book = ScenarioBook()
    book.add({"id": "two", "key": "conversation", "script": [{"reply": "one"}, {"reply": "two"}]})
    starts = [responses("Hi"), responses("Hi")]
    keys = [book.conversation_key(request) for request in starts]
    first = [book.take(request, conversation=key) for request, key in zip(starts, keys, strict=True)]
    assert [taken.step for taken in first if taken] == [1, 1]  # two chains, two instances
    book.bind("resp_a", keys[0] or "")
    follow = responses("Again", previous_response_id="resp_a")
    taken = book.take(follow, conversation=book.conversation_key(follow))
    assert taken is not None and (taken.step, taken_reply(taken).content) == (2, "two")
    assert [item.key for item in book.unreached()] == [keys[1]]


def test_only_conversation_requests_are_offered_and_text_steps_need_an_endpoint_that_speaks_text() -> None:
    book = ScenarioBook()
    book.add({"script": [{"reply": "Hi"}]})
    assert book.take(RequestView("POST", "/v1/embeddings", {}, {"input": "x"}, "json")) is None
    assert book.take(chat(user("x")), accepts_content=False) is None
    book.add({"script": [{"reply": {"kind": "error", "status": 503}}]})
    taken = book.take(chat(user("x")), accepts_content=False)
    assert taken is not None and isinstance(taken.reply, ErrorReply)


def test_the_newest_scenario_is_offered_first_and_a_scenario_match_limits_what_it_considers() -> None:
    book = ScenarioBook()
    book.add({"id": "old", "script": [{"reply": "old"}]})
    book.add({"id": "new", "match": {"model": "gpt-4"}, "script": [{"reply": "new"}]})
    assert taken_reply(book.take(chat(user("x")))).content == "old"
    assert taken_reply(book.take(chat(user("x"), model="gpt-4"))).content == "new"


def test_adding_a_scenario_again_replaces_it_and_its_progress() -> None:
    book = ScenarioBook()
    book.add({"id": "s", "script": [{"reply": "one"}, {"reply": "two"}]})
    book.take(chat(user("x")))
    book.add({"id": "s", "script": [{"reply": "one"}, {"reply": "two"}]})
    assert taken_reply(book.take(chat(user("x")))).content == "one"
    assert len(book) == 1


def test_call_ids_are_derived_per_instance_unless_given() -> None:
    book = ScenarioBook()
    book.add({"key": "user", "script": [{"call": [{"name": "get_time"}, {"name": "get_time", "id": "mine"}]}]})
    ids = [
        [call["id"] for call in taken_reply(book.take(chat(user("x"), user=name))).tool_calls or []]
        for name in ("a", "b")
    ]
    assert ids[0][1] == ids[1][1] == "mine"
    assert ids[0][0].startswith("call_") and ids[0][0] != ids[1][0]


def test_generated_arguments_are_deterministic() -> None:
    def arguments() -> str:
        book = ScenarioBook()
        book.add({"id": "w", "script": [{"call": {"name": "get_weather"}}]})
        calls = taken_reply(book.take(chat(user("What is the weather in Lyon?"), tools=TOOLS))).tool_calls or []
        return str(calls[0]["function"]["arguments"])

    assert arguments() == arguments()
    assert json.loads(arguments())["city"] == "Lyon"


def test_concurrent_requests_never_take_the_same_step_twice() -> None:
    book = ScenarioBook()
    steps = 600
    book.add({"id": "many", "script": [{"reply": str(number)} for number in range(steps)]})
    answers: list[str] = []
    start = threading.Barrier(8)

    def agent() -> None:
        start.wait()
        for _ in range(100):
            taken = book.take(chat(user("x")))
            if taken is not None:
                answers.append(str(taken_reply(taken).content))

    threads = [threading.Thread(target=agent) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so a race would show
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert Counter(answers) == Counter(str(number) for number in range(steps))  # each step once, none lost


def test_scenario_examples_are_valid_and_compile() -> None:
    for example in default_registry().examples("mockai/scenario"):
        default_registry().validator("mockai/scenario").validate(example)
        ScenarioBook().add(example)


class ScenarioMachine(RuleBasedStateMachine):
    """Random requests from several sessions: each instance only ever moves forward along TRANSITIONS."""

    def __init__(self) -> None:
        super().__init__()
        self.book = ScenarioBook()
        self.scenario = self.book.add({"id": "s", "key": "user", "script": [{"user_says": "go"}, *SCRIPT[1:]]})
        self.seen: dict[str, Position] = {}

    @rule(session=st.sampled_from(["a", "b", "c"]), text=st.sampled_from(["go", "stop"]))
    def ask(self, session: str, text: str) -> None:
        self.book.take(chat(user(text), tools=TOOLS, user=session))

    @rule(session=st.sampled_from(["a", "b"]), outcome=st.sampled_from(["Sunny", "Rain"]))
    def answer_a_call(self, session: str, outcome: str) -> None:
        call = {"id": "call_x", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
        self.book.take(chat(user("go"), called(call), result(call, outcome), tools=TOOLS, user=session))

    @invariant()
    def instances_only_move_forward(self) -> None:
        for key, instance in self.scenario.instances.items():
            position = instance.position
            before = self.seen.get(key, Position())
            assert position.next_step >= before.next_step
            assert position == before or position.state in TRANSITIONS[before.state] | {before.state}
            assert (position.state is Progress.FINISHED) == (position.next_step == len(self.scenario.steps))
            self.seen[key] = position


TestScenarioMachine = ScenarioMachine.TestCase


class ResponsesStore:
    """Stands in for the Responses API's store: what it must provide (history) and do (bind each response)."""

    def __init__(self, book: ScenarioBook) -> None:
        self.book = book
        self.stored: dict[str, tuple[str | None, list[dict[str, Any]]]] = {}  # id -> (previous id, items)

    def response_chain(self, response_id: str) -> list[StoredResponse] | None:
        chain: list[StoredResponse] = []
        current: str | None = response_id
        while current is not None and current in self.stored:
            previous, items = self.stored[current]
            chain.insert(0, StoredResponse(current, items))
            current = previous
        return chain or None

    def conversation_items(self, conversation_id: str) -> None:
        return None

    def create(self, input: list[dict[str, Any]], previous: str | None = None) -> tuple[str, Taken | None]:
        """What the Responses handler does: offer the request, render the step's answer as output items, store it
        and bind its id."""
        body: dict[str, Any] = {
            "model": "gpt-4o",
            "input": input,
            "tools": [{"type": "function", **TOOLS[0]["function"]}],
        }
        if previous is not None:
            body["previous_response_id"] = previous
        request = RequestView("POST", "/v1/responses", {}, body, "json", history=self)
        conversation = self.book.conversation_key(request)
        taken = self.book.take(request, conversation=conversation)
        reply = taken.reply if taken is not None and isinstance(taken.reply, ContentReply) else ContentReply("...")
        output = [
            {
                "type": "function_call",
                "call_id": call["id"],
                "name": call["function"]["name"],
                "arguments": call["function"]["arguments"],
            }
            for call in reply.tool_calls or ()
        ]
        if reply.content is not None:
            output.append({"role": "assistant", "content": [{"type": "output_text", "text": reply.content}]})
        response_id = f"resp_{len(self.stored) + 1}"
        self.stored[response_id] = (previous, [*input, *output])
        assert conversation is not None
        self.book.bind(response_id, conversation)
        return response_id, taken


def test_responses_agents_walk_a_conversation_keyed_scenario_through_their_previous_response_chains() -> None:
    book = ScenarioBook()
    book.add(
        {
            "id": "weather",
            "key": "conversation",
            "script": [
                {"user_says": "weather"},
                {"call": {"name": "get_weather"}},
                {"expect": {"contains": "Sunny"}},  # of get_weather: the call lives in the stored response
                {"reply": "Sunny."},
            ],
        }
    )
    store = ResponsesStore(book)
    first_a, taken_a = store.create([{"role": "user", "content": "weather in Paris?"}])
    first_b, taken_b = store.create([{"role": "user", "content": "weather in Oslo?"}])
    assert taken_a is not None and taken_b is not None and (taken_a.step, taken_b.step) == (1, 1)
    calls = {first: store.stored[first][1][-1] for first in (first_a, first_b)}
    jsonschema.validate(json.loads(calls[first_a]["arguments"]), WEATHER_SCHEMA)
    outputs = {
        first: {"type": "function_call_output", "call_id": call["call_id"], "output": "Sunny"}
        for first, call in calls.items()
    }
    _, final_b = store.create([outputs[first_b]], previous=first_b)
    _, final_a = store.create([outputs[first_a]], previous=first_a)
    assert final_a is not None and final_b is not None
    assert [(final.step, final.key) for final in (final_a, final_b)] == [(2, taken_a.key), (2, taken_b.key)]
    assert taken_reply(final_a).content == "Sunny." and book.unreached() == []
