"""`ask()`: answer a user's question in the context of their conversation, one question at a time per conversation.

Per question: wait for the conversation's lock (concurrent questions never interleave their turns), replay a stored
answer for a repeated `question_id`, build the prompt that fits the context window, stream the backend's answer, and
store the exchange in one transaction once the answer is complete.
"""

from __future__ import annotations

import asyncio
import dataclasses
import weakref
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockai.dialogue import errors
from mockai.dialogue.context import Context, Window, build_context
from mockai.dialogue.replies import ChatBackend, ReplyDelta
from mockai.engine.tokenizer import get_encoding
from mockai.settings import Settings
from mockai.state.catalog import ModelCatalog
from mockai.state.dialogue_history import ConversationKey, DialogueHistory, DuplicateQuestion, Exchange, Turn
from mockai.state.store import Store


@dataclass(frozen=True)
class DialogueConfig:
    """How the dialogue talks to the model (from `--dialogue-*` flags)."""

    model: str = "gpt-3.5-turbo"
    system_prompt: str | None = None
    reply_tokens: int = 512  # kept free in the context window for the answer; also the request's max_tokens
    cache_dir: Path | None = None  # where verified rank tables are kept (`Settings.cache_dir`)

    def __post_init__(self) -> None:
        if self.reply_tokens <= 0:
            raise ValueError(f"{self.reply_tokens=} must be positive")


@dataclass(frozen=True)
class Question:
    """One question of a conversation; an empty `question_id` asks the server to assign one."""

    key: ConversationKey
    text: str
    question_id: str = ""


@dataclass(frozen=True)
class AnswerDelta:
    """A piece of the answer as it arrives from the backend."""

    question_id: str
    text: str


@dataclass(frozen=True)
class Answered:
    """The complete answer, stored (or replayed from the store for a repeated question_id)."""

    exchange: Exchange
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        """The reply envelope's `data`."""
        return {
            "question_id": self.exchange.question_id,
            "answer": self.exchange.answer,
            "usage": self.exchange.usage,
            "turns": self.exchange.context_turns,
            "trimmed_turns": self.exchange.trimmed_turns,
            "replayed": self.replayed,
        }


AskEvent = AnswerDelta | Answered


class DialogueService:
    """Conversations with memory, answered by a `ChatBackend`.

    `upstream` is the configured upstream backend; without one the API layer passes the in-process backend.
    """

    def __init__(
        self,
        conversations: DialogueHistory,
        catalog: ModelCatalog,
        config: DialogueConfig,
        *,
        upstream: ChatBackend | None = None,
    ) -> None:
        self.conversations = conversations
        self.config = config
        self.upstream = upstream
        self._catalog = catalog
        # Locks live only while someone holds or waits for them, so idle conversations cost nothing.
        self._locks: weakref.WeakValueDictionary[ConversationKey, asyncio.Lock] = weakref.WeakValueDictionary()

    async def ask(self, question: Question, backend: ChatBackend, *, stream: bool) -> AsyncGenerator[AskEvent, None]:
        """Answer deltas, then one `Answered`; raises `DialogueError` before the first event when refusing."""
        async with self._lock(question.key):
            replay = self._replay(question)
            if replay is None:
                context = self._context(question)
                question_id = question.question_id or self.conversations.new_question_id(question.key, question.text)
                pieces: list[str] = []
                usage: dict[str, int] | None = None
                async for event in backend.complete(
                    context.messages, model=self.config.model, max_tokens=self.config.reply_tokens, stream=stream
                ):
                    if isinstance(event, ReplyDelta):
                        pieces.append(event.text)
                        yield AnswerDelta(question_id, event.text)
                    else:
                        usage = event.usage
                answered = self._store(question, _exchange(question_id, question, "".join(pieces), usage, context))
        # The lock is released before the last event: a caller that stops reading there holds nothing.
        if replay is not None:
            yield AnswerDelta(replay.exchange.question_id, replay.exchange.answer)
            answered = replay
        yield answered

    def history(self, key: ConversationKey) -> list[Turn]:
        return self.conversations.turns(key)

    def forget(self, key: ConversationKey) -> int:
        """Reset one conversation; returns how many turns it held."""
        return self.conversations.delete(key)

    def reset(self) -> None:
        self.conversations.reset()

    def _lock(self, key: ConversationKey) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def _replay(self, question: Question) -> Answered | None:
        if not question.question_id:
            return None
        stored = self.conversations.find(question.key, question.question_id)
        if stored is not None and stored.question != question.text:
            raise errors.question_id_conflict(question.question_id)
        return None if stored is None else Answered(stored, replayed=True)

    def _context(self, question: Question) -> Context:
        return build_context(
            self.conversations.exchanges(question.key),
            question.text,
            self._window(question.key.org),
            system_prompt=self.config.system_prompt,
        )

    def _store(self, question: Question, exchange: Exchange) -> Answered:
        try:
            self.conversations.add(question.key, exchange)
        except DuplicateQuestion:
            # Another server process on the same data dir answered it first (the lock is per process): the stored
            # answer wins, so every caller sees one answer per question_id.
            stored = self._replay(dataclasses.replace(question, question_id=exchange.question_id))
            if stored is None:
                raise errors.question_id_conflict(exchange.question_id) from None
            return stored
        return Answered(exchange)

    def _window(self, org: str) -> Window:
        model = self._catalog.find(self.config.model, org)
        if model is None or "chat" not in model.endpoints or not model.context_window or not model.encoding:
            raise errors.model_unavailable(self.config.model, "it is not a chat model this server knows")
        if model.context_window <= self.config.reply_tokens:
            reason = f"its context window ({model.context_window}) leaves no room beside the reply budget"
            raise errors.model_unavailable(self.config.model, reason)
        encoding = get_encoding(model.encoding, cache_dir=self.config.cache_dir)
        return Window(model.id, encoding, model.context_window, self.config.reply_tokens)


def _exchange(
    question_id: str, question: Question, answer: str, usage: dict[str, int] | None, context: Context
) -> Exchange:
    return Exchange(question_id, question.text, answer, usage, context.kept_turns + 1, context.dropped_turns)


def build_dialogue_service(settings: Settings, store: Store, catalog: ModelCatalog) -> DialogueService:
    """The dialogue of one app: conversations in its store, answered upstream when `--upstream-base-url` is set."""
    config = DialogueConfig(
        settings.dialogue_model, settings.dialogue_system_prompt, settings.dialogue_reply_tokens, settings.cache_dir
    )
    upstream = None
    if settings.upstream_base_url:
        from mockai.dialogue.backends import upstream_backend  # imports httpx: only when there is an upstream

        upstream = upstream_backend(settings.upstream_base_url, api_key=settings.upstream_api_key)
    return DialogueService(DialogueHistory(store), catalog, config, upstream=upstream)
