"""The Conversations API's state: conversations and their items per organization, in the store (durable with
`--data-dir`).

A conversation is an id, metadata and a creation time; its items are kept oldest first, each in its stored shape
(`mockai.state.items`). The Responses API reads a conversation's items as a request's context (`items`) and adds the
request's input and output items to it (`append`), so a conversation is one record whichever API wrote it. Deleting a
conversation forgets its items too: a deleted id is as unknown as one never issued.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mockai import errors
from mockai.state.clock import Clock
from mockai.state.ids import IdFactory
from mockai.state.items import item_type, new_item_id, stored_item
from mockai.state.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, org TEXT NOT NULL, created_at INTEGER NOT NULL,
    metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversation_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE (conversation_id, id)
);
CREATE INDEX IF NOT EXISTS conversation_items_by_conversation ON conversation_items(conversation_id);
CREATE INDEX IF NOT EXISTS conversation_items_by_id ON conversation_items(id);
"""

Order = Literal["asc", "desc"]


@dataclass(frozen=True)
class ItemPage:
    """One page of a conversation's items, with the cursors the list endpoint returns."""

    data: list[dict[str, Any]]
    has_more: bool

    def to_api(self) -> dict[str, Any]:
        # An empty page has no first or last item: null cursors, as the real API's other lists send.
        return {
            "object": "list",
            "data": self.data,
            "first_id": self.data[0]["id"] if self.data else None,
            "last_id": self.data[-1]["id"] if self.data else None,
            "has_more": self.has_more,
        }


