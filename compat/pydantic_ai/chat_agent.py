"""pydantic-ai with an explicit Chat Completions model: the agent calls its tool, gets the result back, and ends
with a structured output of the user's type."""

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.messages import ToolCallPart, ToolReturnPart
from pydantic_ai.models.openai import OpenAIChatModel


class Forecast(BaseModel):
    city: str = Field(min_length=1)
    temperature_c: float
    summary: str


agent = Agent(OpenAIChatModel("gpt-4o-mini"), output_type=Forecast, instructions="Use the tools.")
looked_up: list[str] = []


@agent.tool_plain
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    looked_up.append(city)
    return f"18 degrees and sunny in {city}"


result = agent.run_sync("What is the weather in Lisbon?")

assert isinstance(result.output, Forecast), type(result.output)
assert len(looked_up) == 1 and looked_up[0], looked_up
parts = [part for message in result.all_messages() for part in message.parts]
calls = [part for part in parts if isinstance(part, ToolCallPart)]
returns = [part for part in parts if isinstance(part, ToolReturnPart)]
assert calls[0].tool_name == "get_weather", calls
assert returns[0].tool_name == "get_weather" and returns[0].tool_call_id == calls[0].tool_call_id, returns
usage = result.usage
assert usage.requests >= 2 and usage.input_tokens > 0 and usage.output_tokens > 0, usage

print(f"get_weather({looked_up[0]!r}) then output {result.output!r} in {usage.requests} requests")
