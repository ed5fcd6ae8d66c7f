"""Stored responses (`store: true`), organization-scoped, and the background lifecycle on the world clock.

A stored response keeps its final object, its input items and its output items (each with its id), the response it
continues (`previous_response_id`) and, for a background response, its stream's events. `context()` walks the chain
back to its first response: the conversation a continuing request carries. Deleting a response removes it and its
items, so it can no longer be retrieved, listed or continued.

A background response is planned whole when it is created; what a client sees is a pure function of world time
(`Phase`): queued for `QUEUED_SECONDS`, in progress for `RUNNING_SECONDS`, then its final status. Cancelling before it
finishes freezes it as `cancelled`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from mockai.control.transcript import StoredResponse
from mockai.state.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, org TEXT NOT NULL, previous_id TEXT,
    background INTEGER NOT NULL, created_at REAL NOT NULL, cancelled_at REAL,
    doc TEXT NOT NULL, input TEXT NOT NULL, events TEXT
);
CREATE TABLE IF NOT EXISTS response_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL, item_id TEXT NOT NULL, response_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS response_items_id ON response_items(org, item_id);
"""

#: World seconds a background response waits in the queue, then runs, before it has its final status.
QUEUED_SECONDS = 1.0
RUNNING_SECONDS = 1.0


class Phase(IntEnum):
    """Where a background response is; a stored event is seen once the response reaches its phase."""

    QUEUED = 0  # accepted, waiting for the model
    IN_PROGRESS = 1  # the model is answering
    DONE = 2  # finished: completed or incomplete, with its output


@dataclass
class StoredRecord:
    """A stored response: its final object, its input items, and (background) its timed events."""

    id: str
    org: str
    final: dict[str, Any]
    input: list[dict[str, Any]]
    previous_id: str | None = None
    background: bool = False
    created_at: float = 0.0
    cancelled_at: float | None = None
    events: list[tuple[Phase, dict[str, Any]]] = field(default_factory=list)

    def phase(self, now: float) -> Phase:
        """The phase at world time `now` (a cancelled response stays in the phase it was cancelled in)."""
        if not self.background:
            return Phase.DONE
        moment = now if self.cancelled_at is None else min(now, self.cancelled_at)
        elapsed = moment - self.created_at
        if elapsed < QUEUED_SECONDS:
            return Phase.QUEUED
        return Phase.IN_PROGRESS if elapsed < QUEUED_SECONDS + RUNNING_SECONDS else Phase.DONE

    def cancelled(self, now: float) -> bool:
        return self.cancelled_at is not None and self.phase(now) is not Phase.DONE

    def finished(self, now: float) -> bool:
        return self.phase(now) is Phase.DONE or self.cancelled_at is not None

    def done_at(self) -> float:
        return self.created_at + QUEUED_SECONDS + RUNNING_SECONDS

    def view(self, now: float) -> dict[str, Any]:
        """The response object as a client sees it at `now`."""
        phase = self.phase(now)
        if phase is Phase.DONE and not self.cancelled(now):
            return self.final
        status = "cancelled" if self.cancelled(now) else ("queued" if phase is Phase.QUEUED else "in_progress")
        unfinished = {key: value for key, value in self.final.items() if key != "usage"}
        return {**unfinished, "status": status, "output": [], "completed_at": None, "incomplete_details": None}

    def visible_events(self, now: float) -> list[dict[str, Any]]:
        phase = self.phase(now)
        return [event for reached, event in self.events if reached <= phase]


class ResponseStore:
    """The `responses` and `response_items` tables of the store; also the `ConversationHistory` of stored chains."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._repeats: Counter[str] = Counter()
        with store.transaction() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.execute(statement)

    def next_repeat(self, base: str) -> int:
        """How many responses were created from the same request before (so a repeat gets a new id)."""
        with self._lock:
            self._repeats[base] += 1
            return self._repeats[base]

    def save(self, record: StoredRecord) -> None:
        events = [[int(phase), event] for phase, event in record.events] if record.background else None
        with self._store.transaction() as tx:
            tx.execute(
                "INSERT INTO responses (id, org, previous_id, background, created_at, cancelled_at, doc, input, events)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.org,
                    record.previous_id,
                    int(record.background),
                    record.created_at,
                    record.cancelled_at,
                    _dump(record.final),
                    _dump(record.input),
                    None if events is None else _dump(events),
                ),
            )
            for item in [*record.input, *record.final["output"]]:
                tx.execute(
                    "INSERT INTO response_items (org, item_id, response_id, doc) VALUES (?, ?, ?, ?)",
                    (record.org, item["id"], record.id, _dump(item)),
                )

    def get(self, org: str, response_id: str) -> StoredRecord | None:
        rows = self._store.query("SELECT * FROM responses WHERE id = ? AND org = ?", (response_id, org))
        return _record(rows[0]) if rows else None

    def delete(self, org: str, response_id: str) -> bool:
        with self._store.transaction() as tx:
            gone = tx.execute("DELETE FROM responses WHERE id = ? AND org = ?", (response_id, org)).rowcount
            tx.execute("DELETE FROM response_items WHERE response_id = ? AND org = ?", (response_id, org))
        return bool(gone)

    def cancel(self, org: str, response_id: str, now: float) -> None:
        with self._store.transaction() as tx:
            tx.execute(
                "UPDATE responses SET cancelled_at = ? WHERE id = ? AND org = ? AND cancelled_at IS NULL",
                (now, response_id, org),
            )

    def item(self, org: str, item_id: str) -> dict[str, Any] | None:
        """A stored input or output item by its id (what an `item_reference` names)."""
        rows = self._store.query(
            "SELECT doc FROM response_items WHERE org = ? AND item_id = ? ORDER BY seq DESC LIMIT 1", (org, item_id)
        )
        return json.loads(rows[0]["doc"]) if rows else None

    def context(self, org: str, response_id: str, now: float) -> list[dict[str, Any]] | None:
        """The items of the chain ending at `response_id` (each response's input, then its output), oldest first;
        None when the response is not stored for `org`."""
        chain = self._chain(response_id, org)
        if chain is None:
            return None
        return [item for record in chain for item in [*record.input, *record.view(now)["output"]]]

    # -- ConversationHistory --------------------------------------------------------------------------------------

    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        chain = self._chain(response_id, None)
        if chain is None:
            return None
        return [StoredResponse(record.id, [*record.input, *record.final["output"]]) for record in chain]

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        return None  # conversations are another store's (see `HistoryOf`)

    def reset(self) -> None:
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM responses")
            tx.execute("DELETE FROM response_items")
        with self._lock:
            self._repeats.clear()

    def _chain(self, response_id: str, org: str | None) -> list[StoredRecord] | None:
        chain: list[StoredRecord] = []
        current: str | None = response_id
        while current is not None and len(chain) < 10_000:
            rows = self._store.query("SELECT * FROM responses WHERE id = ?", (current,))
            if not rows or (org is not None and rows[0]["org"] != org):
                if not chain:
                    return None
                break  # an earlier link was deleted: the chain starts after it
            record = _record(rows[0])
            chain.append(record)
            current = record.previous_id
        return list(reversed(chain))


def _record(row: Any) -> StoredRecord:
    events = [(Phase(phase), event) for phase, event in json.loads(row["events"])] if row["events"] else []
    return StoredRecord(
        id=row["id"],
        org=row["org"],
        final=json.loads(row["doc"]),
        input=json.loads(row["input"]),
        previous_id=row["previous_id"],
        background=bool(row["background"]),
        created_at=float(row["created_at"]),
        cancelled_at=row["cancelled_at"],
        events=events,
    )


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
