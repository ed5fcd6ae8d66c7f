"""Responses and Conversations items in the shape the API stores and lists them: an id of their type, defaults filled.

A caller sends items in their input shape (`{"role": "user", "content": "Hi"}`, a `function_call_output` with no
id); the API keeps and lists them as resources: a `message` with a `msg_` id, a status and content parts, a
`function_call_output` with an `fco_` id. The Conversations API stores items this way, and the Responses API lists a
response's input items the same way, so both use `stored_item`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockai.state.ids import KINDS, IdFactory

#: Content parts the API stores with fields their input shape may leave out (the SDK's strict types need them).
_PART_DEFAULTS: dict[str, dict[str, Any]] = {
    "output_text": {"annotations": [], "logprobs": []},
    "input_image": {"detail": "auto"},
}


def item_type(item: Mapping[str, Any]) -> str:
    """The item's type; an input message may leave `type` out (`{"role": "user", "content": "Hi"}`)."""
    kind = item.get("type")
    return kind if isinstance(kind, str) else "message"


def new_item_id(ids: IdFactory, item: Mapping[str, Any]) -> str:
    """A fresh id with the prefix the real API gives an item of this type (`msg_`, `fc_`, `fco_`, `rs_`, ...)."""
    kind = item_type(item)
    return ids.new(kind if kind in KINDS else "item")


def stored_item(item: Mapping[str, Any], item_id: str) -> dict[str, Any]:
    """`item` as the API stores it, under `item_id` (callers keep an id the item already has).

    >>> stored_item({"role": "user", "content": "Hi"}, "msg_1")
    {'id': 'msg_1', 'type': 'message', 'status': 'completed', 'role': 'user', 'content': [{'type': 'input_text', \
'text': 'Hi'}]}
    """
    kind = item_type(item)
    # Input shapes allow null for optional fields the stored resource leaves out.
    fields = {key: value for key, value in item.items() if value is not None and key not in ("id", "type")}
    stored: dict[str, Any] = {"id": item_id, "type": kind}
    if kind == "message":
        stored["status"] = fields.pop("status", "completed")
        stored["role"] = fields.pop("role")
        stored["content"] = _content_parts(fields.pop("content"), stored["role"])
    elif kind in ("function_call", "function_call_output") or kind.endswith("_call") or kind.endswith("_output"):
        fields.setdefault("status", "completed")
    elif kind == "reasoning":
        fields.setdefault("summary", [])
    stored.update(fields)
    return stored


def _content_parts(content: Any, role: str) -> list[dict[str, Any]]:
    if isinstance(content, str):
        # A string is one text part: the model's words for an assistant message, input for everyone else.
        part = (
            {"type": "output_text", "text": content} if role == "assistant" else {"type": "input_text", "text": content}
        )
        content = [part]
    return [{**_PART_DEFAULTS.get(part.get("type", ""), {}), **_without_nulls(part)} for part in content]


def _without_nulls(part: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in part.items() if value is not None}
