"""LangChain `with_structured_output` (json_schema, strict): the reply parses into the user's pydantic model."""

from typing import Literal

from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field


class Forecast(BaseModel):
    """A weather forecast for one city."""

    city: str = Field(min_length=1)
    temperature_c: float = Field(ge=-90, le=60)
    conditions: Literal["sunny", "cloudy", "rain", "snow"]
    hourly: list[int] = Field(description="hourly temperatures")


llm = ChatOpenAI(model="gpt-4o-mini", seed=5, max_retries=0, timeout=30)
structured = llm.with_structured_output(Forecast, method="json_schema", strict=True, include_raw=True)

answer = structured.invoke("Give me the forecast for Lisbon.")

assert answer["parsing_error"] is None, answer["parsing_error"]
forecast = answer["parsed"]
assert isinstance(forecast, Forecast), type(forecast)
raw = answer["raw"]
assert raw.response_metadata["finish_reason"] == "stop", raw.response_metadata
assert Forecast.model_validate_json(raw.content) == forecast, raw.content

print(f"parsed {forecast!r}")
