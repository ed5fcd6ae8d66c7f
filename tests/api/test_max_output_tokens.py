"""Max output tokens: a completion over the model's cap gets the real 400, naming the parameter the request sent."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

HELLO = [{"role": "user", "content": "Hello!"}]

CAPS = [
    pytest.param("gpt-3.5-turbo", "max_tokens", 5000, 4096, id="gpt-3.5-turbo-max_tokens"),
    pytest.param("gpt-4o", "max_completion_tokens", 20000, 16384, id="gpt-4o-max_completion_tokens"),
    pytest.param("gpt-4.1-nano", "max_tokens", 40000, 32768, id="gpt-4.1-nano-max_tokens"),
    pytest.param("gpt-4o-mini-2030-01-01", "max_completion_tokens", 16385, 16384, id="inferred-snapshot"),
]


@pytest.mark.parametrize(("model", "param", "requested", "cap"), CAPS)
def test_a_completion_over_the_output_cap_gets_the_real_400(
    client: Any, model: str, param: str, requested: int, cap: int
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=HELLO, **{param: requested})
    assert caught.value.body == {
        "message": f"{param} is too large: {requested}. This model supports at most {cap} completion tokens, "
        f"whereas you provided {requested}.",
        "type": "invalid_request_error",
        "param": param,
        "code": "invalid_value",
    }


def test_a_completion_at_the_cap_is_served(client: Any) -> None:
    reply = client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO, max_tokens=4096)
    assert reply.usage.completion_tokens <= 4096


def test_the_2023_models_keep_the_window_error(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "gpt-4", "messages": HELLO, "max_tokens": 8192})
    assert response.json()["error"]["code"] == "context_length_exceeded"
