"""What a Responses request asks the model to continue: its stored history and its `input`, checked like the real API.

The context is the stored chain (`previous_response_id`: each response's input then output, oldest first) or the
stored conversation's items (`conversation`), then the request's `input` (a string is one user message). Item
references are replaced by the items they name; reasoning items handed back with `encrypted_content` are unsealed.
The real API's 400s and 404s are raised here, before anything is generated: an unknown, deleted or unstored previous
response, a content part of the wrong kind for its role, a `function_call_output` no call asked for, a call the new
input does not answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mockai import errors
from mockai.api.auth import organization
from mockai.api.services import services
from mockai.engine.conversation import Conversation
from mockai.engine.responses_format import input_items, item_kind, responses_conversation
from mockai.engine.sealed import sealing_key, unseal

#: The content parts a message of each role takes (the real API refuses the others, naming the allowed ones).
_INPUT_PARTS = ("input_text", "input_image", "input_file", "input_audio")
_ASSISTANT_PARTS = ("output_text", "refusal")


@dataclass(frozen=True)
class ResponseContext:
    """The items the model reads (history, then input), the input alone (stored as the response's input items), and
    the core's view of them."""

    history: list[dict[str, Any]]
    input: list[dict[str, Any]]
    conversation: Conversation
    conversation_id: str | None = None


def request_context(request: Request, body: Mapping[str, Any]) -> ResponseContext:
    """The checked context of a create (or input-tokens, or compact) request."""
    previous, conversation_id = body.get("previous_response_id"), conversation_of(body)
    if previous is not None and conversation_id is not None:
        raise errors.previous_response_and_conversation()
    history = _history(request, previous, conversation_id)
    items = _uncompacted(request, [_resolved(request, item) for item in input_items(body.get("input"))])
    _check_parts(items)
    _check_reasoning(request, items)
    _check_calls(history, items)
    instructions = body.get("instructions")
    conversation = responses_conversation([*history, *items], instructions=instructions or None)
    return ResponseContext(history, items, conversation, conversation_id)


def conversation_of(body: Mapping[str, Any]) -> str | None:
    """`conversation` is an id or `{"id": ...}`."""
    found = body.get("conversation")
    if isinstance(found, Mapping):
        found = found.get("id")
    return found if isinstance(found, str) else None


def _history(request: Request, previous: str | None, conversation_id: str | None) -> list[dict[str, Any]]:
    app = services(request)
    if previous is not None:
        stored = app.responses.context(organization(request), previous, app.clock.now())
        if stored is None:
            raise errors.previous_response_not_found(previous)
        return stored
    if conversation_id is not None:
        return app.conversations.items(organization(request), conversation_id)
    return []


def _resolved(request: Request, item: dict[str, Any]) -> dict[str, Any]:
    if item_kind(item) != "item_reference":
        return item
    found = services(request).responses.item(organization(request), str(item.get("id")))
    if found is None:
        raise errors.unstored_item(str(item.get("id")))
    return found


def _uncompacted(request: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A `compaction` item (from `POST /v1/responses/compact`) stands for the items it sealed: read them back."""
    if not any(item_kind(item) == "compaction" for item in items):
        return items
    key = sealing_key(services(request).settings.seed)
    expanded: list[dict[str, Any]] = []
    for item in items:
        if item_kind(item) != "compaction":
            expanded.append(item)
            continue
        sealed = unseal(str(item.get("encrypted_content", "")), key)
        if not isinstance(sealed, list):
            raise errors.invalid_encrypted_content(str(item.get("id", "")))
        expanded += sealed
    return expanded


def _check_parts(items: Sequence[Mapping[str, Any]]) -> None:
    for index, item in enumerate(items):
        content = item.get("content")
        if item_kind(item) != "message" or not isinstance(content, list):
            continue
        allowed = _ASSISTANT_PARTS if item.get("role") == "assistant" else _INPUT_PARTS
        for position, part in enumerate(content):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if isinstance(kind, str) and kind not in allowed:
                raise errors.invalid_content_type(kind, f"input[{index}].content[{position}]", allowed)


def _check_reasoning(request: Request, items: Sequence[Mapping[str, Any]]) -> None:
    """Encrypted reasoning must be this server's, untouched; a bare reasoning item must name a stored one."""
    key = sealing_key(services(request).settings.seed)
    for item in items:
        if item_kind(item) != "reasoning":
            continue
        sealed = item.get("encrypted_content")
        if isinstance(sealed, str):
            if unseal(sealed, key) is None:
                raise errors.invalid_encrypted_content(str(item.get("id", "")))
        elif not item.get("summary") and isinstance(item.get("id"), str) and not _stored(request, item["id"]):
            raise errors.unstored_item(item["id"])


def _stored(request: Request, item_id: str) -> bool:
    return services(request).responses.item(organization(request), item_id) is not None


def _check_calls(history: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]]) -> None:
    """Every output answers an earlier call; every call is answered by the time the model is asked to go on."""
    called: list[str] = []
    answered: set[str] = set()
    for item in [*history, *items]:
        kind = item_kind(item)
        if kind == "function_call":
            called.append(str(item.get("call_id")))
        elif kind == "function_call_output":
            call_id = str(item.get("call_id"))
            if call_id not in called:
                raise errors.no_tool_call_for_output(call_id)
            answered.add(call_id)
    pending = [call_id for call_id in called if call_id not in answered]
    if pending and items:
        raise errors.no_tool_output_for_call(pending[0])
