"""Tool calls, legacy function calls and structured `response_format` answers from chat completions."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "The city, e.g. Boston"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}
ASK_WEATHER = [{"role": "user", "content": "What is the weather like in Boston today?"}]


def test_auto_calls_the_matching_tool_with_valid_arguments(client: Any) -> None:
    completion = client.chat.completions.create(model="gpt-4o", messages=ASK_WEATHER, tools=[WEATHER])
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.id.startswith("call_") and call.function.name == "get_current_weather"
    arguments = json.loads(call.function.arguments)
    Draft202012Validator(WEATHER["function"]["parameters"]).validate(arguments)
    assert arguments["location"] == "Boston"
    assert completion.usage.completion_tokens > 0


def test_auto_answers_in_text_when_no_tool_fits(client: Any) -> None:
    messages = [{"role": "user", "content": "Tell me a story about a cat."}]
    completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content


def test_a_tool_result_gets_a_text_answer(client: Any) -> None:
    messages = [
        *ASK_WEATHER,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_current_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees and sunny"},
    ]
    completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.choices[0].message.content


def test_a_tool_result_carrying_the_function_name_is_accepted(client: Any) -> None:
    # OpenAI's cookbook, litellm and instructor send `name` on the tool message; the spec does not forbid it.
    call = {"id": "call_7", "type": "function", "function": {"name": "get_current_weather", "arguments": "{}"}}
    messages = [
        *ASK_WEATHER,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_7", "name": "get_current_weather", "content": "22 degrees and sunny"},
    ]
    completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER])
    assert completion.choices[0].message.content


def test_a_named_tool_choice_is_always_called(client: Any) -> None:
    messages = [{"role": "user", "content": "hi"}]
    choice = {"type": "function", "function": {"name": "get_current_weather"}}
    completion = client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER], tool_choice=choice)
    assert completion.choices[0].message.tool_calls[0].function.name == "get_current_weather"


def test_required_after_a_tool_result_calls_a_tool_not_yet_called(client: Any) -> None:
    # pydantic-ai's structured output is a `final_result` tool under tool_choice "required": with the weather tool's
    # answer in hand, the model must move on to it rather than look the weather up again and again.
    final_result = {
        "type": "function",
        "function": {
            "name": "final_result",
            "description": "The final response which ends this conversation",
            "parameters": {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]},
        },
    }
    tools = [WEATHER, final_result]
    first = client.chat.completions.create(model="gpt-4o", messages=ASK_WEATHER, tools=tools, tool_choice="required")
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_current_weather"
    messages = [
        *ASK_WEATHER,
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "22 degrees and sunny"},
    ]
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools, tool_choice="required")
    assert [c.function.name for c in second.choices[0].message.tool_calls] == ["final_result"]


def test_tool_choice_none_never_calls(client: Any) -> None:
    completion = client.chat.completions.create(
        model="gpt-4o", messages=ASK_WEATHER, tools=[WEATHER], tool_choice="none"
    )
    assert completion.choices[0].message.tool_calls is None


def test_streamed_tool_calls_accumulate_to_the_same_call(client: Any) -> None:
    kwargs: dict[str, Any] = {"model": "gpt-4o", "messages": ASK_WEATHER, "tools": [WEATHER], "seed": 3}
    plain = client.chat.completions.create(**kwargs).choices[0].message.tool_calls[0]
    name, arguments, finish = "", "", None
    for chunk in client.chat.completions.create(stream=True, **kwargs):
        for call in chunk.choices[0].delta.tool_calls or []:
            name += call.function.name or "" if call.function else ""
            arguments += call.function.arguments or "" if call.function else ""
        finish = chunk.choices[0].finish_reason or finish
    assert (name, arguments, finish) == (plain.function.name, plain.function.arguments, "tool_calls")


def test_legacy_functions_get_a_function_call(client: Any) -> None:
    completion = client.chat.completions.create(
        model="gpt-3.5-turbo-0613",
        messages=ASK_WEATHER,
        functions=[WEATHER["function"]],
        function_call={"name": "get_current_weather"},
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "function_call"
    assert choice.message.function_call.name == "get_current_weather"
    json.loads(choice.message.function_call.arguments)


def test_json_mode_answers_with_a_json_object(client: Any) -> None:
    messages = [{"role": "system", "content": "Answer in JSON."}, *ASK_WEATHER]
    completion = client.chat.completions.create(
        model="gpt-4o", messages=messages, response_format={"type": "json_object"}
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


def test_a_json_schema_answer_validates(client: Any) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number", "minimum": -50, "maximum": 60},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["city", "temperature", "tags"],
        "additionalProperties": False,
    }
    response_format = {"type": "json_schema", "json_schema": {"name": "weather", "schema": schema, "strict": True}}
    completion = client.chat.completions.create(model="gpt-4o", messages=ASK_WEATHER, response_format=response_format)
    Draft202012Validator(schema).validate(json.loads(completion.choices[0].message.content))


def test_a_json_schema_answer_takes_its_words_from_a_message_written_in_parts(client: Any) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    response_format = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    parts = [{"type": "text", "text": "Who is"}, {"type": "text", "text": "Ada Lovelace?"}]
    completion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": parts}], response_format=response_format
    )
    assert json.loads(completion.choices[0].message.content) == {"name": "Ada"}


USER_DETAIL = {
    "properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}},
    "required": ["name", "age"],
    "title": "UserDetail",
    "type": "object",
}
INSTRUCTOR_JSON_MODE = (
    "\n        As a genius expert, your task is to understand the content and provide\n        the parsed objects in "
    f"json that match the following json_schema:\n\n\n        {json.dumps(USER_DETAIL, indent=2)}\n\n        Make sure "
    "to return an instance of the JSON, not the schema itself\n"
)


def test_instructor_json_mode_gets_an_instance_of_the_schema_in_the_system_message(client: Any) -> None:
    messages = [
        {"role": "system", "content": INSTRUCTOR_JSON_MODE},
        {"role": "user", "content": "Extract Jason is 25 years old"},
    ]
    completion = client.chat.completions.create(
        model="gpt-4o", messages=messages, response_format={"type": "json_object"}
    )
    answer = json.loads(completion.choices[0].message.content)
    Draft202012Validator(USER_DETAIL).validate(answer)
    assert answer == {"name": "Jason", "age": 25}


def test_langchain_json_mode_gets_the_keys_its_prompt_names(client: Any) -> None:
    prompt = "Anna is 31 and lives in Berlin. Respond in JSON with the keys name, age and city."
    completion = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": prompt}], response_format={"type": "json_object"}
    )
    assert json.loads(completion.choices[0].message.content) == {"name": "Anna", "age": 31, "city": "Berlin"}


ITERABLE_USER = {
    "type": "function",
    "function": {
        "name": "IterableUser",
        "description": "Correct segmentation of `User` tasks",
        "parameters": {
            "$defs": {"User": USER_DETAIL},
            "properties": {"tasks": {"items": {"$ref": "#/$defs/User"}, "title": "Tasks", "type": "array"}},
            "title": "IterableUser",
            "type": "object",
        },
    },
}


def test_an_optional_array_of_ref_items_gets_one_to_three_valid_items(client: Any) -> None:
    for seed in range(4):
        completion = client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "Extract Jason is 25 and Sarah is 30"}],
            tools=[ITERABLE_USER],
            tool_choice={"type": "function", "function": {"name": "IterableUser"}},
            seed=seed,
        )
        arguments = json.loads(completion.choices[0].message.tool_calls[0].function.arguments)
        Draft202012Validator(ITERABLE_USER["function"]["parameters"]).validate(arguments)
        assert 1 <= len(arguments["tasks"]) <= 3


def _function(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "object", "properties": {}, "additionalProperties": False}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


DICE_TOOLS = [
    _function("roll_die", "Roll a six-sided die and return the result."),
    _function("get_player_name", "Get the player's name."),
]
DICE_SYSTEM = (
    "You're a dice game, you should roll the die and see if the number you get back matches the user's guess. "
    "If so, tell them they're a winner. Use the player's name in the response."
)


def test_the_dice_example_rolls_then_asks_the_name_then_answers(client: Any) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": DICE_SYSTEM},
        {"role": "user", "content": "My guess is 4"},
    ]
    for expected, result in (("roll_die", "4"), ("get_player_name", "Anne")):
        choice = client.chat.completions.create(model="gpt-4o", messages=messages, tools=DICE_TOOLS).choices[0]
        assert choice.finish_reason == "tool_calls"
        call = choice.message.tool_calls[0]
        assert call.function.name == expected and json.loads(call.function.arguments) == {}
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": result},
        ]
    final = client.chat.completions.create(model="gpt-4o", messages=messages, tools=DICE_TOOLS).choices[0]
    assert final.finish_reason == "stop" and final.message.content


@pytest.mark.parametrize(
    ("parameters", "detail"),
    [
        ({"anyOf": [{"$ref": "#"}]}, "a '$ref' cycle"),
        ({"type": "array", "items": {"$ref": "#/$defs/missing"}}, "could not resolve reference"),
        ({"type": "object", "properties": {"n": {"type": "integer", "minimum": "x"}}}, "'x' is not of type 'number'"),
        ({"type": "object", "required": 3}, "3 is not of type 'array'"),
        ({"type": "array", "minItems": 1000000}, "too large to build"),
    ],
    ids=["ref-cycle", "ref-to-nothing", "minimum-not-a-number", "required-as-int", "a-million-items"],
)
def test_tool_parameters_no_arguments_fit_are_a_400_naming_the_parameter(
    http: httpx.Client, parameters: dict[str, Any], detail: str
) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": parameters}}
    body = {"model": "gpt-4o", "messages": ASK_WEATHER, "tools": [WEATHER, tool]}
    response = http.post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        "tools[1].function.parameters",
        "invalid_function_parameters",
    )
    assert error["message"].startswith("Invalid schema for function 'lookup': ") and detail in error["message"]


def test_a_response_schema_no_answer_fits_is_a_400_naming_the_parameter(http: httpx.Client) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "loop", "schema": {"anyOf": [{"$ref": "#"}]}}}
    response = http.post(
        "/v1/chat/completions", json={"model": "gpt-4o", "messages": ASK_WEATHER, "response_format": response_format}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"]) == ("response_format.json_schema.schema", "invalid_json_schema")
    assert error["message"].startswith("Invalid schema for response_format 'loop': ")
