"""Validate fine-tuning JSONL the way the real API does, one streamed line at a time, naming the first bad line.

Two formats exist: legacy prompt/completion lines (`{"prompt": "...", "completion": "..."}`) and chat lines
(`{"messages": [{"role": ..., "content": ...}, ...]}`). A file is one format throughout. The wording of each
complaint lives in `mockai.errors` with the rest of the user-visible text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockai import errors, strict_json

CHAT_ROLES = ("system", "user", "assistant", "tool", "function")


class DataFormat(StrEnum):
    PROMPT_COMPLETION = "prompt-completion"  # legacy lines: {"prompt", "completion"}
    CHAT = "chat"  # modern lines: {"messages": [...]}


@dataclass(frozen=True)
class JsonlReport:
    """What validation found: the format and example count, or the first problem (then `error` is set)."""

    format: DataFormat | None
    examples: int
    error: str | None

    @property
    def valid(self) -> bool:
        return self.error is None


class JsonlValidator:
    """Feed it the file's chunks as they stream in; `report()` at the end.

    >>> v = JsonlValidator()
    >>> v.feed(b'{"prompt": "a", "completion": "b"}\\n{"prompt": "c"}\\n')
    >>> v.report().error
    'Expected file to have JSONL format with prompt/completion keys. Missing `completion` key on line 2.'
    """

    def __init__(self) -> None:
        self._pending = b""
        self._line = 0
        self._examples = 0
        self._format: DataFormat | None = None
        self._error: str | None = None

    def feed(self, chunk: bytes) -> None:
        if self._error is not None:
            return
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        for raw in complete:
            self._take(raw)

    def report(self) -> JsonlReport:
        if self._pending:
            self._take(self._pending)
            self._pending = b""
        if self._error is None and self._examples == 0:
            self._error = errors.jsonl_no_examples()
        return JsonlReport(self._format, self._examples, self._error)

    def _take(self, raw: bytes) -> None:
        self._line += 1
        if self._error is not None or not raw.strip():
            return
        self._error = self._check(self._line, raw)
        if self._error is None:
            self._examples += 1

    def _check(self, line: int, raw: bytes) -> str | None:
        try:
            document = strict_json.loads(raw)
        except strict_json.RefusedJSON:
            return errors.jsonl_not_json(line)
        if not isinstance(document, dict):
            return errors.jsonl_not_object(line)
        found = DataFormat.CHAT if "messages" in document else DataFormat.PROMPT_COMPLETION
        if self._format is None:
            self._format = found
        elif found is not self._format:
            return errors.jsonl_mixed_formats(line, found.value, self._format.value)
        if found is DataFormat.CHAT:
            return _check_chat(line, document["messages"])
        return _check_prompt_completion(line, document)


def _check_prompt_completion(line: int, document: dict[str, Any]) -> str | None:
    for key in ("prompt", "completion"):
        if key not in document:
            return errors.jsonl_missing_key(line, key)
        if not isinstance(document[key], str):
            return errors.jsonl_key_not_string(line, key)
    return None


def _check_chat(line: int, messages: object) -> str | None:
    if not isinstance(messages, list) or not messages:
        return errors.jsonl_chat_problem(line, "must be a non-empty array of messages")
    for index, message in enumerate(messages, start=1):
        problem = _chat_message_problem(message)
        if problem is not None:
            return errors.jsonl_chat_problem(line, f"message {index}: {problem}")
    if not any(m["role"] == "assistant" for m in messages):
        return errors.jsonl_chat_problem(line, "contains no assistant message to learn from")
    return None


def _chat_message_problem(message: object) -> str | None:
    if not isinstance(message, dict):
        return "each message must be an object"
    if message.get("role") not in CHAT_ROLES:
        return f"role must be one of {', '.join(CHAT_ROLES)}"
    content = message.get("content")
    if content is None and ("tool_calls" in message or "function_call" in message):
        return None
    if not isinstance(content, str):
        return "content must be a string"
    return None


def read_examples(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """The examples of an already validated file, one parsed line at a time."""
    pending = b""
    for chunk in chunks:
        *complete, pending = (pending + chunk).split(b"\n")
        for raw in complete:
            if raw.strip():
                yield strict_json.loads(raw)
    if pending.strip():
        yield strict_json.loads(pending)
