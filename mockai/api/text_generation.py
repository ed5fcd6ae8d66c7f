"""What the text-generating wire formats share on the HTTP side: model resolution, sampling knobs, seeding, context
checks, ids, usage and logprobs objects.

A handler turns a validated body into a `ReplyRequest` of the generation core (`engine/reply.py`) with the helpers
here, gets the plan with `answer()` (which applies the control plane's scripted reply), and renders it as its own
body or stream chunks. Streamed and non-streamed answers come from the same runs, so their text is equal by
construction.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import tiktoken
from starlette.requests import Request

from mockai import errors
from mockai.api.auth import organization
from mockai.api.models import resolve_model as resolve_model  # the text handlers import it from here
from mockai.api.scripting import scripted_reply
from mockai.api.services import PARSED_BODY, Services, services
from mockai.engine.generate import TokenStep
from mockai.engine.reply import Reply, ReplyRequest, Usage, plan_reply
from mockai.engine.runs import GenerationModel, Sampling
from mockai.engine.sampler import SamplingParams
from mockai.engine.scoring import ScoredToken
from mockai.engine.token_model import TokenModel, corpus_model
from mockai.engine.tokenizer import get_encoding
from mockai.lru import LruMap
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


def generation_model(request: Request, model: ModelInfo) -> GenerationModel:
    """The model as the generation core sees it: its encoding and its token model (a fine-tuned one's own)."""
    cache_dir = services(request).settings.cache_dir
    if not model.is_fine_tuned:
        return _base_model(model.id, model.encoding or "cl100k_base", cache_dir)
    return GenerationModel(
        id=model.id,
        encoding=get_encoding(model.encoding or "cl100k_base", cache_dir=cache_dir),
        token_model=language_model(services(request), request, model),
        owner=model.owner_org,
    )


@functools.lru_cache(maxsize=256)
def _base_model(model_id: str, encoding_name: str, cache_dir: Path | None) -> GenerationModel:
    """A base model is a pure function of its id and encoding, so it is built once, not per request (`cache_dir`
    only says where a first fit is kept between processes)."""
    return GenerationModel(
        model_id, get_encoding(encoding_name, cache_dir=cache_dir), corpus_model(encoding_name, cache_dir=cache_dir)
    )


def sampling(
    request: Request,
    body: Mapping[str, Any],
    model: GenerationModel,
    *,
    max_output_tokens: int,
    top_logprobs: int,
    choices: int = 1,
    best_of: int | None = None,
    first_choice: int = 0,
) -> Sampling:
    """The sampling knobs of a validated body: temperature and friends, `seed` (the server's when absent), `stop`."""
    stop = body.get("stop")
    return Sampling(
        params=sampling_params(body, model.encoding, top_logprobs=top_logprobs),
        seed=request_seed(request, body),
        fingerprint=canonical_body(request, body).digest(leaving_out=_NOT_PART_OF_THE_SAMPLE),
        max_output_tokens=max_output_tokens,
        stop=(stop,) if isinstance(stop, str) else tuple(stop or ()),
        choices=choices,
        best_of=best_of,
        first_choice=first_choice,
    )


def answer(request: Request, reply_request: ReplyRequest) -> Reply:
    """Plan the reply; a content rule the control plane chose for this request replaces the model's decision, so
    every wire format built on the core is scripted the same way."""
    scripted = scripted_reply(request)
    if scripted is not None:
        reply_request = dataclasses.replace(reply_request, scripted=scripted)
    return plan_reply(reply_request, replays=services(request).replays)


def request_seed(request: Request, body: Mapping[str, Any]) -> int:
    return services(request).settings.seed if body.get("seed") is None else int(body["seed"])


def language_model(app: Services, request: Request, model: ModelInfo) -> TokenModel:
    """The fine-tuned model's adapted token model, or the corpus model of the model's encoding."""
    if model.is_fine_tuned:
        adapted = app.fine_tunes.language_model(organization(request), model.id)
        if adapted is not None:
            return adapted
    return corpus_model(model.encoding or "cl100k_base", cache_dir=app.settings.cache_dir)


def sampling_params(body: Mapping[str, Any], encoding: tiktoken.Encoding, *, top_logprobs: int) -> SamplingParams:
    knobs = (
        _number(body, "temperature", 1.0),
        _number(body, "top_p", 1.0),
        _number(body, "presence_penalty", 0.0),
        _number(body, "frequency_penalty", 0.0),
    )
    if not body.get("logit_bias"):
        return _unbiased_params(*knobs, top_logprobs)
    return SamplingParams(*knobs, logit_bias=token_bias(body["logit_bias"], encoding), top_logprobs=top_logprobs)


@functools.lru_cache(maxsize=256)
def _unbiased_params(
    temperature: float, top_p: float, presence_penalty: float, frequency_penalty: float, top_logprobs: int
) -> SamplingParams:
    """Most requests leave the knobs at a few common values: their validated params are built once."""
    return SamplingParams(temperature, top_p, presence_penalty, frequency_penalty, top_logprobs=top_logprobs)


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


def response_id(prefix: str, request: Request, body: Mapping[str, Any], seed: int) -> str:
    """With a `seed` the id is derived from the request, so the same request gives the same bytes; otherwise it is
    unique per request, like the real API's."""
    salt = str(seed).encode() if body.get("seed") is not None else request.scope["state"]["request_id"].encode()
    digest = canonical_body(request, body).digest()
    return f"{prefix}-" + hashlib.blake2b(salt + digest, digest_size=15).hexdigest()[:29]


#: `json.dumps(..., sort_keys=True)` builds a new encoder at every call; this one is built once.
_CANONICAL = json.JSONEncoder(sort_keys=True)


class CanonicalBody:
    """A body written as `json.dumps(body, sort_keys=True)` writes it, one member at a time and once: the request
    fingerprint (the members that change the sample) and the response id (all of them) share it, so a long
    conversation is serialised once, not once per digest; each digest is kept once computed.

    A body is a pure function of the bytes it was parsed from, so requests with the same bytes share one (see
    `canonical_body`).
    """

    def __init__(self, body: Mapping[str, Any]) -> None:
        self._members = {key: f"{_CANONICAL.encode(key)}: {_json_text(value)}" for key, value in sorted(body.items())}
        self._digests: dict[frozenset[str], bytes] = {}

    def digest(self, *, leaving_out: frozenset[str] = frozenset()) -> bytes:
        """A 16-byte digest of the canonical JSON of the body without the members `leaving_out` names."""
        found = self._digests.get(leaving_out)
        if found is None:
            text = "{" + ", ".join(member for key, member in self._members.items() if key not in leaving_out) + "}"
            found = self._digests[leaving_out] = hashlib.blake2b(text.encode(), digest_size=16).digest()
        return found


def _json_text(value: object) -> str:
    """`value` as `json.dumps` writes it. The encoder costs microseconds a call just to set itself up, so the scalars
    most members are (`model`, `max_tokens`, `temperature`, `stream`) are written here, as it would write them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float and math.isfinite(value):
        return float.__repr__(value)
    return _CANONICAL.encode(value)  # strings take the encoder's own short path; containers its C one


def canonical_body(request: Request, body: Mapping[str, Any]) -> CanonicalBody:
    """The request's `CanonicalBody`: written at its first use, or shared with an earlier request whose body was
    parsed from the same bytes (`PARSED_BODY`)."""
    state = request.scope.setdefault("state", {})
    known: tuple[Mapping[str, Any], CanonicalBody] | None = state.get("canonical_body")
    if known is not None and known[0] is body:
        return known[1]
    parsed = state.get(PARSED_BODY)
    source = parsed[1] if parsed is not None and parsed[0] is body else None
    found = _CANONICAL_BODIES.get(source) if source is not None else None
    if found is None:
        found = CanonicalBody(body)
        if source is not None:
            _CANONICAL_BODIES.put(source, found)
    state["canonical_body"] = (body, found)
    return found


#: Canonical bodies by the bytes they were parsed from (bodies of at most `ValidationMemo.MAX_BODY_BYTES`).
_CANONICAL_BODIES: LruMap[Hashable, CanonicalBody] = LruMap(capacity=512)


def system_fingerprint(model: ModelInfo, seed: int) -> str:
    """Stable per model and server seed, like the real `fp_…` that changes only with the backend."""
    return _fingerprint(model.id, seed)


@functools.lru_cache(maxsize=256)
def _fingerprint(model_id: str, seed: int) -> str:
    return "fp_" + hashlib.blake2b(f"{model_id}:{seed}".encode(), digest_size=5).hexdigest()


def created_at(request: Request) -> int:
    return int(services(request).clock.now())


def usage(spent: Usage) -> dict[str, int]:
    """The `usage` object of chat completions, completions and edits: exact tiktoken counts."""
    return {
        "prompt_tokens": spent.input_tokens,
        "completion_tokens": spent.output_tokens,
        "total_tokens": spent.total_tokens,
    }


def chat_logprobs(steps: Sequence[TokenStep], refusal: Sequence[TokenStep] | None = None) -> dict[str, Any]:
    """`choices[].logprobs` of a chat completion: one entry per token, with `top_logprobs` alternatives; a refusal's
    tokens are listed apart."""
    listed = [_chat_token(step) for step in refusal] if refusal is not None else None
    return {"content": [_chat_token(step) for step in steps] if steps or refusal is None else None, "refusal": listed}


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
