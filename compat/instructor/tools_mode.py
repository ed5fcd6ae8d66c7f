"""instructor `create` in its default TOOLS mode: the forced tool call parses into the user's pydantic model."""

from typing import Literal

import instructor
from openai import OpenAI
from pydantic import BaseModel, Field


class Ticket(BaseModel):
    """A support ticket extracted from a customer's message."""

    title: str = Field(min_length=1)
    priority: Literal["low", "medium", "high"]
    tags: list[str]
    estimate_hours: float = Field(ge=0)


client = instructor.from_openai(OpenAI(timeout=30, max_retries=0))
assert client.mode == instructor.Mode.TOOLS, client.mode

ticket, completion = client.chat.completions.create_with_completion(
    model="gpt-4o-mini",
    response_model=Ticket,
    messages=[{"role": "user", "content": "My invoice export crashes every time since the update. Please help!"}],
    max_retries=0,  # no reask: the first answer must already validate
)

assert isinstance(ticket, Ticket), type(ticket)
choice = completion.choices[0]
assert [call.function.name for call in choice.message.tool_calls] == ["Ticket"], choice.message.tool_calls
assert Ticket.model_validate_json(choice.message.tool_calls[0].function.arguments).model_dump() == ticket.model_dump()
usage = completion.usage
assert usage.prompt_tokens + usage.completion_tokens == usage.total_tokens, usage

print(f"parsed {ticket!r}")
