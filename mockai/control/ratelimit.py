"""Rate limits like the real API's: per (key, model) request and token windows on the world clock.

Each limit is a fixed one-minute window that opens with the first request counted in it and resets a minute later
by world time, so `POST /_mockai/clock/advance` (never a wall-clock wait) is what frees a limited client. A request
is charged its estimated token cost up front, as the real API does: the prompt counted with a cheap word-and-
punctuation split (GPT-2's pre-tokenizer pattern, which splits text into about as many pieces as BPE gives tokens
for English, without loading a 70 MiB encoding just to count), plus `max_tokens × n` reserved for the completion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

WINDOW_SECONDS = 60.0
Kind = Literal["requests", "tokens"]
# GPT-2's pre-tokenizer with `\p{L}`/`\p{N}` written as `\w`/`\d`, which the stdlib `re` understands.
_PIECES = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d{1,3}| ?[^\s\w]+|\s+(?!\S)|\s+")
_COMPLETIONS_DEFAULT_MAX_TOKENS = 16  # the documented default of /v1/completions


@dataclass(frozen=True)
class Limits:
    """Requests and tokens per minute; None means that dimension is not limited."""

    rpm: int | None = None
    tpm: int | None = None

    @property
    def any(self) -> bool:
        return self.rpm is not None or self.tpm is not None


@dataclass(frozen=True)
class Exceeded:
    """Why a request was refused: everything the real 429 message quotes."""

    kind: Kind
    limit: int
    used: int
    requested: int
    retry_after: float  # world seconds until the window resets


@dataclass(frozen=True)
class Decision:
    """The outcome of charging one request: the `x-ratelimit-*` headers, and what was exceeded (if anything)."""

    headers: dict[str, str]
    exceeded: Exceeded | None = None


@dataclass
class _Window:
    opened_at: float
    used: int = 0


class RateLimiter:
    """Counts requests and tokens per (api key, model, kind) window.

    >>> limiter = RateLimiter(Limits(rpm=1))
    >>> limiter.charge("sk", "gpt-4", 10, now=0.0).headers["x-ratelimit-remaining-requests"]
    '0'
    >>> limiter.charge("sk", "gpt-4", 10, now=1.0).exceeded.retry_after
    59.0
    """

    def __init__(self, default: Limits, per_model: Mapping[str, Limits] | None = None) -> None:
        self._default = default
        self._per_model = dict(per_model or {})
        self._windows: dict[tuple[str, str, Kind], _Window] = {}

    @property
    def enabled(self) -> bool:
        return self._default.any or any(limits.any for limits in self._per_model.values())

    def limits_for(self, model: str) -> Limits:
        return self._per_model.get(model, self._default)

    def charge(self, key: str, model: str, tokens: int, *, now: float) -> Decision:
        """Count one request of `tokens` tokens unless a limit would be exceeded (then count nothing)."""
        limits = self.limits_for(model)
        wanted: list[tuple[Kind, int, int]] = []
        if limits.rpm is not None:
            wanted.append(("requests", limits.rpm, 1))
        if limits.tpm is not None:
            wanted.append(("tokens", limits.tpm, tokens))
        windows = {kind: self._window(key, model, kind, now) for kind, _, _ in wanted}
        exceeded = next(
            (
                Exceeded(kind, limit, windows[kind].used, amount, self._reset_in(windows[kind], now))
                for kind, limit, amount in wanted
                if windows[kind].used + amount > limit
            ),
            None,
        )
        if exceeded is None:
            for kind, _, amount in wanted:
                windows[kind].used += amount
        headers: dict[str, str] = {}
        for kind, limit, _ in wanted:
            window = windows[kind]
            headers[f"x-ratelimit-limit-{kind}"] = str(limit)
            headers[f"x-ratelimit-remaining-{kind}"] = str(max(0, limit - window.used))
            headers[f"x-ratelimit-reset-{kind}"] = format_duration(self._reset_in(window, now))
        return Decision(headers, exceeded)

    def reset(self) -> None:
        self._windows.clear()

    def _window(self, key: str, model: str, kind: Kind, now: float) -> _Window:
        window = self._windows.get((key, model, kind))
        if window is None or now >= window.opened_at + WINDOW_SECONDS:
            window = _Window(opened_at=now)
            self._windows[(key, model, kind)] = window
        return window

    @staticmethod
    def _reset_in(window: _Window, now: float) -> float:
        # An empty window has nothing to reset; the real API then reports 0s.
        return max(0.0, window.opened_at + WINDOW_SECONDS - now) if window.used else 0.0


def format_duration(seconds: float) -> str:
    """The real API's reset format (Go's duration string): `120ms`, `8.64s`, `1m0s`, `6m0s`.

    >>> [format_duration(s) for s in (0.12, 8.64, 60, 360, 0)]
    ['120ms', '8.64s', '1m0s', '6m0s', '0s']
    """
    millis = math.ceil(round(seconds * 1000, 6))
    if millis == 0:
        return "0s"
    if millis < 1000:
        return f"{millis}ms"
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = f"{rest / 1000:.3f}".rstrip("0").rstrip(".")
    text = f"{minutes}m{secs}s" if hours or minutes else f"{secs}s"
    return f"{hours}h{text}" if hours else text


def retry_after_header(seconds: float) -> str:
    """`retry-after` is whole seconds, rounded up so a client that obeys it is never early."""
    return str(max(1, math.ceil(seconds)))


def estimate_tokens(body: Mapping[str, Any] | None, *, operation_id: str | None = None) -> int:
    """The token cost the limiter charges for a request body (see the module docstring)."""
    if not body:
        return 0
    prompt = count_pieces(_prompt_texts(body))
    messages = body.get("messages")
    if isinstance(messages, list):
        prompt += 3 * len(messages) + 3  # the per-message framing of the chat format
    default_max = _COMPLETIONS_DEFAULT_MAX_TOKENS if operation_id == "createCompletion" else 0
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens") or default_max
    n = body.get("n") or 1
    return prompt + int(max_tokens) * int(n)


def count_pieces(texts: list[str]) -> int:
    """How many pre-tokenizer pieces the texts split into (≈ BPE tokens for English)."""
    return sum(len(_PIECES.findall(text)) for text in texts)


def _prompt_texts(body: Mapping[str, Any]) -> list[str]:
    texts: list[str] = []
    for key in ("prompt", "input", "instruction", "suffix"):
        texts += _texts_of(body.get(key))
    for message in body.get("messages") or []:
        if isinstance(message, Mapping):
            texts += _texts_of(message.get("content"))
    return texts


def _texts_of(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        # Token arrays (lists of ints) already are tokens: one piece per token.
        return [
            text
            for item in value
            for text in ([item] if isinstance(item, str) else ["x"] if isinstance(item, int) else _texts_of(item))
        ]
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        return [value["text"]]
    return []
