"""Run the token model and sampler into a stream of `TokenStep`s: visible text, logprobs, stops, finish reason.

The same iterator feeds the non-streaming and the streaming responses, so the concatenation of streamed
`step.text` equals the final `run.text` by construction.

>>> import random
>>> from mockai.engine.sampler import SamplingParams
>>> from mockai.engine.token_model import corpus_model
>>> from mockai.engine.tokenizer import get_encoding
>>> encoding, model = get_encoding("cl100k_base"), corpus_model("cl100k_base")
>>> run = GenerationRun(model, encoding.encode("Hello"), SamplingParams(), random.Random(7),
...                     encoding=encoding, max_tokens=5, end_token=encoding.eot_token)
>>> steps = list(run)
>>> run.text == "".join(step.text for step in steps) and run.completion_tokens == len(steps) <= 5
True
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import tiktoken

from mockai.engine.guard import ReplyGuard
from mockai.engine.sampler import SamplingParams, sample_next_token
from mockai.engine.tokenizer import continuation_tokens

__all__ = ["DEFAULT_MAX_TOKENS", "GenerationRun", "NextTokenModel", "TokenStep", "TopLogprob", "token_display"]

# With max_tokens None generation runs until a stop, capped here; callers normally pass the context window left.
DEFAULT_MAX_TOKENS = 4096

FinishReason = Literal["stop", "length"]


class NextTokenModel(Protocol):
    """Anything that scores next tokens: `TokenModel`, `PromptedModel`, or a test double."""

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]: ...


@dataclass(frozen=True)
class TopLogprob:
    """One alternative token as the API lists it in `top_logprobs`."""

    token: str
    logprob: float
    bytes: list[int]


@dataclass(frozen=True)
class TokenStep:
    """One sampled token and the text it makes visible."""

    token: int
    # Text this step ADDS to the visible output: "" while a multi-byte character or a possible stop-sequence
    # prefix is held back; held text comes out in a later step (at the latest, the last one).
    text: str
    token_str: str  # as the API shows it in logprobs ("bytes:\\xe4\\xbd" for part of a UTF-8 character)
    token_bytes: list[int]
    logprob: float
    top_logprobs: tuple[TopLogprob, ...]
    text_offset: int  # where this step's text starts in the completion text (legacy completions logprobs)


@functools.lru_cache(maxsize=65536)
def _token_bytes(encoding: tiktoken.Encoding, token: int) -> bytes:
    return encoding.decode_single_token_bytes(token)


def token_display(token_bytes: bytes) -> str:
    """The token as the API prints it: its text, or `bytes:\\x..` when it is not valid UTF-8 on its own."""
    try:
        return token_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{byte:02x}" for byte in token_bytes)


def _missing_continuations(pending: bytes) -> int:
    """How many UTF-8 continuation bytes the buffered start of a character still needs."""
    lead = pending[0]
    length = 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4 if lead >> 3 == 0b11110 else 1
    return max(length - len(pending), 0)


def _continues(token_bytes: bytes, missing: int) -> bool:
    return all(0x80 <= byte <= 0xBF for byte in token_bytes[:missing])


class _StopFilter:
    """Holds back text that could still become a stop sequence; reports where a stop sequence begins."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(stop for stop in stops if stop)
        self.held = ""

    def feed(self, text: str) -> tuple[str, bool]:
        """Return (text safe to show now, whether a stop sequence was reached)."""
        if not self.stops:
            return text, False
        buffer = self.held + text
        found = [index for index in (buffer.find(stop) for stop in self.stops) if index >= 0]
        if found:
            self.held = ""
            return buffer[: min(found)], True
        keep = self._longest_stop_prefix_suffix(buffer)
        self.held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep], False

    def _longest_stop_prefix_suffix(self, buffer: str) -> int:
        longest = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(buffer)), longest, -1):
                if buffer.endswith(stop[:size]):
                    longest = size
                    break
        return longest

    def flush(self) -> str:
        held, self.held = self.held, ""
        return held


