"""Scenarios over HTTP: a real agent loop on the official SDK, sessions side by side, the admin API and rules files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import openai
import pytest
from click.testing import CliRunner

from mockai.contract.registry import default_registry
from mockai.testing import MockAI
from tests.conftest import API_KEY, start_server

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
    "additionalProperties": False,
}
CLOCK = {
    "type": "object",
    "properties": {"timezone": {"type": "string", "enum": ["Europe/Paris", "Asia/Tokyo"]}},
    "required": ["timezone"],
    "additionalProperties": False,
}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather in a city", "parameters": WEATHER},
    },
    {"type": "function", "function": {"name": "get_time", "description": "Local time", "parameters": CLOCK}},
]


def get_weather(city: str, unit: str) -> str:
    return f"Sunny, 22 degrees {unit} in {city}"


def get_time(timezone: str) -> str:
    return "10:00" if timezone == "Europe/Paris" else "17:00"


IMPLEMENTATIONS: dict[str, Callable[..., str]] = {"get_weather": get_weather, "get_time": get_time}


def run_agent(
    client: Any, question: str, *, turns: int = 6, pause: Callable[[], object] = lambda: None, **options: Any
) -> str:
    """A tool-calling agent as users write it on the official SDK: call the model, run the tools it asks for,
    send their results back, until it answers in text. `pause()` runs before each model call."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(turns):
        pause()
        completion = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS, **options)
        message = completion.choices[0].message
        if not message.tool_calls:
            return str(message.content)
        messages.append(
            {
                "role": "assistant",
                "content": message.content,
                "tool_calls": [c.model_dump() for c in message.tool_calls],
            }
        )
        for call in message.tool_calls:
            output = IMPLEMENTATIONS[call.function.name](**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": output})
    raise AssertionError(f"the agent did not answer within {turns} model calls")


def weather_scenario(mock: MockAI, name: str = "weather", *, key: str | None = None, city: str = "Paris") -> Any:
    return (
        mock.scenario(name, key=key)
        .user_says(f"weather in {city}")
        .call("get_weather", {"city": city, "unit": "celsius"})
        .expect_result(contains="Sunny")
        .call("get_time")  # arguments generated from the declared schema
        .expect_result(regex=r"^\d\d:\d\d$")
        .reply(f"It is sunny in {city}, and the local time is on its way.")
    )


def test_an_sdk_agent_loop_walks_a_two_tool_scenario_to_its_final_answer(mock: MockAI, client: Any) -> None:
    scenario = weather_scenario(mock)
    answer = run_agent(client, "What's the weather in Paris right now?")
    assert answer == "It is sunny in Paris, and the local time is on its way."
    assert scenario.finished and mock.unreached_steps() == []
    served = mock.requests.filter(scenario="weather")
    assert [entry.scenario for entry in served] == [
        {"id": "weather", "step": n, "of": 3, "key": None} for n in (1, 2, 3)
    ]
    second_call = served[1].response["choices"][0]["message"]["tool_calls"][0]
    assert second_call["function"]["name"] == "get_time"
    jsonschema.validate(json.loads(second_call["function"]["arguments"]), CLOCK)
    third_request = served[2].json["messages"]
    assert [message["role"] for message in third_request] == ["user", "assistant", "tool", "assistant", "tool"]


RESPONSES_TOOLS = [
    {"type": "function", "name": tool["function"]["name"], "parameters": tool["function"]["parameters"], "strict": True}
    for tool in TOOLS
]


def run_responses_agent(client: Any, question: str, *, chained: bool, turns: int = 6) -> str:
    """The same agent on the Responses API: either chained by `previous_response_id` (only the new items are sent)
    or resending the whole conversation each time (as openai-agents does by default)."""
    conversation: list[Any] = [{"role": "user", "content": question}]
    previous: str | None = None
    pending: list[Any] = list(conversation)
    for _ in range(turns):
        options: dict[str, Any] = {"previous_response_id": previous} if chained and previous else {}
        response = client.responses.create(
            model="gpt-4o-mini", input=pending if chained else conversation, tools=RESPONSES_TOOLS, **options
        )
        calls = [item for item in response.output if item.type == "function_call"]
        if not calls:
            return str(response.output_text)
        results = [
            {
                "type": "function_call_output",
                "call_id": call.call_id,
                "output": IMPLEMENTATIONS[call.name](**json.loads(call.arguments)),
            }
            for call in calls
        ]
        conversation += [*(call.model_dump(exclude_none=True) for call in calls), *results]
        previous, pending = response.id, results
    raise AssertionError(f"the agent did not answer within {turns} model calls")


@pytest.mark.parametrize("chained", [True, False], ids=["chained by previous_response_id", "whole input resent"])
def test_a_responses_agent_loop_walks_the_same_scenario_to_its_final_answer(
    mock: MockAI, client: Any, chained: bool
) -> None:
    scenario = weather_scenario(mock)
    answer = run_responses_agent(client, "What's the weather in Paris right now?", chained=chained)
    assert answer == "It is sunny in Paris, and the local time is on its way."
    assert scenario.finished and mock.unreached_steps() == []
    served = mock.requests.filter(scenario="weather")
    assert [entry.scenario["step"] for entry in served] == [1, 2, 3]
    assert all(entry.path == "/v1/responses" for entry in served)
    second_call = next(item for item in served[1].response["output"] if item["type"] == "function_call")
    assert second_call["name"] == "get_time"
    jsonschema.validate(json.loads(second_call["arguments"]), CLOCK)
    assert ("previous_response_id" in served[2].json) is chained


def test_a_streamed_agent_gets_the_scenario_as_stream_chunks(mock: MockAI, client: Any) -> None:
    mock.scenario("stream").user_says("weather").call("get_weather", {"city": "Oslo", "unit": "celsius"})
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "weather in Oslo?"}], tools=TOOLS, stream=True
    )
    chunks = list(stream)
    arguments = "".join(
        call.function.arguments or "" for chunk in chunks for call in (chunk.choices[0].delta.tool_calls or [])
    )
    assert json.loads(arguments) == {"city": "Oslo", "unit": "celsius"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert mock.requests.last.scenario == {"id": "stream", "step": 1, "of": 1, "key": None}


def test_a_step_that_misses_lets_the_model_answer_and_the_journal_says_why(mock: MockAI, client: Any) -> None:
    mock.scenario("weather").user_says("weather").reply("Sunny.")
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello!"}], max_tokens=5)
    entry = mock.requests.last
    assert entry.scenario is None and entry.rule_id is None
    assert entry.scenario_misses == [
        {
            "scenario": "weather",
            "step": 1,
            "key": None,
            "mismatches": ["last user message: expected matches 'weather', got 'Hello!'"],
        }
    ]
    default_registry().validator("mockai/journal-entry").validate(entry.raw)


def test_an_error_step_makes_the_agent_retry_then_the_script_goes_on(mock: MockAI, client: Any) -> None:
    mock.scenario("flaky").fail(429, headers={"retry-after-ms": "5"}).reply("Recovered.")
    completion = client.with_options(max_retries=1).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert completion.choices[0].message.content == "Recovered."
    assert [(entry.status, entry.scenario["step"]) for entry in mock.requests] == [(429, 1), (200, 2)]


def test_a_final_check_only_step_lets_rules_answer_and_counts_as_reached(mock: MockAI, client: Any) -> None:
    scenario = mock.scenario("checked").user_says("weather").call("get_weather").expect_result(contains="Sunny")
    rule = mock.chat.reply("From the rule.", when=mock.match(last_role="tool"))
    assert run_agent(client, "weather in Rome?") == "From the rule."
    assert scenario.finished and rule.call_count == 1
    assert mock.requests.last.scenario == {"id": "checked", "step": 2, "of": 2, "key": None}


@pytest.mark.parametrize(
    ("key", "session_option"),
    [
        ("header:x-session", lambda name: {"extra_headers": {"x-session": name}}),
        ("user", lambda name: {"user": name}),
    ],
    ids=["keyed by header", "keyed by user"],
)
def test_two_agents_run_concurrently_without_crossing(
    mock: MockAI, client: Any, key: str, session_option: Callable[[str], dict[str, Any]]
) -> None:
    # Two different scripts (one per city) and one shared script walked by both sessions at once.
    weather_scenario(mock, "paris", key=key, city="Paris")
    weather_scenario(mock, "tokyo", key=key, city="Tokyo")
    barrier = threading.Barrier(2, timeout=30)  # both agents make each model call before either makes the next
    answers: dict[str, str] = {}
    failures: list[BaseException] = []

    def agent(session: str, city: str) -> None:
        try:
            answers[session] = run_agent(client, f"weather in {city}?", pause=barrier.wait, **session_option(session))
        except BaseException as exc:  # reported below: an exception in a thread would otherwise vanish
            failures.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=agent, args=args) for args in [("a", "Paris"), ("b", "Tokyo")]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert answers == {
        "a": "It is sunny in Paris, and the local time is on its way.",
        "b": "It is sunny in Tokyo, and the local time is on its way.",
    }
    steps = {(entry.scenario["id"], entry.scenario["key"], entry.scenario["step"]) for entry in mock.requests}
    assert steps == {("paris", "a", n) for n in (1, 2, 3)} | {("tokyo", "b", n) for n in (1, 2, 3)}


