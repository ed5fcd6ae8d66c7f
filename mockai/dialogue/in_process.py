"""An httpx transport that calls an ASGI app in-process and hands its response body over as the app sends it.

httpx's own `ASGITransport` collects the whole body before returning, so a chat stream would reach the dialogue in
one piece and its pacing (an injected `pace` fault, say) would be lost. Here the app runs as a task whose `send`
feeds a queue that the response stream reads, so each SSE frame arrives when the app sends it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

import httpx

Message = MutableMapping[str, Any]
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]

logger = logging.getLogger("mockai.dialogue")

_ENDED = "mockai.app_ended"  # queued when the app returns or fails, after whatever it sent


class StreamingASGITransport(httpx.AsyncBaseTransport):
    """Send requests straight to `app`; responses stream.

    >>> transport = StreamingASGITransport(app=lambda scope, receive, send: None)  # any ASGI app
    """

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()  # request bodies here are small JSON documents
        queue: asyncio.Queue[Message] = asyncio.Queue()
        disconnected = asyncio.Event()
        received = False

        async def receive() -> Message:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def run() -> None:
            try:
                await self.app(self._scope(request), receive, queue.put)
            finally:
                # An app failure is the app's to report (its error middleware answers 500 first); here it only
                # means no more messages will come.
                queue.put_nowait({"type": _ENDED})

        task = asyncio.get_running_loop().create_task(run())
        start = await queue.get()
        if start["type"] != "http.response.start":
            await _finish(task)
            raise httpx.RemoteProtocolError("the app ended without a response", request=request)
        stream = _AppStream(queue, task, disconnected)
        return httpx.Response(start["status"], headers=start.get("headers", []), stream=stream, request=request)

    def _scope(self, request: httpx.Request) -> dict[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": self.client,
            "root_path": "",
        }


class _AppStream(httpx.AsyncByteStream):
    def __init__(self, queue: asyncio.Queue[Message], task: asyncio.Task[None], disconnected: asyncio.Event) -> None:
        self._queue = queue
        self._task = task
        self._disconnected = disconnected

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._queue.get()
            if message["type"] == _ENDED:
                await _finish(self._task)
                raise httpx.RemoteProtocolError("the app ended the response before its last body message")
            if message["type"] != "http.response.body":
                continue
            if message.get("body"):
                yield bytes(message["body"])
            if not message.get("more_body", False):
                # Let the app finish (its middleware journals the request after the last body message).
                await _finish(self._task)
                return

    async def aclose(self) -> None:
        if not self._task.done():
            # The reader left mid-response: tell the app, as a closed connection would, then stop it.
            self._disconnected.set()
            self._task.cancel()
        await _finish(self._task)


async def _finish(task: asyncio.Task[None]) -> None:
    """Wait for the app task without taking on its outcome (`wait` never raises it, and our own cancellation still
    propagates); a failure is logged, as the server would log it for an outside request."""
    await asyncio.wait([task])
    if not task.cancelled() and task.exception() is not None:
        logger.error("in-process request failed", exc_info=task.exception())