class GenerationRun:
    """One completion: iterate it for `TokenStep`s; afterwards `finish_reason`, `completion_tokens` and `text`.

    Generation ends when the end token is sampled ("stop"; it is neither text nor counted), when a stop
    sequence appears in the text ("stop"; it and anything after it are cut), or after `max_tokens` tokens
    ("length"). `completion_tokens` counts the yielded steps, including those that produced a stop sequence.
    While a UTF-8 character is incomplete, only tokens that continue it are offered to the sampler, and a
    `ReplyGuard` keeps the reply out of loops and ends it only where its text ends naturally.
    """

    def __init__(
        self,
        model: NextTokenModel,
        prompt_ids: Sequence[int],
        params: SamplingParams,
        rng: random.Random,
        *,
        encoding: tiktoken.Encoding,
        max_tokens: int | None,
        stop: Sequence[str] = (),
        end_token: int,
    ) -> None:
        if max_tokens is not None and max_tokens < 0:
            raise ValueError(f"{max_tokens=} must not be negative")
        self._model = model
        self._prompt_ids = list(prompt_ids)
        self._params = params
        self._rng = rng
        self._encoding = encoding
        self._max_tokens = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
        self._stop = _StopFilter(stop)
        self._end_token = end_token
        self._started = False
        self.finish_reason: FinishReason | None = None
        self.completion_tokens = 0
        self.text = ""

    def __iter__(self) -> Iterator[TokenStep]:
        if self._started:
            raise RuntimeError("a GenerationRun can be iterated only once")
        self._started = True
        return self._steps()

    def _steps(self) -> Iterator[TokenStep]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        context = self._prompt_ids
        counts: dict[int, int] = {}
        guard = ReplyGuard(
            functools.partial(_token_bytes, self._encoding), self._end_token, frozenset(self._params.logit_bias)
        )
        pending: TokenStep | None = None  # each step waits one token so the last can take held-back text
        while self.completion_tokens < self._max_tokens:
            logits = self._allowed(self._model.next_token_logits(context), decoder.getstate()[0])
            sampled = sample_next_token(guard.adjust(logits), counts, self._params, self._rng)
            if sampled.token == self._end_token:
                break
            if pending is not None:
                yield pending
            token_bytes = _token_bytes(self._encoding, sampled.token)
            guard.advance(sampled.token)
            context.append(sampled.token)
            counts[sampled.token] = counts.get(sampled.token, 0) + 1
            self.completion_tokens += 1
            visible, stopped = self._stop.feed(decoder.decode(token_bytes))
            pending = self._step(sampled.token, token_bytes, sampled.logprob, sampled.top_logprobs, visible)
            if stopped:
                self.finish_reason = "stop"
                yield pending
                return
        self.finish_reason = "length" if self.completion_tokens >= self._max_tokens else "stop"
        # A stop-sequence prefix that never completed is ordinary text; a dangling byte decodes to U+FFFD.
        tail = self._stop.flush() + decoder.decode(b"", final=True)
        if pending is not None:
            self.text += tail
            yield dataclasses.replace(pending, text=pending.text + tail)

    def _allowed(self, logits: dict[int, float], pending_bytes: bytes) -> dict[int, float]:
        """Drop candidates that would make invalid UTF-8 (a backed-off n-gram can propose them).

        Falls back to every candidate when none is valid, so generation always proceeds.
        """
        if not pending_bytes:
            orphans = continuation_tokens(self._encoding)
            if orphans.isdisjoint(logits):
                return logits
            return {token: score for token, score in logits.items() if token not in orphans} or logits
        missing = _missing_continuations(pending_bytes)
        allowed = {
            token: score
            for token, score in logits.items()
            if token != self._end_token and _continues(_token_bytes(self._encoding, token), missing)
        }
        return allowed or logits

    def _step(
        self,
        token: int,
        token_bytes: bytes,
        logprob: float,
        alternatives: tuple[tuple[int, float], ...],
        visible: str,
    ) -> TokenStep:
        step = TokenStep(
            token=token,
            text=visible,
            token_str=token_display(token_bytes),
            token_bytes=list(token_bytes),
            logprob=logprob,
            top_logprobs=tuple(self._top_logprob(candidate, value) for candidate, value in alternatives),
            text_offset=len(self.text),
        )
        self.text += visible
        return step

    def _top_logprob(self, token: int, logprob: float) -> TopLogprob:
        raw = _token_bytes(self._encoding, token)
        return TopLogprob(token=token_display(raw), logprob=logprob, bytes=list(raw))
