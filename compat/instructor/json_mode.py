"""instructor in JSON mode: `response_format: json_object`, and the JSON reply parses into the user's model."""

import instructor
from openai import OpenAI
from pydantic import BaseModel, Field


class Recipe(BaseModel):
    name: str = Field(min_length=1)
    servings: int = Field(ge=1)
    ingredients: list[str]


client = instructor.from_openai(OpenAI(timeout=30, max_retries=0), mode=instructor.Mode.JSON)

recipe, completion = client.chat.completions.create_with_completion(
    model="gpt-4o-mini",
    response_model=Recipe,
    messages=[{"role": "user", "content": "A simple pancake recipe, please."}],
    max_retries=0,
)

assert isinstance(recipe, Recipe), type(recipe)
message = completion.choices[0].message
assert not message.tool_calls, message.tool_calls
assert Recipe.model_validate_json(message.content).model_dump() == recipe.model_dump(), message.content

print(f"parsed {recipe!r}")