def test_one_script_walked_by_many_sessions_at_once(mock: MockAI, client: Any) -> None:
    weather_scenario(mock, key="header:x-session")
    sessions = [f"s{number}" for number in range(4)]
    barrier = threading.Barrier(len(sessions), timeout=30)
    answers: dict[str, str] = {}

    def agent(session: str) -> None:
        try:
            answers[session] = run_agent(
                client, "weather in Paris?", pause=barrier.wait, extra_headers={"x-session": session}
            )
        except threading.BrokenBarrierError:
            pass
        except BaseException:
            barrier.abort()
            raise

    threads = [threading.Thread(target=agent, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) == set(sessions)
    status = mock.scenarios[0]
    assert sorted((item["key"], item["state"]) for item in status["instances"]) == [(s, "finished") for s in sessions]


def test_scenario_documents_round_trip_through_the_admin_api(mock: MockAI, http: httpx.Client) -> None:
    (example, _) = default_registry().examples("mockai/scenario")
    created = http.post(f"{mock.base_url}/_mockai/scenarios", json=example)
    assert created.status_code == 201
    listed = http.get(f"{mock.base_url}/_mockai/scenarios").json()["data"]
    fetched = http.get(f"{mock.base_url}/_mockai/scenarios/weather").json()
    assert listed == [fetched] == [created.json()]
    assert {key: fetched[key] for key in example} == example
    assert fetched["instances"] == [] and fetched["unreached"][0]["step"] == 1
    assert http.delete(f"{mock.base_url}/_mockai/scenarios/weather").json() == {"id": "weather", "deleted": True}
    missing = http.get(f"{mock.base_url}/_mockai/scenarios/weather")
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, "No such scenario: weather")


