"""Server-Sent Events framing: `data: {json}\\n\\n` frames, `data: [DONE]` last, an error frame if a stream breaks.

Once a stream has started its status can no longer change, so this is the only other place (besides
`responses.error_response`) where an `OpenAIError` becomes bytes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

from mockai import errors
from mockai.api.responses import dump_json

logger = logging.getLogger("mockai.sse")

DONE_FRAME = b"data: [DONE]\n\n"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def frame(data: object) -> bytes:
    """One SSE event carrying a JSON payload."""
    return b"data: " + dump_json(data) + b"\n\n"


async def _frames(
    chunks: Iterable[Mapping[str, Any]] | AsyncIterator[Mapping[str, Any]],
    *,
    done: bool,
    request_id: str,
) -> AsyncIterator[bytes]:
    try:
        if isinstance(chunks, AsyncIterator):
            async for chunk in chunks:
                yield frame(chunk)
        else:
            for chunk in chunks:
                yield frame(chunk)
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
) -> StreamingResponse:
    """A `text/event-stream` response of `chunks`, ending with `data: [DONE]` unless `done=False`."""
    request_id: str = getattr(request.state, "request_id", "unknown")
    all_headers = {**SSE_HEADERS, **(headers or {})}
    if model is not None:
        all_headers["openai-model"] = model
    return StreamingResponse(
        _frames(chunks, done=done, request_id=request_id),
        media_type="text/event-stream",
        headers=all_headers,
    )
