"""What a chat backend yields: text deltas, then one `ReplyDone`; and the `ChatBackend` protocol itself.

Apart from `backends.py` so that the dialogue service can name them without importing httpx, which only a running
conversation needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

ChatMessage = dict[str, str]


@dataclass(frozen=True)
class ReplyDelta:
    """A piece of the answer's text, in order."""

    text: str


@dataclass(frozen=True)
class ReplyDone:
    """The answer is complete; `usage` is the backend's token count (None if it sent none)."""

    usage: dict[str, int] | None
    finish_reason: str | None


ReplyEvent = ReplyDelta | ReplyDone


class ChatBackend(Protocol):
    """Answers a conversation: text deltas, then exactly one `ReplyDone`; failures raise `DialogueError`."""

    def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int, stream: bool
    ) -> AsyncIterator[ReplyEvent]: ...
