"""Dialogue history per (organization, user_id, group_id): answered exchanges in the store, idempotent by question_id.

An exchange (a question and its answer) is committed in one transaction only once the answer is complete, so a
failed or abandoned request never leaves a lone user turn behind: the duplicated user turns in the seed's logged
request are exactly what storing the question before the answer produces when a client retries.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from mockai.state.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dialogue_exchanges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, org TEXT NOT NULL, user_id TEXT NOT NULL, group_id TEXT NOT NULL,
    question_id TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE (org, user_id, group_id, question_id)
);
CREATE INDEX IF NOT EXISTS dialogue_exchanges_key ON dialogue_exchanges(org, user_id, group_id);
"""

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_LENGTH = 24


@dataclass(frozen=True)
class ConversationKey:
    """Whose conversation: an organization's end user, within one group (a chat window, a topic)."""

    org: str
    user_id: str
    group_id: str


@dataclass(frozen=True)
class Turn:
    """One message of a conversation, as the history endpoint lists it."""

    role: str  # "user" or "assistant"
    content: str
    question_id: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content, "question_id": self.question_id}


@dataclass(frozen=True)
class Exchange:
    """A question and the answer it got, with what the reply envelope reported (kept for idempotent replays)."""

    question_id: str
    question: str
    answer: str
    usage: dict[str, int] | None = None
    context_turns: int = 0  # turns the model saw for this question (the question included, no system prompt)
    trimmed_turns: int = 0  # older turns left out so the prompt fit the context window

    def turns(self) -> tuple[Turn, Turn]:
        return Turn("user", self.question, self.question_id), Turn("assistant", self.answer, self.question_id)


class DuplicateQuestion(ValueError):
    """An exchange with this question_id is already stored in the conversation."""


class DialogueHistory:
    """Exchanges per conversation, oldest first, in the app's store (durable with `--data-dir`).

    >>> conversations = DialogueHistory(Store())
    >>> key = ConversationKey("org", "123", "456")
    >>> conversations.add(key, Exchange("q1", "如果带了呢", "那就不用担心了。"))
    >>> [turn.role for turn in conversations.turns(key)]
    ['user', 'assistant']
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        with store.transaction() as tx:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                tx.execute(statement)

    def exchanges(self, key: ConversationKey) -> list[Exchange]:
        rows = self._store.query(
            "SELECT * FROM dialogue_exchanges WHERE org = ? AND user_id = ? AND group_id = ? ORDER BY seq",
            (key.org, key.user_id, key.group_id),
        )
        return [_exchange(row) for row in rows]

    def turns(self, key: ConversationKey) -> list[Turn]:
        return [turn for exchange in self.exchanges(key) for turn in exchange.turns()]

    def find(self, key: ConversationKey, question_id: str) -> Exchange | None:
        rows = self._store.query(
            "SELECT * FROM dialogue_exchanges WHERE org = ? AND user_id = ? AND group_id = ? AND question_id = ?",
            (key.org, key.user_id, key.group_id, question_id),
        )
        return _exchange(rows[0]) if rows else None

    def add(self, key: ConversationKey, exchange: Exchange) -> None:
        """Store an answered exchange (one transaction); a question_id already in the conversation is refused."""
        doc = {
            "usage": exchange.usage,
            "context_turns": exchange.context_turns,
            "trimmed_turns": exchange.trimmed_turns,
        }
        try:
            with self._store.transaction() as tx:
                tx.execute(
                    "INSERT INTO dialogue_exchanges (org, user_id, group_id, question_id, question, answer, doc)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*_key(key), exchange.question_id, exchange.question, exchange.answer, json.dumps(doc)),
                )
        except sqlite3.IntegrityError:
            raise DuplicateQuestion(f"question_id {exchange.question_id!r} is already answered") from None

    def new_question_id(self, key: ConversationKey, question: str) -> str:
        """A fresh id derived from the conversation, its length and the question: reproducible run to run,
        and independent of how requests to *other* conversations interleave (a shared counter would not be)."""
        asked = len(self.exchanges(key))
        for attempt in range(1000):
            candidate = _derived_id(*_key(key), asked, attempt, question)
            if self.find(key, candidate) is None:
                return candidate
        raise RuntimeError("could not derive a fresh question_id")  # 1000 collisions of a 124-bit hash

    def delete(self, key: ConversationKey) -> int:
        """Forget a conversation; returns how many turns it held."""
        with self._store.transaction() as tx:
            cursor = tx.execute(
                "DELETE FROM dialogue_exchanges WHERE org = ? AND user_id = ? AND group_id = ?", _key(key)
            )
            return 2 * cursor.rowcount

    def reset(self) -> None:
        """Forget every conversation (between tests)."""
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM dialogue_exchanges")


def _key(key: ConversationKey) -> tuple[str, str, str]:
    return key.org, key.user_id, key.group_id


def _exchange(row: sqlite3.Row) -> Exchange:
    doc = json.loads(row["doc"])
    return Exchange(
        row["question_id"],
        row["question"],
        row["answer"],
        doc.get("usage"),
        doc.get("context_turns", 0),
        doc.get("trimmed_turns", 0),
    )


def _derived_id(*parts: object) -> str:
    number = int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest(), "big")
    chars = []
    for _ in range(_ID_LENGTH):
        number, index = divmod(number, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[index])
    return "q-" + "".join(chars)
