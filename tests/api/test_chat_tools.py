"""Tool calls, legacy function calls and structured `response_format` answers from chat completions."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from mockai.engine.tokenizer import get_encoding

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


def test_a_tool_message_may_carry_the_functions_name(client: Any) -> None:
    # OpenAI's cookbook, litellm's docs and every instructor retry send the tool result with `name` (issue 12).
    call = {"id": "call_1", "type": "function", "function": {"name": "get_current_weather", "arguments": "{}"}}
    result = {"role": "tool", "tool_call_id": "call_1", "content": "22 degrees and sunny"}

    def answer(tool_message: dict[str, Any]) -> Any:
        messages = [*ASK_WEATHER, {"role": "assistant", "content": None, "tool_calls": [call]}, tool_message]
        return client.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER], seed=1)

    named = answer({**result, "name": "get_current_weather"})
    assert named.choices[0].finish_reason == "stop"
    assert named.choices[0].message.content
    # The name is read like any other message name: its tokens, +1.
    name_tokens = len(get_encoding("o200k_base").encode("get_current_weather"))
    assert named.usage.prompt_tokens == answer(result).usage.prompt_tokens + name_tokens + 1


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


def test_json_mode_answers_in_the_shape_the_prompt_spells_out(client: Any) -> None:
    # instructor's JSON mode (and OpenAI's own advice for JSON mode) puts the wanted schema in the system message;
    # pydantic writes nested models as $defs with $refs.
    schema = {
        "$defs": {"Ingredient": {"type": "object", "properties": {"item": {"type": "string"}}, "required": ["item"]}},
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "servings": {"type": "integer", "minimum": 1},
            "ingredients": {"type": "array", "items": {"$ref": "#/$defs/Ingredient"}},
        },
        "required": ["name", "servings", "ingredients"],
    }
    system = f"Reply with an instance of this json_schema:\n\n{json.dumps(schema, indent=2)}\n\nNot the schema itself."
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "A pancake recipe, please."}]
    completion = client.chat.completions.create(
        model="gpt-4o", messages=messages, response_format={"type": "json_object"}
    )
    Draft202012Validator(schema).validate(json.loads(completion.choices[0].message.content))


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
