"""Where answers come from: a `ChatBackend` speaking OpenAI's chat completions over HTTP, in-process or upstream.

Both backends are the same HTTP client. The default one posts to the running mockai app itself through a streaming
ASGI transport (`in_process.py`), so the chat request passes the normal middleware (auth, rules, faults, the request
journal) exactly as an outside client's would; the upstream one posts to any OpenAI-compatible server. Every transport
or protocol failure becomes a `DialogueError`, so the dialogue endpoint never answers 500 for a backend's fault.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx

from mockai.dialogue import errors
from mockai.dialogue.in_process import ASGIApp, StreamingASGITransport
from mockai.dialogue.replies import ChatMessage, ReplyDelta, ReplyDone, ReplyEvent

#: The in-process backend's base URL; the host is never resolved (the transport calls the app directly).
IN_PROCESS_BASE_URL = "http://mockai.internal/v1"
DEFAULT_TIMEOUT = 60.0


class HttpChatBackend:
    """A chat completions client; `client_factory` gives a fresh `httpx.AsyncClient` per conversation turn.

    A client per call (rather than one per app) keeps every connection inside the event loop that made it: two
    mockai apps may share a process, each on its own loop, and shutdown needs no async close hook.
    """

    def __init__(self, client_factory: Callable[[], httpx.AsyncClient], headers: dict[str, str]) -> None:
        self._client_factory = client_factory
        self._headers = headers

    async def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int, stream: bool
    ) -> AsyncIterator[ReplyEvent]:
        body: dict[str, Any] = {"model": model, "messages": list(messages), "max_tokens": max_tokens}
        if stream:
            body.update(stream=True, stream_options={"include_usage": True})
        try:
            async with (
                self._client_factory() as client,
                client.stream("POST", "chat/completions", json=body, headers=self._headers) as response,
            ):
                await _raise_for_status(response)
                if response.headers.get("content-type", "").startswith("text/event-stream"):
                    async for event in _stream_events(response):
                        yield event
                else:
                    for event in _body_events(await response.aread()):
                        yield event
        except httpx.TimeoutException:
            raise errors.upstream_unreachable("the request timed out") from None
        except httpx.RemoteProtocolError as exc:
            raise errors.upstream_bad_reply(f"the connection broke off ({exc})") from None
        except httpx.TransportError as exc:
            raise errors.upstream_unreachable(str(exc) or type(exc).__name__) from None


def in_process_backend(app: ASGIApp, *, api_key: str, organization: str) -> HttpChatBackend:
    """Chat completions from `app` itself, as `organization` (so its fine-tuned models are visible)."""

    def client() -> httpx.AsyncClient:
        transport = StreamingASGITransport(app)
        return httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE_URL + "/", trust_env=False)

    return HttpChatBackend(client, {"authorization": f"Bearer {api_key}", "openai-organization": organization})


def upstream_backend(base_url: str, *, api_key: str | None, timeout: float = DEFAULT_TIMEOUT) -> HttpChatBackend:
    """Chat completions from an OpenAI-compatible server; `base_url` ends with its `/v1`, like `OPENAI_BASE_URL`."""
    # Built once: creating an SSL context costs milliseconds, and every call gets a new client.
    context = httpx.create_ssl_context()

    def client() -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", timeout=timeout, verify=context, trust_env=False)

    return HttpChatBackend(client, {"authorization": f"Bearer {api_key}"} if api_key else {})


async def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    detail = _error_detail(await response.aread())
    if response.status_code == 429:
        raise errors.upstream_rate_limited(detail, response.headers.get("retry-after"))
    raise errors.upstream_error(response.status_code, detail)


def _error_detail(raw: bytes) -> str:
    try:
        document = json.loads(raw)
        message = document["error"]["message"]
    except (ValueError, KeyError, TypeError):
        text = raw.decode("utf-8", "replace").strip()
        return text[:200] or "no details"
    return str(message)


def _body_events(raw: bytes) -> list[ReplyEvent]:
    try:
        document = json.loads(raw)
        choice = document["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise errors.upstream_bad_reply("not a chat completion") from None
    if not isinstance(content, str):
        raise errors.upstream_bad_reply("the answer has no text content")
    return [ReplyDelta(content), ReplyDone(_usage(document.get("usage")), choice.get("finish_reason"))]


async def _stream_events(response: httpx.Response) -> AsyncIterator[ReplyEvent]:
    usage: dict[str, int] | None = None
    finish_reason: str | None = None
    async for line in response.aiter_lines():
        if not line.startswith("data:"):
            continue
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            yield ReplyDone(usage, finish_reason)
            return
        chunk = _chunk(data)
        if "error" in chunk:
            raise errors.upstream_error(response.status_code, _error_detail(data.encode()))
        usage = _usage(chunk.get("usage")) or usage
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and choice.get("index", 0) == 0:
                finish_reason = choice.get("finish_reason") or finish_reason
                text = (choice.get("delta") or {}).get("content")
                if isinstance(text, str) and text:
                    yield ReplyDelta(text)
    raise errors.upstream_bad_reply("the stream ended before [DONE]")


def _chunk(data: str) -> dict[str, Any]:
    try:
        chunk = json.loads(data)
    except ValueError:
        raise errors.upstream_bad_reply("a stream chunk is not JSON") from None
    if not isinstance(chunk, dict):
        raise errors.upstream_bad_reply("a stream chunk is not a JSON object")
    return chunk


def _usage(raw: object) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    return {key: value for key, value in raw.items() if isinstance(value, int) and not isinstance(value, bool)}
