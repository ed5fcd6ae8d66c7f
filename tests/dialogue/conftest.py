"""Dialogue test helpers: the seed's questions, and a scripted chat backend that records what it was sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from mockai._paths import resource_dir
from mockai.dialogue.replies import ChatMessage, ReplyDelta, ReplyDone, ReplyEvent


def seed_questions() -> list[str]:
    """The seed conversation's user turns, retries removed, then the seed's two upper-layer questions."""
    seed = json.loads((resource_dir("fixtures") / "seed_conversation.json").read_text(encoding="utf-8"))
    questions: list[str] = []
    for message in seed["chat_request"]["messages"]:
        if message["role"] == "user" and (not questions or questions[-1] != message["content"]):
            questions.append(message["content"])
    return questions + [ask["pars"]["question"] for ask in seed["ask_requests"]]


class ScriptedBackend:
    """Answers `answer:<question>` in two pieces and records every conversation it was sent.

    `gate`, when set, holds each call until the test releases it, so tests can overlap requests deterministically.
    """

    def __init__(self, *, gate: asyncio.Event | None = None, fail_with: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.gate = gate
        self.fail_with = fail_with
        self.entered = asyncio.Event()

    async def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int, stream: bool
    ) -> AsyncIterator[ReplyEvent]:
        self.calls.append({"messages": [dict(m) for m in messages], "model": model, "max_tokens": max_tokens})
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        answer = f"answer:{messages[-1]['content']}"
        half = len(answer) // 2
        yield ReplyDelta(answer[:half])
        yield ReplyDelta(answer[half:])
        yield ReplyDone({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}, "stop")


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend()