class Conversations:
    """Conversations and their items, organization-scoped.

    >>> from mockai.state.clock import SimulatedClock
    >>> conversations = Conversations(Store(), IdFactory(seed=1), SimulatedClock(time_scale=0))
    >>> conversation = conversations.create("org", [{"role": "user", "content": "Hi"}], {"topic": "demo"})
    >>> conversation["object"], conversation["metadata"]
    ('conversation', {'topic': 'demo'})
    >>> [item["content"][0]["text"] for item in conversations.items("org", conversation["id"])]
    ['Hi']
    """

    def __init__(self, store: Store, ids: IdFactory, clock: Clock) -> None:
        self._store = store
        self._ids = ids
        self._clock = clock
        with store.transaction() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.execute(statement)

    # -- conversations --------------------------------------------------------------------------------------------

    def create(
        self, org: str, items: Sequence[Mapping[str, Any]] | None = None, metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A new conversation holding `items` (given ids where they have none), committed in one transaction."""
        conversation_id = self._ids.new("conversation")
        created_at = int(self._clock.now())
        with self._store.transaction() as tx:
            tx.execute(
                "INSERT INTO conversations (id, org, created_at, metadata) VALUES (?, ?, ?, ?)",
                (conversation_id, org, created_at, json.dumps(dict(metadata or {}))),
            )
            self._insert_items(tx, org, conversation_id, items or (), param="items")
        return _conversation(conversation_id, created_at, dict(metadata or {}))

    def retrieve(self, org: str, conversation_id: str, *, param: str | None = None) -> dict[str, Any]:
        row = self._row(org, conversation_id, param)
        return _conversation(row["id"], row["created_at"], json.loads(row["metadata"]))

    def update(self, org: str, conversation_id: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        """Replace the conversation's metadata (the real API replaces it whole; null clears it)."""
        with self._store.transaction() as tx:
            row = self._row(org, conversation_id, None, tx)
            tx.execute(
                "UPDATE conversations SET metadata = ? WHERE id = ?", (json.dumps(dict(metadata or {})), row["id"])
            )
        return _conversation(row["id"], row["created_at"], dict(metadata or {}))

    def delete(self, org: str, conversation_id: str) -> dict[str, Any]:
        """Forget the conversation and its items; the `conversation.deleted` object."""
        with self._store.transaction() as tx:
            self._row(org, conversation_id, None, tx)
            tx.execute("DELETE FROM conversation_items WHERE conversation_id = ?", (conversation_id,))
            tx.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}

    # -- items ----------------------------------------------------------------------------------------------------

    def items(self, org: str, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's items, oldest first; an unknown or deleted id is refused naming `conversation` (the
        field of a Responses request that carries it)."""
        self._row(org, conversation_id, "conversation")
        return self._all_items(conversation_id)

    def append(self, org: str, conversation_id: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Add `items` at the end, in one transaction, giving each an id of its type where it has none; returns them
        as stored. An unknown or deleted conversation is refused naming `conversation`."""
        with self._store.transaction() as tx:
            self._row(org, conversation_id, "conversation", tx)
            return self._insert_items(tx, org, conversation_id, items, param="items")

    def create_items(self, org: str, conversation_id: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """`POST /v1/conversations/{id}/items`: as `append`, with the conversation named by the URL."""
        with self._store.transaction() as tx:
            self._row(org, conversation_id, None, tx)
            return self._insert_items(tx, org, conversation_id, items, param="items")

    def item(self, org: str, conversation_id: str, item_id: str) -> dict[str, Any]:
        self._row(org, conversation_id, None)
        rows = self._store.query(
            "SELECT doc FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id)
        )
        if not rows:
            raise errors.item_not_found(item_id)
        return dict(json.loads(rows[0]["doc"]))

    def delete_item(self, org: str, conversation_id: str, item_id: str) -> dict[str, Any]:
        """Remove one item; the real API answers with the conversation it was removed from."""
        with self._store.transaction() as tx:
            row = self._row(org, conversation_id, None, tx)
            cursor = tx.execute(
                "DELETE FROM conversation_items WHERE conversation_id = ? AND id = ?", (conversation_id, item_id)
            )
            if cursor.rowcount == 0:
                raise errors.item_not_found(item_id)
        return _conversation(row["id"], row["created_at"], json.loads(row["metadata"]))

    def list_items(
        self, org: str, conversation_id: str, *, limit: int = 20, after: str | None = None, order: Order = "desc"
    ) -> ItemPage:
        """A page of items in `order` (newest first by default, as the real API lists them), after the item
        `after`; an `after` the conversation does not hold is refused."""
        if not 1 <= limit <= 100:
            raise ValueError(f"{limit=} must be between 1 and 100")
        self._row(org, conversation_id, None)
        listed = self._all_items(conversation_id)
        if order == "desc":
            listed.reverse()
        if after is not None:
            position = next((index for index, item in enumerate(listed) if item["id"] == after), None)
            if position is None:
                raise errors.item_not_found(after, param="after")
            listed = listed[position + 1 :]
        return ItemPage(listed[:limit], len(listed) > limit)

    # -- ConversationHistory (mockai.control.transcript): what rules and scenarios read -------------------------------

    def conversation_items(self, conversation_id: str) -> list[dict[str, Any]] | None:
        """The items of a conversation, oldest first; None when unknown. Matchers see a request's body, not its
        organization, so this looks the conversation up by id alone (ids are never reused)."""
        if not self._store.query("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)):
            return None
        return self._all_items(conversation_id)

    def reset(self) -> None:
        """Forget every conversation (between tests)."""
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM conversation_items")
            tx.execute("DELETE FROM conversations")

    # -- private --------------------------------------------------------------------------------------------------

    def _row(
        self, org: str, conversation_id: str, param: str | None, tx: sqlite3.Connection | None = None
    ) -> sqlite3.Row:
        sql, args = "SELECT * FROM conversations WHERE id = ? AND org = ?", (conversation_id, org)
        rows = tx.execute(sql, args).fetchall() if tx is not None else self._store.query(sql, args)
        if not rows:
            raise errors.conversation_not_found(conversation_id, param=param)
        row: sqlite3.Row = rows[0]
        return row

    def _all_items(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT doc FROM conversation_items WHERE conversation_id = ? ORDER BY seq", (conversation_id,)
        )
        return [json.loads(row["doc"]) for row in rows]

    def _insert_items(
        self,
        tx: sqlite3.Connection,
        org: str,
        conversation_id: str,
        items: Sequence[Mapping[str, Any]],
        *,
        param: str,
    ) -> list[dict[str, Any]]:
        # A compaction trigger asks the Responses API to compact its context; it is an instruction, not an item.
        kept = [(index, item) for index, item in enumerate(items) if item_type(item) != "compaction_trigger"]
        stored = [self._resolve(tx, org, item, f"{param}[{index}]") for index, item in kept]
        for (index, _), item in zip(kept, stored, strict=True):
            try:
                tx.execute(
                    "INSERT INTO conversation_items (conversation_id, id, doc) VALUES (?, ?, ?)",
                    (conversation_id, item["id"], json.dumps(item, ensure_ascii=False)),
                )
            except sqlite3.IntegrityError:
                raise errors.duplicate_item(item["id"], param=f"{param}[{index}]") from None
        return stored

    def _resolve(self, tx: sqlite3.Connection, org: str, item: Mapping[str, Any], param: str) -> dict[str, Any]:
        """The stored shape of `item`; an `item_reference` becomes a copy of the item it names, which must be one of
        this organization's conversation items."""
        if item_type(item) != "item_reference":
            given = item.get("id")
            return stored_item(item, given if isinstance(given, str) and given else new_item_id(self._ids, item))
        row = tx.execute(
            "SELECT i.doc FROM conversation_items i JOIN conversations c ON c.id = i.conversation_id"
            " WHERE i.id = ? AND c.org = ? ORDER BY i.seq LIMIT 1",
            (item["id"], org),
        ).fetchone()
        if row is None:
            raise errors.item_not_found(str(item["id"]), param=param)
        return dict(json.loads(row["doc"]))


def _conversation(conversation_id: str, created_at: int, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"id": conversation_id, "object": "conversation", "created_at": created_at, "metadata": metadata}
