"""What completions, chat and edits share: model resolution, sampling knobs, seeding, context checks, logprobs.

The handlers stay thin: they turn a validated body into a `TextJob` here, run one `GenerationRun` per choice, and
shape the steps into their own response or stream chunks. Streamed and non-streamed answers come from the same
runs, so their text is equal by construction.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import tiktoken
from starlette.requests import Request

from mockai import errors
from mockai.api.auth import organization
from mockai.api.models import resolve_model as resolve_model  # the text handlers import it from here
from mockai.api.services import Services, services
from mockai.engine.generate import GenerationRun, TokenStep, TopLogprob, token_display
from mockai.engine.replay import RecordingRun, ReplayCache, ReplayRun
from mockai.engine.sampler import SamplingParams
from mockai.engine.scoring import ScoredToken
from mockai.engine.token_model import TokenModel, corpus_model
from mockai.engine.tokenizer import get_encoding
from mockai.state.catalog import ModelInfo

T = TypeVar("T")

#: When a request sets no `max_tokens`, a reply may use the rest of the context window, capped here: the tiny model
#: ends most replies by itself, and the cap bounds the rare greedy loop (README: "Decisions").
DEFAULT_REPLY_BUDGET = 2048

#: Fields that do not change the random stream a choice samples from: a streamed and a plain request get the same
#: text, a smaller `max_tokens` or a `stop` cuts that same text, and choice i is the same whatever `n` is.
_NOT_PART_OF_THE_SAMPLE = frozenset(
    {
        "stream",
        "stream_options",
        "user",
        "metadata",
        "store",
        "service_tier",
        "stop",
        "max_tokens",
        "max_completion_tokens",
        "n",
        "best_of",
        "logprobs",
        "top_logprobs",
        "echo",
        "parallel_tool_calls",
    }
)


@dataclass(frozen=True)
class TextJob:
    """One generation request, resolved: which model, which tokens, which knobs."""

    model: ModelInfo
    encoding: tiktoken.Encoding
    language_model: TokenModel
    end_token: int
    params: SamplingParams
    stop: tuple[str, ...]
    seed: int
    seeded: bool  # the request gave a `seed`: ids are derived from the request too (same request, same bytes)
    fingerprint: bytes  # what the random streams derive from (see _NOT_PART_OF_THE_SAMPLE)
    digest: bytes  # the whole request

    replays: ReplayCache

    def run(
        self, prompt_ids: Sequence[int], *, index: int, max_tokens: int
    ) -> GenerationRun | ReplayRun | RecordingRun:
        """The generation of choice `index`: its own random stream, derived from (seed, request, index); played
        back when exactly this run has finished before."""
        key = (
            self.model.id,
            self.model.owner_org,
            self.fingerprint,
            self.seed,
            index,
            max_tokens,
            self.stop,
            self.params.top_logprobs,
            hash(tuple(prompt_ids)),
        )
        recording = self.replays.get(key)
        if recording is not None:
            return ReplayRun(recording)
        run = GenerationRun(
            self.language_model.for_prompt(prompt_ids),
            prompt_ids,
            self.params,
            choice_rng(self.seed, self.fingerprint, index),
            encoding=self.encoding,
            max_tokens=max_tokens,
            stop=self.stop,
            end_token=self.end_token,
        )
        return RecordingRun(run, lambda done: self.replays.put(key, done))


@dataclass(frozen=True)
class CollectedRun:
    """A finished generation with its steps kept (non-streamed responses read them more than once)."""

    run: TextRun
    steps: list[TokenStep]

    @property
    def total_logprob(self) -> float:
        return sum(step.logprob for step in self.steps)


def collect(run: TextRun) -> CollectedRun:
    return CollectedRun(run, list(run))


class FixedRun:
    """A reply whose text is already decided (a scripted reply, tool-call arguments, a structured JSON answer),
    cut into the same token steps as generated text, so it is counted, streamed and logprobbed the same way."""

    def __init__(
        self, text: str, encoding: tiktoken.Encoding, finish_reason: str, *, max_tokens: int, top_logprobs: int = 0
    ) -> None:
        ids = encoding.encode(text, disallowed_special=())
        if len(ids) > max_tokens:  # a decided reply is cut by max_tokens like any other
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


#: Anything that yields token steps and then knows its text, finish_reason and token count.
TextRun = GenerationRun | ReplayRun | RecordingRun | FixedRun


def text_job(request: Request, body: Mapping[str, Any], model: ModelInfo, *, top_logprobs: int) -> TextJob:
    app = services(request)
    encoding = get_encoding(model.encoding or "cl100k_base", cache_dir=app.settings.cache_dir)
    stop = body.get("stop")
    return TextJob(
        model=model,
        encoding=encoding,
        language_model=language_model(app, request, model),
        end_token=encoding.eot_token,
        params=sampling_params(body, encoding, top_logprobs=top_logprobs),
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        seed=app.settings.seed if body.get("seed") is None else int(body["seed"]),
        seeded=body.get("seed") is not None,
        fingerprint=request_fingerprint(body),
        digest=hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=16).digest(),
        replays=app.replays,
    )


def language_model(app: Services, request: Request, model: ModelInfo) -> TokenModel:
    """The fine-tuned model's adapted token model, or the corpus model of the model's encoding."""
    if model.is_fine_tuned:
        adapted = app.fine_tunes.language_model(organization(request), model.id)
        if adapted is not None:
            return adapted
    return corpus_model(model.encoding or "cl100k_base", cache_dir=app.settings.cache_dir)


def sampling_params(body: Mapping[str, Any], encoding: tiktoken.Encoding, *, top_logprobs: int) -> SamplingParams:
    return SamplingParams(
        temperature=_number(body, "temperature", 1.0),
        top_p=_number(body, "top_p", 1.0),
        presence_penalty=_number(body, "presence_penalty", 0.0),
        frequency_penalty=_number(body, "frequency_penalty", 0.0),
        logit_bias=token_bias(body.get("logit_bias"), encoding),
        top_logprobs=top_logprobs,
    )


def token_bias(raw: Mapping[str, float] | None, encoding: tiktoken.Encoding) -> dict[int, float]:
    """`logit_bias` keys are token ids written as strings; each must name a token of the model's vocabulary."""
    bias: dict[int, float] = {}
    for key, value in (raw or {}).items():
        if not key.isdigit() or int(key) >= encoding.n_vocab:
            raise errors.invalid_request(
                f"Invalid key in 'logit_bias': {key}. Keys must be token ids of the model's vocabulary "
                f"(0 to {encoding.n_vocab - 1}).",
                param="logit_bias",
                code="invalid_value",
            )
        bias[int(key)] = float(value)
    return bias


