"""A deliberately non-conforming little OpenAI server: each route plants one defect the contract must report.

Planted defects (the title `mockai contract` must report for each is in `PLANTED`):
- `GET /v1/models` sends `created` as a string; `GET /v1/models/{id}` leaves out `owned_by`.
- `POST /v1/chat/completions` answers without `created`, accepts any body (no 400 for invalid requests), and streams
  well-framed events that never end with `data: [DONE]`.
- `POST /v1/completions` streams bare JSON lines as `application/json` (no SSE framing at all).
- `POST /v1/embeddings` sends the vector's numbers as strings.
- every other route is a plain-text 404, so those operations must be skipped as not implemented.

Other variants plant one defect each (`broken_server(variant)`):
- "all-404": every route is a 404, so no check can run.
- "wrong-total": chat answers well, but with `total_tokens: 99` for 5 + 1.
- "over-max-tokens": chat answers well, but spends 13 completion tokens whatever `max_tokens` says.
- "wrong-prompt-count": chat claims gpt-3.5-turbo but counts 5 prompt tokens for any messages.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

PLANTED: dict[str, tuple[str, str]] = {
    "listModels": ("response_schema_conformance", "response violates listModels.response at data[*].created: type"),
    "retrieveModel": ("response_schema_conformance", "response violates retrieveModel.response at (root): required"),
    "createChatCompletion": ("sse_framing", "stream does not end with data: [DONE]"),
    "createCompletion": ("sse_framing", "stream is not text/event-stream"),
    "createEmbedding": (
        "response_schema_conformance",
        "response violates createEmbedding.response at data[*].embedding: anyOf",
    ),
}
MISSING_FIELD = ("response_schema_conformance", "response violates createChatCompletion.response at (root): required")
ACCEPTS_INVALID = ("status_code_conformance", "expected 400, got 200")


async def _models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "m1", "object": "model", "created": "yesterday",
                                                    "owned_by": "me"}]})  # fmt: skip


async def _model(request: Request) -> Response:
    if request.path_params["model"] != "m1":
        return JSONResponse({"error": {"message": "no such model", "type": "invalid_request_error", "param": None,
                                       "code": "model_not_found"}}, status_code=404)  # fmt: skip
    return JSONResponse({"id": "m1", "object": "model", "created": 1})


def _chunk(text: str | None, finish: str | None) -> str:
    delta = {"role": "assistant", "content": text} if text is not None else {}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m1", "choices": [choice]})


async def _chat(request: Request) -> Response:
    body: dict[str, Any] = await request.json()
    if body.get("stream"):
        frames = [f"data: {_chunk('Hi', None)}\n\n", f"data: {_chunk(None, 'stop')}\n\n"]
        return StreamingResponse(iter(frames), media_type="text/event-stream")
    message = {"role": "assistant", "content": "Hi", "refusal": None}
    choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    return JSONResponse({"id": "c1", "object": "chat.completion", "model": "m1", "choices": [choice]})


async def _completions(request: Request) -> Response:
    body: dict[str, Any] = await request.json()
    choice = {"text": "Hi", "index": 0, "logprobs": None, "finish_reason": "stop"}
    answer = {"id": "x1", "object": "text_completion", "created": 1, "model": "m1", "choices": [choice],
              "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}  # fmt: skip
    if body.get("stream"):
        return PlainTextResponse(json.dumps(answer) + "\n" + json.dumps(answer) + "\n", media_type="application/json")
    return JSONResponse(answer)


async def _embeddings(request: Request) -> Response:
    item = {"object": "embedding", "index": 0, "embedding": ["0.1", "0.2"]}
    return JSONResponse({"object": "list", "data": [item], "model": "e1",
                         "usage": {"prompt_tokens": 1, "total_tokens": 1}})  # fmt: skip


USAGE_VARIANTS: dict[str, dict[str, int]] = {
    "wrong-total": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 99},
    "over-max-tokens": {"prompt_tokens": 13, "completion_tokens": 13, "total_tokens": 26},
    "wrong-prompt-count": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}


def _chat_with_usage(usage: dict[str, int]) -> Any:
    async def chat(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        choices = [
            {"index": index, "message": {"role": "assistant", "content": "Hi", "refusal": None}, "logprobs": None,
             "finish_reason": "stop"}
            for index in range(body.get("n") or 1)
        ]  # fmt: skip
        return JSONResponse({"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-3.5-turbo",
                             "choices": choices, "usage": usage})  # fmt: skip

    return chat


async def _not_found(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def _routes(variant: str) -> list[Route]:
    if variant == "planted":
        return [
            Route("/v1/models", _models),
            Route("/v1/models/{model}", _model),
            Route("/v1/chat/completions", _chat, methods=["POST"]),
            Route("/v1/completions", _completions, methods=["POST"]),
            Route("/v1/embeddings", _embeddings, methods=["POST"]),
        ]
    if variant == "all-404":
        return []
    return [Route("/v1/chat/completions", _chat_with_usage(USAGE_VARIANTS[variant]), methods=["POST"])]


@contextmanager
def broken_server(variant: str = "planted") -> Iterator[str]:
    """Serve the broken app on a free loopback port; yields its base URL ending in /v1."""
    ready = threading.Event()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ready.set()
        yield

    app = Starlette(routes=_routes(variant), lifespan=lifespan, exception_handlers={404: _not_found, 405: _not_found})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        if not ready.wait(10):
            raise RuntimeError("the broken server did not start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
