"""Stored chat completions (`store: true`): the completion, its request's input messages and its metadata.

Each one belongs to the organization that created it. The stored object is the completion exactly as it was sent
(for a stream, the completion its chunks add up to), plus what the real API keeps beside it: the request's
`metadata`, sampling knobs, tools and the `request_id`. Messages get the ids the real API gives them,
`<completion id>-<index>`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockai import errors
from mockai.state.objects import ObjectTable
from mockai.state.store import Store

#: The request's fields the real API returns beside a stored completion, with the values it shows when unset.
KEPT_REQUEST_FIELDS: dict[str, Any] = {
    "seed": None,
    "top_p": 1.0,
    "temperature": 1.0,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "tools": None,
    "tool_choice": None,
    "response_format": None,
}


class StoredChatCompletions:
    """The chat completions created with `store: true`, per organization.

    >>> stored = StoredChatCompletions(Store())
    >>> _ = stored.save("org-a", {"id": "chatcmpl-1", "model": "gpt-4o"}, {"messages": []}, "req_1")
    >>> [c["id"] for c in stored.find("org-a")]
    ['chatcmpl-1']
    """

    def __init__(self, store: Store) -> None:
        self._table = ObjectTable(store, "chat.completion")

    def save(
        self, org: str, completion: Mapping[str, Any], request: Mapping[str, Any], request_id: str
    ) -> dict[str, Any]:
        """Keep `completion` (as sent) with its request's messages; returns the stored object."""
        kept = {name: request.get(name, default) for name, default in KEPT_REQUEST_FIELDS.items()}
        stored = {
            **completion,
            "metadata": dict(request.get("metadata") or {}),
            "request_id": request_id,
            "input_user": request.get("user"),
            **kept,
        }
        messages = [_stored_message(f"{completion['id']}-{i}", m) for i, m in enumerate(request["messages"])]
        with self._table.store.transaction() as tx:
            self._table.insert(tx, org, str(completion["id"]), {"completion": stored, "messages": messages})
        return stored

    def find(
        self, org: str, *, model: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """The organization's stored completions, oldest first, those of `model` and carrying every `metadata`
        pair only when given."""
        wanted = (metadata or {}).items()
        found = [doc["completion"] for doc in self._table.all(org)]
        return [
            c for c in found if (model is None or c["model"] == model) and wanted <= (c.get("metadata") or {}).items()
        ]

    def get(self, org: str, completion_id: str) -> dict[str, Any]:
        completion: dict[str, Any] = self._document(org, completion_id)["completion"]
        return completion

    def messages(self, org: str, completion_id: str) -> list[dict[str, Any]]:
        """The input messages of the request that made the completion, in order."""
        found: list[dict[str, Any]] = self._document(org, completion_id)["messages"]
        return found

    def update(self, org: str, completion_id: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        """Replace the completion's metadata (the only thing that can change); returns the stored object."""
        doc = self._document(org, completion_id)
        doc["completion"]["metadata"] = dict(metadata or {})
        with self._table.store.transaction() as tx:
            self._table.update(tx, completion_id, doc)
        completion: dict[str, Any] = doc["completion"]
        return completion

    def delete(self, org: str, completion_id: str) -> None:
        self._document(org, completion_id)
        with self._table.store.transaction() as tx:
            self._table.delete(tx, completion_id)

    def _document(self, org: str, completion_id: str) -> dict[str, Any]:
        doc = self._table.get(org, completion_id)
        if doc is None:
            raise errors.chat_completion_not_found(completion_id)
        return doc


def _stored_message(message_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """An input message as the messages list shows it: content as text, parts (text and images) beside it."""
    content = message.get("content")
    parts: Sequence[Any] | None = content if isinstance(content, list) else None
    shown: dict[str, Any] = {
        "id": message_id,
        "role": message.get("role"),
        "content": _text_of(parts) if parts is not None else content,
        "content_parts": None if parts is None else [p for p in parts if p.get("type") in ("text", "image_url")],
        "name": message.get("name"),
    }
    for extra in ("tool_calls", "tool_call_id", "function_call"):
        if message.get(extra) is not None:
            shown[extra] = message[extra]
    return shown


def _text_of(parts: Sequence[Any]) -> str | None:
    texts = [str(part.get("text", "")) for part in parts if isinstance(part, dict) and part.get("type") == "text"]
    return "\n".join(texts) if texts else None
