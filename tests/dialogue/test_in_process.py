"""The streaming in-process transport: the app sees a normal request, and its body arrives as the app sends it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from mockai.dialogue.in_process import StreamingASGITransport

Send = Callable[[dict[str, Any]], Awaitable[None]]


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=StreamingASGITransport(app), base_url="http://mockai.internal/v1/")


async def start(send: Send, status: int = 200) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})


def test_each_body_message_arrives_when_the_app_sends_it() -> None:
    release = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        await start(send)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await release.wait()  # only a reader that already got "first" can let the app go on
        await send({"type": "http.response.body", "body": b"second", "more_body": False})

    async def read() -> list[bytes]:
        pieces = []
        async with client(app) as http, http.stream("GET", "stream") as response:
            async for piece in response.aiter_raw():
                pieces.append(piece)
                release.set()
        return pieces

    assert asyncio.run(asyncio.wait_for(read(), timeout=5)) == [b"first", b"second"]


def test_the_app_sees_the_request_as_sent() -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        seen.update(scope, body=(await receive())["body"])
        await start(send, 201)
        await send({"type": "http.response.body", "body": b"ok"})

    async def call() -> httpx.Response:
        async with client(app) as http:
            return await http.post("chat/completions?x=1", json={"a": 1}, headers={"authorization": "Bearer k"})

    response = asyncio.run(call())
    assert (response.status_code, response.text) == (201, "ok")
    assert (seen["method"], seen["path"], seen["query_string"], seen["body"]) == (
        "POST",
        "/v1/chat/completions",
        b"x=1",
        b'{"a":1}',
    )
    assert (b"authorization", b"Bearer k") in seen["headers"]


def test_a_response_the_app_never_finishes_is_a_protocol_error() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        await start(send)
        await send({"type": "http.response.body", "body": b"data: {}\n\n", "more_body": True})

    async def read() -> None:
        async with client(app) as http:
            await http.get("stream")

    with pytest.raises(httpx.RemoteProtocolError, match="before its last body message"):
        asyncio.run(read())


def test_an_app_that_never_answers_is_a_protocol_error() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        return None

    async def call() -> None:
        async with client(app) as http:
            await http.get("nothing")

    with pytest.raises(httpx.RemoteProtocolError, match="without a response"):
        asyncio.run(call())


def test_an_app_failing_after_its_response_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        await start(send, 500)
        await send({"type": "http.response.body", "body": b"error"})
        raise RuntimeError("boom")

    async def call() -> httpx.Response:
        async with client(app) as http:
            return await http.get("fails")

    assert asyncio.run(call()).status_code == 500
    assert "in-process request failed" in caplog.text


def test_a_reader_leaving_mid_stream_stops_the_app() -> None:
    observed: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
        await receive()
        await start(send)
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        try:
            await asyncio.Event().wait()  # an app that would stream forever
        except asyncio.CancelledError:
            observed.append("cancelled")
            raise

    async def leave() -> None:
        async with client(app) as http, http.stream("GET", "stream") as response:
            async for _ in response.aiter_raw():
                break

    asyncio.run(asyncio.wait_for(leave(), timeout=5))
    assert observed == ["cancelled"]
