"""`POST /v1/completions` (and its 0.28 engine twin) through the official SDK and raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.api.test_chat import sse_events
from tests.response_guard import ResponseGuard


def test_the_docs_example(client: Any) -> None:
    completion = client.completions.create(
        model="text-davinci-003", prompt="Say this is a test", max_tokens=7, temperature=0
    )
    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-")
    assert completion.usage.prompt_tokens == 5
    assert completion.usage.completion_tokens <= 7
    assert completion.choices[0].finish_reason in ("stop", "length")


def test_temperature_zero_is_deterministic_without_a_seed(client: Any) -> None:
    texts = {
        client.completions.create(model="davinci", prompt="The weather today", temperature=0).choices[0].text
        for _ in range(3)
    }
    assert len(texts) == 1


def test_default_max_tokens_is_16(client: Any) -> None:
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once", logit_bias={"100257": -100})
    assert completion.usage.completion_tokens == 16
    assert completion.choices[0].finish_reason == "length"


def test_echo_and_logprobs(base_url: str) -> None:
    # A lax client: the echoed prompt's first logprob is `null`, as the real API sends it, and the strict SDK's
    # `List[float]` refuses that (tests/api/test_completion_echo.py).
    with openai.OpenAI(base_url=f"{base_url}/v1", api_key="sk-test") as lax:
        completion = lax.completions.create(
            model="text-davinci-003", prompt="Hello", echo=True, logprobs=2, max_tokens=5, seed=1
        )
    choice = completion.choices[0]
    assert choice.text.startswith("Hello")
    logprobs = choice.logprobs
    assert len(logprobs.tokens) == len(logprobs.token_logprobs) == len(logprobs.text_offset)
    assert all(top is None or len(top) <= 2 for top in logprobs.top_logprobs)
    assert logprobs.text_offset == sorted(logprobs.text_offset)


def test_several_prompts_and_n(client: Any) -> None:
    completion = client.completions.create(model="davinci", prompt=["Rain", "Sun"], n=2, max_tokens=4)
    assert [choice.index for choice in completion.choices] == [0, 1, 2, 3]
    assert completion.usage.prompt_tokens == 2


def test_token_prompts(client: Any) -> None:
    completion = client.completions.create(model="davinci", prompt=[[464, 6193], [40]], max_tokens=2)
    assert completion.usage.prompt_tokens == 3
    assert len(completion.choices) == 2


def test_best_of_picks_server_side(client: Any) -> None:
    completion = client.completions.create(model="davinci", prompt="Hi", n=1, best_of=3, max_tokens=5)
    assert len(completion.choices) == 1
    assert completion.usage.completion_tokens >= len(completion.choices)


def test_streaming_equals_plain(client: Any, base_url: str, response_guard: ResponseGuard) -> None:
    kwargs: dict[str, Any] = {"model": "text-davinci-003", "prompt": "Tell me about rain", "max_tokens": 20, "seed": 4}
    plain = client.completions.create(**kwargs)
    # The SDK types a completion chunk with the non-streamed `Completion`, whose finish_reason may not be null; the
    # real API (and mockai) send null until the last chunk, so strict validation would reject the real API too.
    lax = response_guard.openai(base_url, api_key="sk-test", _strict_response_validation=False)
    chunks = list(lax.completions.create(stream=True, **kwargs))
    assert "".join(chunk.choices[0].text for chunk in chunks) == plain.choices[0].text
    assert [chunk.choices[0].finish_reason for chunk in chunks][-1] == plain.choices[0].finish_reason


def test_stream_framing(http: httpx.Client) -> None:
    response = http.post(
        "/v1/completions",
        json={"model": "davinci", "prompt": "x", "stream": True, "max_tokens": 3, "logit_bias": {"50256": -100}},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    assert {event["object"] for event in events[:-1]} == {"text_completion"}
    assert events[-2]["choices"][0]["finish_reason"] == "length"


def test_the_legacy_engine_route(http: httpx.Client) -> None:
    response = http.post("/v1/engines/davinci/completions", json={"prompt": "Hello", "max_tokens": 3})
    assert response.status_code == 200
    assert response.json()["model"] == "davinci"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        pytest.param({"model": "gpt-3.5-turbo", "prompt": "x"}, 404, "model", id="chat model"),
        pytest.param({"model": "davinci", "prompt": "x", "logprobs": 6}, 400, "logprobs", id="logprobs > 5"),
        pytest.param({"model": "davinci", "prompt": "x", "n": 3, "best_of": 2}, 400, "best_of", id="best_of < n"),
        pytest.param({"model": "davinci", "prompt": "x", "max_tokens": 5000}, 400, None, id="context"),
        pytest.param(
            {"model": "davinci", "prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, 400, "stop", id="five stops"
        ),
    ],
)
def test_refusals(http: httpx.Client, body: dict[str, Any], status: int, param: str | None) -> None:
    response = http.post("/v1/completions", json=body)
    assert response.status_code == status
    assert response.json()["error"]["param"] == param


def test_chat_model_wording(http: httpx.Client) -> None:
    error = http.post("/v1/completions", json={"model": "gpt-4", "prompt": "x"}).json()["error"]
    assert error["message"].startswith("This is a chat model and not supported in the v1/completions endpoint.")


def test_include_usage_adds_a_final_usage_chunk(http: httpx.Client) -> None:
    body = {
        "model": "davinci",
        "prompt": "Hi",
        "max_tokens": 4,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    events = sse_events(http.post("/v1/completions", json=body))
    chunks = events[:-1]
    assert all(chunk["usage"] is None for chunk in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 1
