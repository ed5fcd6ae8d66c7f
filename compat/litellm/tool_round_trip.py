"""litellm tool round trip as its docs show it: the tool result goes back as a `tool` message that carries `name`."""

import json
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import jsonschema
import litellm

weather_parameters = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
    },
    "required": ["location"],
}
tools = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": weather_parameters,
        },
    }
]
messages = [{"role": "user", "content": "What's the weather like in San Francisco?"}]
options = {"model": "gpt-4o-mini", "tools": tools, "timeout": 30, "num_retries": 0}

first = litellm.completion(messages=messages, tool_choice="auto", **options)
message = first.choices[0].message
assert first.choices[0].finish_reason == "tool_calls", first.choices[0].finish_reason
assert message.tool_calls and len(message.tool_calls) == 1, message
call = message.tool_calls[0]
assert call.function.name == "get_current_weather", call.function
arguments = json.loads(call.function.arguments)
jsonschema.validate(arguments, weather_parameters)

messages.append(message)
messages.append(
    {
        "tool_call_id": call.id,
        "role": "tool",
        "name": call.function.name,
        "content": json.dumps({"location": arguments["location"], "temperature": "72", "unit": "fahrenheit"}),
    }
)
second = litellm.completion(messages=messages, **options)

final = second.choices[0]
assert final.finish_reason == "stop", final.finish_reason
assert not final.message.tool_calls, f"called again after the tool answered: {final.message.tool_calls}"
assert isinstance(final.message.content, str) and final.message.content.strip(), final.message

print(
    f"get_current_weather({arguments}) -> tool message with name -> final answer of {len(final.message.content)} chars"
)
