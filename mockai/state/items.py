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

#: Fields the stored resource requires that the input shape may leave out, with what the API stores instead: a
#: status where the resource has one ("completed": a stored item is finished), and null for optional settings.
_ITEM_DEFAULTS: dict[str, dict[str, Any]] = {
    "message": {"status": "completed"},
    "function_call": {"status": "completed"},
    "function_call_output": {"status": "completed"},
    "computer_call_output": {"status": "completed"},
    "custom_tool_call_output": {},
    "tool_search_call": {"status": "completed", "call_id": None, "execution": "server"},
    "tool_search_output": {"status": "completed", "call_id": None, "execution": "server"},
    "shell_call": {"status": "completed", "environment": None},
    "shell_call_output": {"status": "completed", "max_output_length": None},
    "reasoning": {"summary": []},
}

#: Fields the stored resource requires but allows to be null: a null given for them is kept.
_REQUIRED_NULLABLE: dict[str, frozenset[str]] = {
    "image_generation_call": frozenset({"result"}),
    "code_interpreter_call": frozenset({"code", "outputs"}),
    "tool_search_call": frozenset({"call_id"}),
    "tool_search_output": frozenset({"call_id"}),
    "shell_call": frozenset({"environment"}),
    "shell_call_output": frozenset({"max_output_length"}),
    # The spec requires these without declaring them (on the input shape too), so whatever was sent is kept.
    "local_shell_call_output": frozenset({"call_id"}),
    "mcp_approval_response": frozenset({"request_id"}),
}

#: Statuses an input may carry that the stored resource does not know: a computer call's output is never stored
#: `in_progress` (it exists because the call finished).
_STORED_STATUS: dict[str, frozenset[str]] = {
    "computer_call_output": frozenset({"completed", "incomplete", "failed"}),
}


def item_type(item: Mapping[str, Any]) -> str:
    """The item's type. Two input shapes may leave `type` out: a message (`{"role": "user", "content": "Hi"}`) and
    an item reference (`{"id": "msg_..."}`)."""
    kind = item.get("type")
    if isinstance(kind, str):
        return kind
    return "message" if "role" in item else "item_reference"


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
    # Input shapes allow null for optional fields; the stored resource leaves them out, but for the few it requires.
    keep = _REQUIRED_NULLABLE.get(kind, frozenset())
    given = {
        key: value for key, value in item.items() if key not in ("id", "type") and (value is not None or key in keep)
    }
    stored: dict[str, Any] = {"id": item_id, "type": kind, **_ITEM_DEFAULTS.get(kind, {}), **given}
    if kind in _STORED_STATUS and stored.get("status") not in _STORED_STATUS[kind]:
        stored["status"] = "completed"
    if kind == "message":
        stored["content"] = _content_parts(stored["content"], stored["role"])
    elif kind.endswith("_output") and isinstance(stored.get("output"), list):
        stored["output"] = _content_parts(stored["output"], "tool")
    elif kind == "shell_call" and isinstance(stored.get("action"), Mapping):
        stored["action"] = {"timeout_ms": None, "max_output_length": None, **stored["action"]}
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
