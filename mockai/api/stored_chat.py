"""Stored chat completions: `store: true` on `POST /v1/chat/completions`, then list, retrieve, update metadata,
delete, and the request's messages under `/v1/chat/completions/{completion_id}`.

The chat handler calls `store_completion` (or wraps its chunks in `store_streamed`) once its answer is built; a
streamed completion is stored as the completion its chunks add up to, which is the non-streamed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.auth import organization
from mockai.api.pagination import metadata_filter, page_query, page_response
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.pagination import Order, paginate


def store_completion(request: Request, body: Mapping[str, Any], completion: Mapping[str, Any]) -> None:
    """Keep a finished completion the request asked to store."""
    services(request).chat_completions.save(organization(request), completion, body, request.state.request_id)


def store_streamed(
    request: Request,
    body: Mapping[str, Any],
    chunks: Iterator[dict[str, Any]],
    usage: Callable[[], dict[str, int]],
) -> Iterator[dict[str, Any]]:
    """Pass `chunks` on unchanged and, once the stream has ended, store the completion they add up to (`usage()` is
    read then, when every choice has finished counting)."""
    seen = []
    for chunk in chunks:
        seen.append(chunk)
        yield chunk
    if seen:
        store_completion(request, body, completion_from_chunks(seen, usage(), logprobs=bool(body.get("logprobs"))))


def completion_from_chunks(chunks: list[dict[str, Any]], usage: dict[str, int], *, logprobs: bool) -> dict[str, Any]:
    """The `chat.completion` a stream of `chat.completion.chunk`s adds up to: deltas joined per choice, in the
    field order of a non-streamed answer."""
    head: dict[str, Any] = {
        key: chunks[0][key] for key in ("id", "created", "model", "system_fingerprint") if key in chunks[0]
    }
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for choice in chunk["choices"]:
            _merge(choices.setdefault(choice["index"], _empty_choice(choice["index"], logprobs)), choice)
    return {**head, "object": "chat.completion", "choices": [choices[i] for i in sorted(choices)], "usage": usage}


def _empty_choice(index: int, logprobs: bool) -> dict[str, Any]:
    return {
        "index": index,
        "message": {"role": "assistant", "content": None, "refusal": None},
        "logprobs": {"content": [], "refusal": None} if logprobs else None,
        "finish_reason": None,
    }


def _merge(into: dict[str, Any], choice: Mapping[str, Any]) -> None:
    delta, message = choice["delta"], into["message"]
    if delta.get("content") is not None:
        message["content"] = (message["content"] or "") + delta["content"]
    if "function_call" in delta:
        call = message.setdefault("function_call", {"name": "", "arguments": ""})
        call["name"] = delta["function_call"].get("name") or call["name"]
        call["arguments"] += delta["function_call"].get("arguments", "")
    for piece in delta.get("tool_calls") or ():
        calls = message.setdefault("tool_calls", [])
        if piece["index"] == len(calls):
            calls.append({"id": piece["id"], "type": piece["type"], "function": {"name": "", "arguments": ""}})
        function = calls[piece["index"]]["function"]
        function["name"] = piece.get("function", {}).get("name") or function["name"]
        function["arguments"] += piece.get("function", {}).get("arguments", "")
    if choice.get("logprobs") and into["logprobs"] is not None:
        into["logprobs"]["content"] += choice["logprobs"]["content"] or []
    if choice.get("finish_reason") is not None:
        into["finish_reason"] = choice["finish_reason"]


async def list_chat_completions(request: Request, _: None) -> Response:
    found = services(request).chat_completions.find(
        organization(request), model=request.query_params.get("model") or None, metadata=metadata_filter(request)
    )
    page = paginate(found, _id, page_query(request, default_limit=20, default_order=Order.ASC))
    return page_response(page, dict)


async def get_chat_completion(request: Request, _: None) -> Response:
    completion = services(request).chat_completions.get(organization(request), request.path_params["completion_id"])
    return json_response(completion)


async def update_chat_completion(request: Request, body: dict[str, Any]) -> Response:
    completion_id = request.path_params["completion_id"]
    completion = services(request).chat_completions.update(organization(request), completion_id, body["metadata"])
    return json_response(completion)


async def delete_chat_completion(request: Request, _: None) -> Response:
    completion_id = request.path_params["completion_id"]
    services(request).chat_completions.delete(organization(request), completion_id)
    return json_response({"object": "chat.completion.deleted", "id": completion_id, "deleted": True})


async def get_chat_completion_messages(request: Request, _: None) -> Response:
    completion_id = request.path_params["completion_id"]
    messages = services(request).chat_completions.messages(organization(request), completion_id)
    page = paginate(messages, _id, page_query(request, default_limit=20, default_order=Order.ASC))
    return page_response(page, dict)


def _id(item: Mapping[str, Any]) -> str:
    return str(item["id"])