def test_the_python_handle_sends_the_document_a_yaml_file_would_hold(mock: MockAI) -> None:
    scenario = weather_scenario(mock, key="user")
    assert mock.scenarios[0]["script"] == scenario.document["script"]
    assert mock.scenarios[0]["key"] == "user"


@pytest.mark.parametrize(
    ("document", "param", "message"),
    [
        ({"script": []}, "script", None),
        ({"script": [{"shout": "x"}]}, "script[0].shout", None),
        ({"key": "cookie:x", "script": [{"reply": "x"}]}, "key", None),
        ({"script": [{"expect": {"contains": "a", "content": "b"}}]}, None, "expect takes one of"),
        ({"script": [{"user_says": "("}]}, None, "invalid regex"),
    ],
    ids=["empty script", "unknown line", "unknown key kind", "two expectations", "bad regex"],
)
def test_invalid_scenarios_are_refused_with_the_reason(
    mock: MockAI, http: httpx.Client, document: dict[str, Any], param: str | None, message: str | None
) -> None:
    response = http.post(f"{mock.base_url}/_mockai/scenarios", json=document)
    error = response.json()["error"]
    assert response.status_code == 400
    if param is not None:
        assert error["param"] == param
    if message is not None:
        assert error["code"] == "invalid_control_document" and message in error["message"]


RULES_FILE = """
rules:
  - match: {last_role: tool, tool_result: [{of: lookup, op: contains, value: found}]}
    reply: {kind: content, content: From the rule.}
scenarios:
  - id: lookup
    key: header:x-session
    script:
      - user_says: look it up
      - call: {name: lookup, arguments: {query: mockai}}
      - expect: {contains: found}
"""


def test_rules_and_scenarios_load_from_a_yaml_file_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_FILE)
    server = start_server(rules_file=rules)
    try:
        sdk = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=API_KEY, max_retries=0)
        ask = [{"role": "user", "content": "Please look it up"}]
        options: dict[str, Any] = {"model": "gpt-4o-mini", "extra_headers": {"x-session": "1"}}
        call = sdk.chat.completions.create(messages=ask, **options).choices[0].message.tool_calls[0]
        assert (call.function.name, json.loads(call.function.arguments)) == ("lookup", {"query": "mockai"})
        answered = [*ask, {"role": "assistant", "tool_calls": [call.model_dump()]}]
        answered.append({"role": "tool", "tool_call_id": call.id, "content": "found it"})
        assert sdk.chat.completions.create(messages=answered, **options).choices[0].message.content == "From the rule."
        listed = httpx.get(f"{server.base_url}/_mockai/scenarios").json()["data"]
        assert [item["instances"] for item in listed] == [[{"key": "1", "state": "finished", "next_step": None}]]
        httpx.post(f"{server.base_url}/_mockai/reset")  # back to how the server started: the file's scenario, fresh
        listed = httpx.get(f"{server.base_url}/_mockai/scenarios").json()["data"]
        assert [(item["id"], item["instances"]) for item in listed] == [("lookup", [])]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenarios:\n  - script: [{reply: 1}]\n", "scenario 0 at script/0/reply"),
        ("scenarios:\n  - script: [{expect: {contains: a, regex: b}}]\n", "scenario 0: expect takes one of"),
        ("scenarios: {id: x}\n", "expected 'scenarios' to be a list"),
    ],
    ids=["schema", "script that cannot compile", "not a list"],
)
def test_a_rules_file_with_a_bad_scenario_is_refused_before_the_server_starts(
    tmp_path: Path, text: str, message: str
) -> None:
    from mockai import cli

    path = tmp_path / "rules.yaml"
    path.write_text(text)
    result = CliRunner().invoke(cli.main, ["serve", "--rules", str(path)])
    assert result.exit_code == 2 and message in result.output


def test_a_call_to_a_tool_whose_parameters_admit_no_value_gets_the_real_400(mock: MockAI, http: httpx.Client) -> None:
    mock.scenario("impossible").call("pick")
    impossible = {
        "type": "object",
        "properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}},
        "required": ["n"],
    }
    response = http.post(
        "/v1/chat/completions",
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Pick one"}],
            "tools": [{"type": "function", "function": {"name": "pick", "parameters": impossible}}],
        },
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_function_parameters")
