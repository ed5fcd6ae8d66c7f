"""The HTTP chat backend: what it sends, how it reads bodies and streams, and how every failure becomes a code."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mockai.dialogue.backends import HttpChatBackend, upstream_backend
from mockai.dialogue.errors import Code, DialogueError
from mockai.dialogue.replies import ReplyDelta, ReplyDone, ReplyEvent

MESSAGES = [{"role": "user", "content": "如果带了呢"}]


def backend_for(handler: Callable[[httpx.Request], httpx.Response]) -> HttpChatBackend:
    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://upstream.test/v1/")

    return HttpChatBackend(client, {"authorization": "Bearer sk-up"})


def run(backend: HttpChatBackend, *, stream: bool) -> list[ReplyEvent]:
    async def collect() -> list[ReplyEvent]:
        return [e async for e in backend.complete(MESSAGES, model="gpt-3.5-turbo", max_tokens=64, stream=stream)]

    return asyncio.run(collect())


def refusal(backend: HttpChatBackend, *, stream: bool = False) -> DialogueError:
    with pytest.raises(DialogueError) as refused:
        run(backend, stream=stream)
    return refused.value


def completion(content: Any = "带了伞就不会淋湿。") -> dict[str, Any]:
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21},
    }


def sse(*chunks: object, done: bool = True) -> httpx.Response:
    body = "".join(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n" for chunk in chunks)
    if done:
        body += "data: [DONE]\n\n"
    return httpx.Response(200, content=body.encode(), headers={"content-type": "text/event-stream"})


def delta(text: str | None, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text} if text is not None else {}, "finish_reason": finish}]}


def test_a_plain_request_posts_the_conversation_and_reads_the_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion())

    events = run(backend_for(handler), stream=False)
    assert events == [
        ReplyDelta("带了伞就不会淋湿。"),
        ReplyDone({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}, "stop"),
    ]
    assert str(seen[0].url) == "http://upstream.test/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-up"
    assert json.loads(seen[0].content) == {"model": "gpt-3.5-turbo", "messages": MESSAGES, "max_tokens": 64}


def test_a_stream_asks_for_usage_and_yields_each_delta_in_order() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        usage = {"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}}
        return sse(
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
            delta("带了"),
            delta("伞。"),
            delta(None, "stop"),
            usage,
        )

    events = run(backend_for(handler), stream=True)
    assert seen[0]["stream"] is True and seen[0]["stream_options"] == {"include_usage": True}
    assert events == [
        ReplyDelta("带了"),
        ReplyDelta("伞。"),
        ReplyDone({"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}, "stop"),
    ]


def test_a_plain_body_answering_a_stream_request_is_still_understood() -> None:
    events = run(backend_for(lambda _: httpx.Response(200, json=completion("ok"))), stream=True)
    assert events[0] == ReplyDelta("ok")


@pytest.mark.parametrize(
    ("response", "code", "status", "words"),
    [
        (
            httpx.Response(500, json={"error": {"message": "The server had an error"}}),
            Code.UPSTREAM_ERROR,
            502,
            "HTTP 500: The server had an error",
        ),
        (
            httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}}),
            Code.UPSTREAM_ERROR,
            502,
            "HTTP 401: Incorrect API key provided",
        ),
        (httpx.Response(503, text="<html>bad gateway</html>"), Code.UPSTREAM_ERROR, 502, "<html>bad gateway</html>"),
        (
            httpx.Response(429, json={"error": {"message": "Rate limit reached"}}, headers={"retry-after": "7"}),
            Code.UPSTREAM_RATE_LIMITED,
            429,
            "Rate limit reached",
        ),
        (httpx.Response(200, text="not json"), Code.UPSTREAM_BAD_REPLY, 502, "not a chat completion"),
        (httpx.Response(200, json={"choices": []}), Code.UPSTREAM_BAD_REPLY, 502, "not a chat completion"),
        (httpx.Response(200, json=completion(None)), Code.UPSTREAM_BAD_REPLY, 502, "no text content"),
    ],
    ids=["server-error", "auth-error", "html-error", "rate-limited", "not-json", "no-choices", "tool-call-only"],
)
def test_upstream_answers_map_to_dialogue_codes(response: httpx.Response, code: Code, status: int, words: str) -> None:
    refused = refusal(backend_for(lambda _: response))
    assert (refused.code, refused.status) == (code, status)
    assert words in refused.message


def test_a_rate_limit_passes_retry_after_on() -> None:
    response = httpx.Response(429, json={"error": {"message": "slow down"}}, headers={"retry-after": "7"})
    assert refusal(backend_for(lambda _: response)).headers == {"retry-after": "7"}


@pytest.mark.parametrize(
    ("response", "code", "words"),
    [
        (sse(delta("half"), done=False), Code.UPSTREAM_BAD_REPLY, "ended before [DONE]"),
        (
            sse(delta("a"), {"error": {"message": "overloaded", "type": "server_error"}}),
            Code.UPSTREAM_ERROR,
            "overloaded",
        ),
        (
            httpx.Response(200, content=b"data: {broken\n\n", headers={"content-type": "text/event-stream"}),
            Code.UPSTREAM_BAD_REPLY,
            "not JSON",
        ),
        (
            httpx.Response(200, content=b"data: [1]\n\n", headers={"content-type": "text/event-stream"}),
            Code.UPSTREAM_BAD_REPLY,
            "not a JSON object",
        ),
    ],
    ids=["cut-off", "error-frame", "malformed-chunk", "chunk-not-object"],
)
def test_broken_streams_map_to_dialogue_codes(response: httpx.Response, code: Code, words: str) -> None:
    refused = refusal(backend_for(lambda _: response), stream=True)
    assert refused.code == code and words in refused.message


@pytest.mark.parametrize(
    ("exception", "code", "words"),
    [
        (httpx.ConnectError("connection refused"), Code.UPSTREAM_UNREACHABLE, "connection refused"),
        (httpx.ReadTimeout("slow"), Code.UPSTREAM_UNREACHABLE, "timed out"),
        (httpx.RemoteProtocolError("peer closed"), Code.UPSTREAM_BAD_REPLY, "broke off"),
    ],
    ids=["refused", "timeout", "dropped"],
)
def test_transport_failures_map_to_dialogue_codes(exception: Exception, code: Code, words: str) -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        raise exception

    refused = refusal(backend_for(handler))
    assert refused.code == code and words in refused.message


def test_a_closed_port_upstream_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = refusal(upstream_backend(f"http://127.0.0.1:{port}/v1", api_key="sk-x", timeout=5))
    assert refused.code == Code.UPSTREAM_UNREACHABLE and refused.status == 502
