"""LangChain `bind_tools`: the model calls the tool with valid arguments, the ToolMessage goes back, and a final
answer comes."""

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

calls = []


@tool
def get_weather(city: str, unit: str = "celsius") -> str:
    """Get the current weather for a city."""
    calls.append(city)
    return f"It is 18 degrees {unit} and sunny in {city}."


llm = ChatOpenAI(model="gpt-4o-mini", seed=3, max_retries=0, timeout=30).bind_tools([get_weather])
history = [HumanMessage("What is the weather in Paris right now?")]

asked = llm.invoke(history)
assert isinstance(asked, AIMessage), type(asked)
assert asked.response_metadata["finish_reason"] == "tool_calls", asked.response_metadata
assert len(asked.tool_calls) == 1 and asked.tool_calls[0]["name"] == "get_weather", asked.tool_calls
assert not asked.invalid_tool_calls, asked.invalid_tool_calls
call = asked.tool_calls[0]
get_weather.args_schema.model_validate(call["args"])  # the arguments fit the tool's own schema

result = get_weather.invoke(call)  # a ToolMessage carrying the call's id
assert isinstance(result, ToolMessage) and result.tool_call_id == call["id"], result
assert calls == [call["args"]["city"]], calls
history += [asked, result]

final = llm.invoke(history)
assert isinstance(final, AIMessage), type(final)
assert not final.tool_calls, f"called again after the tool answered: {final.tool_calls}"
assert isinstance(final.content, str) and final.content.strip(), f"no final answer: {final.content!r}"
assert final.response_metadata["finish_reason"] == "stop", final.response_metadata

print(f"get_weather({call['args']}) -> ToolMessage -> final answer of {len(final.content)} chars")
