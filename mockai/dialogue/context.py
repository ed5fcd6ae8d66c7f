"""Build the chat `messages` for a question: system prompt, as much recent history as fits, then the question.

The prompt is counted with the documented chat rule (`count_chat_tokens`), and the prompt plus the reply budget must
fit the model's context window. History is dropped oldest first, a whole exchange (question and answer) at a time,
so what the model sees always starts with a user turn; the system prompt and the new question are never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import tiktoken

from mockai.dialogue import errors
from mockai.engine.chat_format import count_chat_tokens
from mockai.state.dialogue_history import Exchange

ChatMessage = dict[str, str]


@dataclass(frozen=True)
class Context:
    """What is sent for one question, and how much history it kept."""

    messages: list[ChatMessage]
    prompt_tokens: int
    kept_turns: int  # history turns kept (the new question not counted)
    dropped_turns: int  # history turns left out, oldest first


@dataclass(frozen=True)
class Window:
    """The model's limits: its encoding and chat counting rule, its context window, and the reply's budget."""

    model: str
    encoding: tiktoken.Encoding
    context_window: int
    reply_tokens: int

    def __post_init__(self) -> None:
        if self.reply_tokens <= 0:
            raise ValueError(f"{self.reply_tokens=} must be positive")
        if self.context_window <= self.reply_tokens:
            raise ValueError(f"{self.context_window=} must exceed {self.reply_tokens=}")

    def cost(self, message: ChatMessage) -> int:
        """What one message adds to a prompt (the rule is a sum over messages plus a fixed reply priming)."""
        return count_chat_tokens([message], self.encoding, model=self.model) - self.priming

    @property
    def priming(self) -> int:
        return count_chat_tokens([], self.encoding, model=self.model)


def build_context(
    history: Sequence[Exchange], question: str, window: Window, *, system_prompt: str | None = None
) -> Context:
    """The messages for `question` after `history`, trimmed to `window`; a question that cannot fit is refused.

    >>> from mockai.engine.tokenizer import get_encoding
    >>> window = Window("gpt-3.5-turbo", get_encoding("cl100k_base"), context_window=30, reply_tokens=10)
    >>> old = [Exchange("q1", "昨天下雨了,我出门没带伞,会怎么样", "会被淋湿。")]
    >>> context = build_context(old, "如果带了呢", window)
    >>> [m["content"] for m in context.messages], context.dropped_turns
    (['如果带了呢'], 2)
    """
    head = [{"role": "system", "content": system_prompt}] if system_prompt else []
    tail = {"role": "user", "content": question}
    fixed = window.priming + sum(window.cost(message) for message in [*head, tail])
    available = window.context_window - window.reply_tokens
    if fixed > available:
        raise errors.question_too_long(fixed, available, window.context_window, window.reply_tokens)
    kept: list[ChatMessage] = []
    total = fixed
    for exchange in reversed(history):
        pair = [{"role": "user", "content": exchange.question}, {"role": "assistant", "content": exchange.answer}]
        cost = sum(window.cost(message) for message in pair)
        if total + cost > available:
            break
        kept[:0] = pair
        total += cost
    return Context([*head, *kept, tail], total, len(kept), 2 * len(history) - len(kept))
