"""A table of JSON documents of one kind (`batch`, `upload`, ...), per organization, in creation order.

The newer families keep each object as one document in the store's `objects` table; this is their typed door to it,
so no service writes SQL of its own for reading, listing, saving or deleting.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from mockai.state.store import Store


class ObjectTable:
    """The objects of one `kind`.

    >>> table = ObjectTable(Store(), "note")
    >>> with table.store.transaction() as tx:
    ...     table.insert(tx, "org-a", "note-1", {"text": "hi"})
    >>> table.get("org-a", "note-1"), table.get("org-b", "note-1")
    ({'text': 'hi'}, None)
    """

    def __init__(self, store: Store, kind: str) -> None:
        self.store, self.kind = store, kind

    def insert(self, tx: sqlite3.Connection, org: str, object_id: str, doc: dict[str, Any]) -> None:
        tx.execute(
            "INSERT INTO objects (id, kind, org, doc) VALUES (?, ?, ?, ?)",
            (object_id, self.kind, org, json.dumps(doc, ensure_ascii=False)),
        )

    def update(self, tx: sqlite3.Connection, object_id: str, doc: dict[str, Any]) -> None:
        tx.execute(
            "UPDATE objects SET doc = ? WHERE id = ? AND kind = ?",
            (json.dumps(doc, ensure_ascii=False), object_id, self.kind),
        )

    def delete(self, tx: sqlite3.Connection, object_id: str) -> None:
        tx.execute("DELETE FROM objects WHERE id = ? AND kind = ?", (object_id, self.kind))

    def get(self, org: str, object_id: str) -> dict[str, Any] | None:
        rows = self.store.query(
            "SELECT doc FROM objects WHERE id = ? AND kind = ? AND org = ?", (object_id, self.kind, org)
        )
        return json.loads(rows[0]["doc"]) if rows else None

    def reload(self, tx: sqlite3.Connection, object_id: str) -> dict[str, Any] | None:
        """The object as committed, read inside `tx` (another thread may have moved it since it was read)."""
        row = tx.execute("SELECT doc FROM objects WHERE id = ? AND kind = ?", (object_id, self.kind)).fetchone()
        return json.loads(row["doc"]) if row else None

    def all(self, org: str) -> list[dict[str, Any]]:
        """The organization's objects of this kind, oldest first."""
        rows = self.store.query("SELECT doc FROM objects WHERE kind = ? AND org = ? ORDER BY seq", (self.kind, org))
        return [json.loads(row["doc"]) for row in rows]

    def every(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(organization, object) for every object of this kind, oldest first (clock catch-up)."""
        rows = self.store.query("SELECT org, doc FROM objects WHERE kind = ? ORDER BY seq", (self.kind,))
        for row in rows:
            yield row["org"], json.loads(row["doc"])
