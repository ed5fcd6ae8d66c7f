"""Runs of token steps: sampled (`GenerationRun`, or its replay), decided (`FixedRun`), and where they come from.

Every piece of a reply, whether the token model sampled it or it was decided beforehand (a scripted text, tool-call
arguments, a structured JSON answer, an edit), is a `TextRun`: it yields `TokenStep`s once, then knows its text, its
finish reason and its token count. Renderers therefore count, stream and logprob every kind of reply the same way.
A `RunSource` gives a request's runs: it draws choice `i` from the `GenerationModel` with the `Sampling` knobs and
choice `i`'s own random stream, keyed in the replay cache by everything the run depends on.

>>> from mockai.engine.tokenizer import get_encoding
>>> run = FixedRun("Sunny and warm.", get_encoding("cl100k_base"), "stop", max_tokens=2)
>>> [step.text for step in run], run.text, run.finish_reason, run.completion_tokens
(['S', 'unny'], 'Sunny', 'length', 2)
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import tiktoken

from mockai.engine.generate import GenerationRun, TokenStep, TopLogprob, token_display
from mockai.engine.replay import Recording, RecordingRun, ReplayCache, ReplayRun
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import TokenModel

__all__ = [
    "FixedRun",
    "GenerationModel",
    "RunSource",
    "Sampling",
    "TextRun",
    "choice_rng",
    "finished",
    "total_logprob",
]


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
    if isinstance(run, ReplayRun):
        return run  # already kept
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


@dataclass(frozen=True)
class GenerationModel:
    """The model that answers: its id, its owning organization (fine-tuned models), its tokenizer, its token model."""

    id: str
    encoding: tiktoken.Encoding
    token_model: TokenModel
    owner: str | None = None


@dataclass(frozen=True)
class Sampling:
    """How the reply is drawn.

    `fingerprint` is what the random streams derive from: the sampling-relevant part of the request, as the wire format
    defines it (so a streamed and a plain request, or a smaller `max_tokens`, draw the same tokens). Choice `i` draws
    from its own stream, numbered `first_choice + i`. With `best_of`, that many candidates are drawn and the `choices`
    with the highest total logprob are returned (completions). `params.top_logprobs` alternatives are listed per token.
    """

    params: SamplingParams
    seed: int
    fingerprint: bytes
    max_output_tokens: int
    stop: tuple[str, ...] = ()
    choices: int = 1
    best_of: int | None = None
    first_choice: int = 0

    def __post_init__(self) -> None:
        if self.choices < 1:
            raise ValueError(f"{self.choices=} must be at least 1")
        if self.best_of is not None and self.best_of < self.choices:
            raise ValueError(f"{self.best_of=} must be at least {self.choices=}")
        if self.max_output_tokens < 0:
            raise ValueError(f"{self.max_output_tokens=} must not be negative")

    @property
    def candidates(self) -> int:
        return self.best_of or self.choices


class RunSource:
    """Where the runs of one request's choices come from: sampled from the model (played back when exactly that run
    has finished before) or decided.

    The prompt is token ids (a raw prompt) or a rendered conversation's text, which is encoded only when a run is
    actually sampled: a replayed run never reads the prompt's tokens, and keying replays by the text (which the
    encoding turns into exactly one list of ids) spares a repeated request the tokenizer.
    """

    def __init__(
        self, model: GenerationModel, sampling: Sampling, prompt: Sequence[int] | str, replays: ReplayCache
    ) -> None:
        self.model = model
        self.sampling = sampling
        self._prompt = prompt
        self._prompt_key = hash(prompt) if isinstance(prompt, str) else hash(tuple(prompt))
        self._replays = replays

    @functools.cached_property
    def _prompt_ids(self) -> Sequence[int]:
        prompt = self._prompt
        return self.model.encoding.encode(prompt, disallowed_special=()) if isinstance(prompt, str) else prompt

    def generated(self, index: int, *, max_tokens: int | None = None) -> TextRun:
        """Choice `index` sampled from its own random stream, derived from (seed, request, index); played back when
        exactly this run has finished before."""
        model, sampling = self.model, self.sampling
        limit = sampling.max_output_tokens if max_tokens is None else max_tokens
        key = (
            model.id,
            model.owner,
            sampling.fingerprint,
            sampling.seed,
            index,
            limit,
            sampling.stop,
            sampling.params.top_logprobs,
            isinstance(self._prompt, str),
            self._prompt_key,
        )
        recording = self._replays.get(key)
        if recording is not None:
            return ReplayRun(recording)
        run = GenerationRun(
            model.token_model.for_prompt(self._prompt_ids),
            self._prompt_ids,
            sampling.params,
            choice_rng(sampling.seed, sampling.fingerprint, index),
            encoding=model.encoding,
            max_tokens=limit,
            stop=sampling.stop,
            end_token=model.encoding.eot_token,
        )
        return RecordingRun(run, lambda done: self._replays.put(key, done))

    def decided(self, text: str) -> FixedRun:
        """A decided text as token steps, cut by max_output_tokens."""
        top = self.sampling.params.top_logprobs
        return FixedRun(text, self.model.encoding, "stop", max_tokens=self.sampling.max_output_tokens, top_logprobs=top)
