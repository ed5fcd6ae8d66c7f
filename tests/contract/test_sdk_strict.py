"""The official SDK, validating strictly with its own pydantic types, parses what mockai answers generated requests."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from openai.types import Completion, CreateEmbeddingResponse, ModerationCreateResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from mockai.contract import strategies
from tests.conftest import API_KEY
from tests.response_guard import ResponseGuard

# A share of the loaded profile (ci: 25 → 5; nightly: 500 → 100): every example is a few HTTP round trips.
FEW = settings(max_examples=max(3, settings().max_examples // 5), deadline=None,
               suppress_health_check=list(HealthCheck))  # fmt: skip


@FEW
@given(body=strategies.requests("createChatCompletion"))
def test_sync_chat_completions_parse_strictly(client: Any, body: dict[str, Any]) -> None:
    completion = client.chat.completions.create(**body)
    assert isinstance(completion, ChatCompletion)
    assert len(completion.choices) == (body.get("n") or 1)
    assert all(choice.message.role == "assistant" for choice in completion.choices)


@FEW
@given(body=strategies.requests("createChatCompletion"))
def test_streamed_chat_chunks_parse_strictly_and_join_to_the_plain_answer(client: Any, body: dict[str, Any]) -> None:
    plain = client.chat.completions.create(**body)
    joined: dict[int, str] = {}
    for chunk in client.chat.completions.create(**body, stream=True):
        assert isinstance(chunk, ChatCompletionChunk)
        for choice in chunk.choices:
            joined[choice.index] = joined.get(choice.index, "") + (choice.delta.content or "")
    assert joined == {choice.index: choice.message.content or "" for choice in plain.choices}


@FEW
@given(body=strategies.requests("createChatCompletion"))
def test_async_chat_completions_and_streams_parse_strictly(
    base_url: str, response_guard: ResponseGuard, body: dict[str, Any]
) -> None:
    async def exercise() -> None:
        # A client per event loop: an async client's connections belong to the loop that opened them.
        async with response_guard.async_openai(base_url, api_key=API_KEY) as async_client:
            await exercise_with(async_client)

    async def exercise_with(async_client: Any) -> None:
        completion = await async_client.chat.completions.create(**body)
        assert isinstance(completion, ChatCompletion)
        stream = await async_client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})
        chunks = [chunk async for chunk in stream]
        assert all(isinstance(chunk, ChatCompletionChunk) for chunk in chunks)
        streamed_usage, plain_usage = chunks[-1].usage, completion.usage
        assert streamed_usage is not None and plain_usage is not None
        assert streamed_usage.total_tokens == plain_usage.total_tokens

    asyncio.run(exercise())


@FEW
@given(body=strategies.requests("createCompletion"))
def test_completions_parse_strictly_and_their_streams_parse(
    client: Any, base_url: str, response_guard: ResponseGuard, body: dict[str, Any]
) -> None:
    # The SDK types a streamed completion chunk with the non-streamed model, whose finish_reason may not be null,
    # yet the real API sends null until the last chunk: only the SDK's default (non-strict) client reads streams.
    lenient = response_guard.openai(base_url, api_key=API_KEY, _strict_response_validation=False)
    # Likewise an echoed prompt's first token has a null logprob, which the strict `List[float]` refuses.
    scores_prompt = bool(body.get("echo")) and body.get("logprobs") is not None
    assert isinstance((lenient if scores_prompt else client).completions.create(**body), Completion)
    chunks = list(lenient.completions.create(**body, stream=True))
    assert chunks and all(isinstance(chunk, Completion) for chunk in chunks)


@FEW
@given(body=strategies.requests("createEmbedding"))
def test_embeddings_parse_strictly(client: Any, body: dict[str, Any]) -> None:
    # The strict client must ask for floats: with base64 (also the SDK's default) its pydantic check runs before
    # the SDK decodes the vector.
    body["encoding_format"] = "float"
    response = client.embeddings.create(**body)
    assert isinstance(response, CreateEmbeddingResponse)
    assert all(isinstance(value, float) for item in response.data for value in item.embedding)


@FEW
@given(body=strategies.requests("createModeration"))
def test_moderations_parse_strictly(client: Any, body: dict[str, Any]) -> None:
    response = client.moderations.create(**body)
    assert isinstance(response, ModerationCreateResponse)
    expected = len(body["input"]) if isinstance(body["input"], list) else 1
    assert len(response.results) == expected
