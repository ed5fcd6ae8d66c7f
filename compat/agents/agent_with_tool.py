"""openai-agents with its default model (the Responses API): an agent calls its function tool, gets the result
back, and runs to a final answer."""

from agents import Agent, Runner, function_tool, set_tracing_disabled
from agents.items import ToolCallItem, ToolCallOutputItem
from agents.models import get_default_model

set_tracing_disabled(True)  # traces would be exported to OpenAI's servers; an offline CI turns them off
looked_up: list[str] = []


@function_tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    looked_up.append(city)
    return f"18 degrees and sunny in {city}"


agent = Agent(name="Forecaster", instructions="Answer with the tools you have.", tools=[get_weather])
assert agent.model is None, "this check is about the default model"

result = Runner.run_sync(agent, "What is the weather in Lisbon?", max_turns=5)

assert len(looked_up) == 1 and looked_up[0], looked_up
calls = [item for item in result.new_items if isinstance(item, ToolCallItem)]
outputs = [item for item in result.new_items if isinstance(item, ToolCallOutputItem)]
assert len(calls) == 1 and len(outputs) == 1, result.new_items
assert outputs[0].output == f"18 degrees and sunny in {looked_up[0]}", outputs[0].output
assert isinstance(result.final_output, str) and result.final_output.strip(), result.final_output
usage = result.context_wrapper.usage
assert usage.requests == 2 and usage.input_tokens + usage.output_tokens == usage.total_tokens, usage

print(f"{get_default_model()}: get_weather({looked_up[0]!r}) then a final answer of {len(result.final_output)} chars")
