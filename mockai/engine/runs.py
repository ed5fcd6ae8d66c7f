"""Runs of token steps: sampled (`GenerationRun`, or its replay), decided (`FixedRun`), and finished for re-reading.

Every piece of a reply, whether the token model sampled it or it was decided beforehand (a scripted text, tool-call
arguments, a structured JSON answer, an edit), is a `TextRun`: it yields `TokenStep`s once, then knows its text, its
finish reason and its token count. Renderers therefore count, stream and logprob every kind of reply the same way.

>>> from mockai.engine.tokenizer import get_encoding
>>> run = FixedRun("Sunny and warm.", get_encoding("cl100k_base"), "stop", max_tokens=2)
>>> [step.text for step in run], run.text, run.finish_reason, run.completion_tokens
(['S', 'unny'], 'Sunny', 'length', 2)
"""

from __future__ import annotations

import codecs
import hashlib
import random
from collections.abc import Iterator
from typing import Protocol

import tiktoken

from mockai.engine.generate import TokenStep, TopLogprob, token_display
from mockai.engine.replay import Recording, ReplayRun

__all__ = ["FixedRun", "TextRun", "choice_rng", "finished", "total_logprob"]


class TextRun(Protocol):
    """Token steps, iterated once (a finished run may be iterated again), then its text, finish and token count."""

    @property
    def text(self) -> str: ...

    @property
    def finish_reason(self) -> str | None: ...

    @property
    def completion_tokens(self) -> int: ...

    def __iter__(self) -> Iterator[TokenStep]: ...


class FixedRun:
    """A reply whose text is already decided (a scripted reply, tool-call arguments, a structured JSON answer),
    cut into the same token steps as generated text, so it is counted, streamed and logprobbed the same way.

    `max_tokens` cuts it like any other reply (finish reason `length`); None leaves it whole. Each token's logprob is
    0 (it was certain), and with `top_logprobs` it lists itself as its only alternative.
    """

    def __init__(
        self,
        text: str,
        encoding: tiktoken.Encoding,
        finish_reason: str,
        *,
        max_tokens: int | None,
        top_logprobs: int = 0,
    ) -> None:
        ids = encoding.encode(text, disallowed_special=())
        if max_tokens is not None and len(ids) > max_tokens:  # a decided reply is cut by max_tokens like any other
            ids, text, finish_reason = ids[:max_tokens], encoding.decode(ids[:max_tokens]), "length"
        self.text = text
        self.finish_reason = finish_reason
        self.completion_tokens = len(ids)
        self._ids = ids
        self._encoding = encoding
        self._top = top_logprobs

    def __iter__(self) -> Iterator[TokenStep]:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        offset = 0
        for token in self._ids:
            raw = self._encoding.decode_single_token_bytes(token)
            piece = decoder.decode(raw)
            yield TokenStep(
                token=token,
                text=piece,
                token_str=token_display(raw),
                token_bytes=list(raw),
                logprob=0.0,
                top_logprobs=(TopLogprob(token_display(raw), 0.0, list(raw)),) if self._top else (),
                text_offset=offset,
            )
            offset += len(piece)


def finished(run: TextRun) -> ReplayRun:
    """Run `run` to its end and keep its steps: the result can be read any number of times."""
    steps = tuple(run)
    return ReplayRun(Recording(steps, run.text, run.finish_reason, run.completion_tokens))


def total_logprob(run: TextRun) -> float:
    """How likely the model found the whole run (what `best_of` ranks candidates by); `run` must be re-readable (a
    `FixedRun`, or `finished`)."""
    return sum(step.logprob for step in run)


def choice_rng(seed: int, fingerprint: bytes, index: int) -> random.Random:
    """The random stream of choice `index`: derived from (seed, request fingerprint, index), nothing else."""
    material = hashlib.blake2b(f"{seed}:{index}:".encode() + fingerprint, digest_size=16).digest()
    return random.Random(int.from_bytes(material, "big"))
