"""Golden bytes: seeded requests under a frozen clock answer with exactly the bodies recorded in `golden/`.

Every text-generating wire format (chat completions, completions, edits; plain and streamed; generated, decided and
scripted replies) is pinned here, so a change to how replies are planned or rendered cannot shift a single byte
unnoticed. The recordings were taken from the server before the generation core was introduced. Regenerate them only
for an intended behaviour change: `.venv/bin/python -m tests.api.test_golden_bytes`, then review the diff.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY, start_server

GOLDEN = Path(__file__).parent / "golden"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
            "required": ["location", "unit"],
        },
    },
}
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 120}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
WEATHER_QUESTION = [{"role": "user", "content": "What's the weather like in Boston today?"}]
HISTORY = [
    {"role": "system", "content": "You are a helpful assistant."},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "Look at this"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {"type": "text", "text": "and tell me the weather in Oslo."},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"location": "Oslo", "unit": "celsius"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "12 degrees and rain"},
    {"role": "assistant", "content": "It is 12 degrees and raining in Oslo.", "name": "helper"},
    {"role": "user", "content": "Should I bring an umbrella?", "name": "kim"},
]
LEGACY_HISTORY = [
    {"role": "user", "content": "What is the weather in Rome?"},
    {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "get_weather", "arguments": '{"location": "Rome"}'},
    },
    {"role": "function", "name": "get_weather", "content": "sunny, 25 degrees"},
]


def _chat(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/chat/completions", {"model": "gpt-3.5-turbo", "seed": 7, **fields}


def _completion(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/completions", {"model": "gpt-3.5-turbo-instruct", "seed": 7, **fields}


def _edit(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/edits", {"model": "text-davinci-edit-001", **fields}


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


STREAM = {"stream": True, "stream_options": {"include_usage": True}}
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "chat_n2": _chat(messages=_user("Tell me about the weather in Paris."), n=2, max_tokens=12),
    "chat_n2_stream": _chat(messages=_user("Tell me about the weather in Paris."), n=2, max_tokens=12, **STREAM),
    "chat_logprobs": _chat(messages=_user("Hello!"), max_tokens=6, logprobs=True, top_logprobs=2),
    "chat_logprobs_stream": _chat(messages=_user("Hello!"), max_tokens=6, logprobs=True, top_logprobs=2, stream=True),
    "chat_stop": _chat(messages=_user("Count to ten please."), max_tokens=20, stop=["e", "\n"]),
    "chat_gpt4o_history": _chat(model="gpt-4o-mini", messages=HISTORY, max_tokens=10, tools=[WEATHER_TOOL]),
    "chat_tools": _chat(messages=WEATHER_QUESTION, tools=[WEATHER_TOOL], logprobs=True, top_logprobs=1),
    "chat_tools_stream": _chat(messages=WEATHER_QUESTION, tools=[WEATHER_TOOL], **STREAM),
    "chat_tools_required_n2": _chat(messages=_user("hi"), tools=[WEATHER_TOOL], tool_choice="required", n=2),
    "chat_tools_cut": _chat(messages=WEATHER_QUESTION, tools=[WEATHER_TOOL], max_tokens=3),
    "chat_tool_result_answer": _chat(messages=HISTORY[:4], tools=[WEATHER_TOOL], max_tokens=8),
    "chat_legacy_functions": _chat(messages=_user("Weather in Rome?"), functions=[WEATHER_TOOL["function"]]),
    "chat_legacy_functions_stream": _chat(
        messages=_user("Weather in Rome?"), functions=[WEATHER_TOOL["function"]], stream=True
    ),
    "chat_legacy_function_result": _chat(messages=LEGACY_HISTORY, functions=[WEATHER_TOOL["function"]], max_tokens=8),
    "chat_json_object": _chat(
        messages=_user("Describe Paris as JSON."), response_format={"type": "json_object"}, max_tokens=10
    ),
    "chat_json_schema": _chat(
        messages=_user("Who is Ada Lovelace?"),
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}},
        max_tokens=40,
        n=2,
    ),
    "chat_json_schema_stream": _chat(
        messages=_user("Who is Ada Lovelace?"),
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}},
        max_tokens=40,
        logprobs=True,
        **STREAM,
    ),
    "completion_echo_logprobs": _completion(prompt="Say this is a test", max_tokens=6, echo=True, logprobs=2),
    "completion_best_of": _completion(prompt="Once upon a time", max_tokens=8, n=2, best_of=3, logprobs=1),
    "completion_prompts_stream": _completion(
        prompt=["The sky is", "Water is"], max_tokens=5, n=2, echo=True, logprobs=1, **STREAM
    ),
    "completion_token_prompts": _completion(prompt=[[9906, 11, 1917], [791, 4062]], max_tokens=5),
    "completion_davinci_stop": _completion(model="davinci", prompt="Roses are red,", max_tokens=12, stop="\n"),
    "edit_correction": _edit(input="What day of the wek is it?", instruction="Fix the spelling mistakes"),
    "edit_addition_n2": _edit(input="The cat sat.", instruction="Continue the story", n=2),
    "scripted_chat_stream": _chat(messages=_user("SCRIPTED text"), n=2, logprobs=True, top_logprobs=1, **STREAM),
    "scripted_chat_cut": _chat(messages=_user("SCRIPTED text"), max_tokens=2),
    "scripted_chat_tool_calls": _chat(messages=_user("SCRIPTED calls"), tools=[WEATHER_TOOL]),
    "scripted_chat_tool_calls_stream": _chat(messages=_user("SCRIPTED calls"), tools=[WEATHER_TOOL], **STREAM),
    "scripted_completion_stream": _completion(prompt="SCRIPTED", max_tokens=4, echo=True, **STREAM),
    "scripted_completion_best_of": _completion(prompt="SCRIPTED", max_tokens=30, n=1, best_of=2, logprobs=1),
    "scripted_edit": _edit(input="SCRIPTED", instruction="Rewrite it"),
}


def _script(handle: MockAI) -> None:
    handle.chat.reply("Scripted answer, in a few words.", when=handle.match(last_user="SCRIPTED text"))
    calls = [
        {"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Paris"}'}},
        {"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "Oslo"}'}},
    ]
    handle.chat.reply(tool_calls=calls, when=handle.match(last_user="SCRIPTED calls"))
    handle.completions.reply(" is a scripted completion.", when=handle.match(json__prompt="SCRIPTED"))
    handle.edits.reply("A scripted edit.", when=handle.match(json__input="SCRIPTED"))


@pytest.fixture(scope="module")
def golden_server() -> Iterator[ServerThread]:
    running = start_server(seed=1234)
    handle = MockAI(running.base_url, api_key=API_KEY)
    _script(handle)
    handle.close()
    yield running
    running.stop()


def _answer(base_url: str, path: str, body: dict[str, Any]) -> bytes:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as http:
        response = http.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_answer_is_byte_for_byte_the_recorded_one(golden_server: ServerThread, case: str) -> None:
    path, body = CASES[case]
    expected = (GOLDEN / f"{case}.txt").read_bytes()
    assert _answer(golden_server.base_url, path, body).decode() == expected.decode()


def _record() -> None:
    server = start_server(seed=1234)
    try:
        handle = MockAI(server.base_url, api_key=API_KEY)
        _script(handle)
        handle.close()
        GOLDEN.mkdir(exist_ok=True)
        for case, (path, body) in sorted(CASES.items()):
            (GOLDEN / f"{case}.txt").write_bytes(_answer(server.base_url, path, body))
    finally:
        server.stop()


if __name__ == "__main__":
    _record()
