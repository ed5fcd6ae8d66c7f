"""Server-Sent Events framing: `data: {json}\\n\\n` frames, `data: [DONE]` last, an error frame if a stream breaks.

Once a stream has started its status can no longer change, so this is the only other place (besides
`responses.error_response`) where an `OpenAIError` becomes bytes. Stream faults (a dropped connection, a malformed
chunk) and pacing are applied here, to frames that are otherwise exactly the normal ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from mockai import errors
from mockai.api.responses import dump_json
from mockai.control.faults import Strikes

logger = logging.getLogger("mockai.sse")

DONE_FRAME = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def frame(data: object) -> bytes:
    """One SSE event carrying a JSON payload."""
    return b"data: " + dump_json(data) + b"\n\n"


def named_frame(data: Mapping[str, Any]) -> bytes:
    """One SSE event named by its payload's `type` (`event: response.created`), as the Responses API sends them."""
    return b"event: " + str(data.get("type", "message")).encode() + b"\n" + frame(data)


async def pace(seconds: float) -> None:
    """The one real sleep in the server: injected latency and stream pacing, which clients observe.

    World time never comes from here (see `state/clock.py`); only what a client's timeout would see does.
    """
    if seconds > 0:
        await asyncio.sleep(seconds)


def malformed(data: bytes) -> bytes:
    """A frame cut off mid-JSON, as a proxy that mangles a stream would deliver it (an `event:` line kept)."""
    start = data.find(b"data: ") + len(b"data: ")
    payload = data[start:-2]
    return data[:start] + payload[: max(1, len(payload) // 2)] + b"\n\n"


async def _faulty(frames: AsyncIterator[bytes], strikes: Strikes, dropped: list[bool]) -> AsyncIterator[bytes]:
    await pace(strikes.ttft)
    sent = 0
    async for data in frames:
        if strikes.drop_after_chunks is not None and sent >= strikes.drop_after_chunks:
            dropped.append(True)
            return
        if sent:
            await pace(strikes.chunk_interval)
        sent += 1
        yield malformed(data) if sent == strikes.malformed_at and data != DONE_FRAME else data


# Set while a response that may drop its stream is being served; holds True once it has dropped on purpose.
_DROPPING: ContextVar[list[bool] | None] = ContextVar("mockai_dropping_stream", default=None)
UNCOMPLETED_RESPONSE = "ASGI callable returned without completing response"


class DroppedStreamLogFilter(logging.Filter):
    """Keep uvicorn from logging an error for a stream a `drop_stream` fault cut on purpose.

    uvicorn closes the connection of an app that returns mid-response (what a dropped stream is) and logs that as an
    ERROR, which would land in the output of a test that asked for exactly that. It logs from the task that ran the
    app, so the context variable set there tells an intended drop from a real bug, which is still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DROPPING.get() and record.getMessage().startswith(UNCOMPLETED_RESPONSE))


class EventStreamResponse(StreamingResponse):
    """A `StreamingResponse` that stops streaming when the client disconnects, watched by one small task.

    Starlette streams from a child task of an anyio task group while the request's task listens for the disconnect,
    which costs a short stream more CPU than writing all its frames. Here the request's own task streams, and a
    listener task cancels it if the client goes first (and is cancelled itself when the stream ends).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        streaming = asyncio.current_task()
        assert streaming is not None, "ASGI apps run in a task"
        watch = _DisconnectWatch(streaming)
        listener = asyncio.create_task(watch.listen(receive))
        try:
            await self.stream_response(send)
        except asyncio.CancelledError:
            if not watch.client_left:
                raise
            streaming.uncancel()  # the listener's own cancellation: the stream simply ends here
        finally:
            watch.streaming = False  # no await since the stream ended, so the listener cannot have acted since
            listener.cancel()
        if listener.done() and not listener.cancelled():
            listener.result()  # a receive that failed fails the response, as from Starlette's task group
        if self.background is not None:
            await self.background()


class _DisconnectWatch:
    def __init__(self, streaming: asyncio.Task[Any]) -> None:
        self._task = streaming
        self.streaming = True
        self.client_left = False

    async def listen(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if self.streaming:
            self.client_left = True
            self._task.cancel()


class _DroppableStream(EventStreamResponse):
    """A stream that can end without its final empty body message, so the server drops the connection."""

    def __init__(self, frames: AsyncIterator[bytes], strikes: Strikes, **options: Any) -> None:
        self._dropped: list[bool] = []
        super().__init__(_faulty(frames, strikes, self._dropped), **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Set here, in the server's own task: the body is streamed from a child task whose context is a copy.
        _DROPPING.set(self._dropped)
        await super().__call__(scope, receive, send)

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if not self._dropped:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _frames(
    chunks: Iterable[Mapping[str, Any]] | AsyncIterator[Mapping[str, Any]],
    *,
    done: bool,
    request_id: str,
    named: bool = False,
) -> AsyncIterator[bytes]:
    framed = named_frame if named else frame
    try:
        if isinstance(chunks, AsyncIterator):
            async for chunk in chunks:
                yield framed(chunk)
        else:
            for chunk in chunks:
                yield framed(chunk)
    except errors.OpenAIError as exc:
        yield frame(exc.envelope())
        return
    except Exception:
        logger.exception("stream failed (request %s)", request_id)
        yield frame(errors.server_error(request_id).envelope())
        return
    if done:
        yield DONE_FRAME


def event_stream(
    request: Request,
    chunks: Iterable[Mapping[str, Any]] | AsyncIterator[Mapping[str, Any]],
    *,
    done: bool = True,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
    named: bool = False,
) -> StreamingResponse:
    """A `text/event-stream` response of `chunks`, ending with `data: [DONE]` unless `done=False`; `named` gives each
    event an `event:` line with its payload's `type`."""
    request_id: str = getattr(request.state, "request_id", "unknown")
    all_headers = {**SSE_HEADERS, **(headers or {})}
    if model is not None:
        all_headers["openai-model"] = model
    frames = _frames(chunks, done=done, request_id=request_id, named=named)
    return stream_frames(request, frames, headers=all_headers)


def stream_frames(
    request: Request, frames: AsyncIterator[bytes], *, status: int = 200, headers: Mapping[str, str] | None = None
) -> StreamingResponse:
    """A `text/event-stream` response of ready-made frames (a replayed recording, say), one body message per frame,
    with the request's stream faults applied."""
    strikes: Strikes | None = request.scope.get("state", {}).get("mockai.strikes")
    if strikes is not None:
        return _DroppableStream(frames, strikes, status_code=status, media_type="text/event-stream", headers=headers)
    return EventStreamResponse(frames, status_code=status, media_type="text/event-stream", headers=headers)