def check_output_limit(model: ModelInfo, body: Mapping[str, Any]) -> None:
    """A requested completion over the model's output cap is refused before the prompt is even counted (a request
    can meet this 400 with a prompt that would fit)."""
    cap = model.output_cap
    if cap is None:
        return
    for param in ("max_completion_tokens", "max_tokens"):
        requested = body.get(param)
        if requested is not None and requested > cap:
            raise errors.max_tokens_too_large(param, cap, requested)


def check_context(model: ModelInfo, prompt_tokens: int, max_tokens: int | None, *, chat: bool) -> int:
    """The completion budget: `max_tokens`, or what the window leaves; over the window is the real 400."""
    window = model.context_window or 4096
    if max_tokens is None:
        left = window - prompt_tokens
        if left <= 0:
            raise errors.context_length_exceeded(window, prompt_tokens, prompt_tokens, 0, chat=chat)
        return min(left, DEFAULT_REPLY_BUDGET, model.output_cap or DEFAULT_REPLY_BUDGET)
    if prompt_tokens + max_tokens > window:
        raise errors.context_length_exceeded(window, prompt_tokens + max_tokens, prompt_tokens, max_tokens, chat=chat)
    return max_tokens


def request_fingerprint(body: Mapping[str, Any]) -> bytes:
    relevant = {key: value for key, value in body.items() if key not in _NOT_PART_OF_THE_SAMPLE}
    return hashlib.blake2b(json.dumps(relevant, sort_keys=True).encode(), digest_size=16).digest()


def choice_rng(seed: int, fingerprint: bytes, index: int) -> random.Random:
    material = hashlib.blake2b(f"{seed}:{index}:".encode() + fingerprint, digest_size=16).digest()
    return random.Random(int.from_bytes(material, "big"))


def response_id(prefix: str, job: TextJob, request: Request) -> str:
    """With a `seed` the id is derived from the request, so the same request gives the same bytes; otherwise it is
    unique per request, like the real API's."""
    salt = str(job.seed).encode() if job.seeded else str(request.state.request_id).encode()
    return f"{prefix}-" + hashlib.blake2b(salt + job.digest, digest_size=15).hexdigest()[:29]


def system_fingerprint(model: ModelInfo, seed: int) -> str:
    """Stable per model and server seed, like the real `fp_…` that changes only with the backend."""
    return "fp_" + hashlib.blake2b(f"{model.id}:{seed}".encode(), digest_size=5).hexdigest()


def created_at(request: Request) -> int:
    return int(services(request).clock.now())


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """The `usage` object: exact tiktoken counts."""
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_logprobs(steps: Sequence[TokenStep]) -> dict[str, Any]:
    """`choices[].logprobs` of a chat completion: one entry per token, with `top_logprobs` alternatives."""
    return {"content": [_chat_token(step) for step in steps], "refusal": None}


def _chat_token(step: TokenStep) -> dict[str, Any]:
    return {
        "token": step.token_str,
        "logprob": step.logprob,
        "bytes": step.token_bytes,
        "top_logprobs": [{"token": top.token, "logprob": top.logprob, "bytes": top.bytes} for top in step.top_logprobs],
    }


def completion_logprobs(
    steps: Sequence[TokenStep], *, offset: int = 0, prompt: Sequence[ScoredToken] = ()
) -> dict[str, Any]:
    """The legacy completions `logprobs` object: parallel lists of tokens, logprobs, alternatives, offsets; with
    `echo`, the prompt's scored tokens come first (the first one's logprob and alternatives are `null`)."""
    return {
        "tokens": [scored.token for scored in prompt] + [step.token_str for step in steps],
        "token_logprobs": [scored.logprob for scored in prompt] + [step.logprob for step in steps],
        "top_logprobs": [scored.top_logprobs for scored in prompt]
        + [{top.token: top.logprob for top in step.top_logprobs} for step in steps],
        "text_offset": [scored.text_offset for scored in prompt] + [offset + step.text_offset for step in steps],
    }


def interleave(runs: Sequence[Iterator[T]]) -> Iterator[tuple[int, T | None]]:
    """Round-robin over the choices' items as the real API interleaves n > 1 streams; `None` marks a choice's end."""
    active = list(enumerate(runs))
    while active:
        still: list[tuple[int, Iterator[T]]] = []
        for index, steps in active:
            step = next(steps, None)
            yield index, step
            if step is not None:
                still.append((index, steps))
        active = still


def _number(body: Mapping[str, Any], name: str, default: float) -> float:
    value = body.get(name)
    return default if value is None else float(value)
