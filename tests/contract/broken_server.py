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
- "responses": a Responses API that conforms (`POST /v1/responses`, JSON and typed events); and
  "responses-<defect>" for each key of `RESPONSE_DEFECTS`, the same server with that one defect in its stream or usage.
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


#: A defect of the Responses stream (or usage) → the (check, title) `mockai contract` must report for it.
RESPONSE_DEFECTS: dict[str, tuple[str, str]] = {
    "done-sentinel": ("typed_event_framing", "typed event stream sends data: [DONE]"),
    "event-name": ("typed_event_framing", "SSE event name differs from the payload's type"),
    "event-schema": ("chunk_schema_conformance", "chunk violates createResponse.event at (root): required"),
    "sequence-from-1": ("sequence_numbers", "sequence numbers do not start at 0"),
    "sequence-repeats": ("sequence_numbers", "sequence numbers are not strictly increasing"),
    "delta-before-part": ("event_order", "an event comes before its content_part.added"),
    "no-terminal": ("event_order", "stream does not end with exactly one terminal event"),
    "done-text": ("streamed_text_joins", "text deltas do not join to the text of output_text.done"),
    "final-text": ("streamed_text_joins", "text deltas do not join to the text of the final response"),
    "total": ("usage_arithmetic", "total_tokens is not input_tokens + output_tokens"),
    "cached": ("usage_arithmetic", "input_tokens_details.cached_tokens is not a count within input_tokens"),
}
_ITEM_ID = "msg_1"


def _response_object(status: str, output: list[dict[str, Any]], usage: dict[str, Any] | None) -> dict[str, Any]:
    answer = {"id": "resp_1", "object": "response", "created_at": 1, "status": status, "background": False,
              "error": None, "incomplete_details": None, "instructions": None, "max_output_tokens": None,
              "model": "gpt-4o-mini", "output": output, "parallel_tool_calls": True, "previous_response_id": None,
              "reasoning": {"effort": None, "summary": None}, "store": True, "temperature": 1.0,
              "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
              "truncation": "disabled", "metadata": {}}  # fmt: skip
    return {**answer, "usage": usage} if usage is not None else answer


def _usage(defect: str) -> dict[str, Any]:
    total = 99 if defect == "total" else 12
    cached = 50 if defect == "cached" else 0
    return {"input_tokens": 10, "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": 0},
            "output_tokens": 2, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": total}  # fmt: skip


def _message(text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "annotations": [], "logprobs": [], "text": text}] if text else []
    return {"id": _ITEM_ID, "type": "message", "status": status, "role": "assistant", "content": content}


def _response_events(defect: str) -> list[dict[str, Any]]:
    where = {"item_id": _ITEM_ID, "output_index": 0, "content_index": 0}
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    done_text = "Hello!" if defect == "done-text" else "Hello"
    final_text = "Goodbye" if defect == "final-text" else "Hello"
    deltas = [
        {"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []} for piece in ("Hel", "lo")
    ]
    opening = [{"type": "response.content_part.added", **where, "part": part}]
    events = [
        {"type": "response.created", "response": _response_object("in_progress", [], None)},
        {"type": "response.in_progress", "response": _response_object("in_progress", [], None)},
        {"type": "response.output_item.added", "output_index": 0, "item": _message("", "in_progress")},
        *([*deltas, *opening] if defect == "delta-before-part" else [*opening, *deltas]),
        {"type": "response.output_text.done", **where, "text": done_text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": {**part, "text": "Hello"}},
        {"type": "response.output_item.done", "output_index": 0, "item": _message("Hello", "completed")},
        {"type": "response.completed",
         "response": _response_object("completed", [_message(final_text, "completed")], _usage(defect))},
    ]  # fmt: skip
    if defect == "no-terminal":
        events.pop()
    if defect == "event-schema":
        del events[2]["item"]
    first = 1 if defect == "sequence-from-1" else 0
    numbered = [{**event, "sequence_number": first + index} for index, event in enumerate(events)]
    if defect == "sequence-repeats":
        numbered[3]["sequence_number"] = numbered[2]["sequence_number"]
    return numbered


def _responses(defect: str) -> Any:
    async def create_response(request: Request) -> Response:
        body: dict[str, Any] = await request.json()
        if not isinstance(body.get("model"), str):
            error = {"message": "Missing required parameter: 'model'.", "type": "invalid_request_error",
                     "param": "model", "code": "missing_required_parameter"}  # fmt: skip
            return JSONResponse({"error": error}, status_code=400)
        if not body.get("stream"):
            final = _response_object("completed", [_message("Hello", "completed")], _usage(defect))
            return JSONResponse(final)
        frames = []
        for event in _response_events(defect):
            name = "response.output_text.delta" if defect == "event-name" else event["type"]
            frames.append(f"event: {name}\ndata: {json.dumps(event)}\n\n")
        if defect == "done-sentinel":
            frames.append("data: [DONE]\n\n")
        return StreamingResponse(iter(frames), media_type="text/event-stream")

    return create_response


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
    if variant.startswith("responses"):
        return [Route("/v1/responses", _responses(variant.removeprefix("responses-")), methods=["POST"])]
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
