"""`POST /v1/completions` (and the 0.28 SDK's `/v1/engines/{engine}/completions`): legacy text completions.

Each prompt of the request is a raw prompt for the generation core; its reply's choices are rendered as `choices`
(echoing the prompt, with the legacy `logprobs` object) or as `text_completion` chunks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.responses import json_response
from mockai.api.sse import event_stream
from mockai.api.text_generation import (
    answer,
    check_context,
    check_output_limit,
    completion_logprobs,
    created_at,
    generation_model,
    interleave,
    resolve_model,
    response_id,
    sampling,
    system_fingerprint,
    usage,
)
from mockai.engine.conversation import RawPrompt
from mockai.engine.generate import TokenStep
from mockai.engine.reply import ChoicePlan, Reply, ReplyRequest, Usage
from mockai.engine.runs import GenerationModel, Sampling, TextRun
from mockai.engine.scoring import ScoredToken, score_prompt

DEFAULT_MAX_TOKENS = 16  # documented default for completions


@dataclass(frozen=True)
class _Prompt:
    ids: list[int]
    text: str
    scored: tuple[ScoredToken, ...] = ()  # with `echo` and `logprobs`: the prompt's own tokens, scored

    @property
    def raw(self) -> RawPrompt:
        """The prompt as the generation core continues it."""
        return RawPrompt(tuple(self.ids), self.text)


async def create_completion(request: Request, body: dict[str, Any]) -> Response:
    model_id = body.get("model") or request.path_params.get("engine", "")
    info = resolve_model(request, model_id, "completions", "v1/completions")
    check_output_limit(info, body)
    n = body.get("n") or 1
    best_of = body.get("best_of") or n
    _check_options(body, n, best_of)
    model = generation_model(request, info)
    prompts = _prompts(body.get("prompt", "<|endoftext|>"), model)
    budget = check_context(
        info, max(len(p.ids) for p in prompts), body.get("max_tokens", DEFAULT_MAX_TOKENS), chat=False
    )
    top = body.get("logprobs") or 0
    drawn = sampling(request, body, model, max_output_tokens=budget, top_logprobs=top, choices=n, best_of=best_of)
    replies = [answer(request, _reply_request(prompt, index, model, drawn)) for index, prompt in enumerate(prompts)]
    header = {
        "id": response_id("cmpl", request, body, drawn.seed),
        "object": "text_completion",
        "created": created_at(request),
        "model": info.id,
        "system_fingerprint": system_fingerprint(info, drawn.seed),
    }
    echo, wants_logprobs = bool(body.get("echo")), body.get("logprobs") is not None
    if echo and wants_logprobs:  # how people score a text: its tokens' logprobs, with or without a completion
        prompts = [_scored(prompt, model, drawn) for prompt in prompts]
    flat = [(prompt, plan) for prompt, reply in zip(prompts, replies, strict=True) for plan in reply.choices]
    if body.get("stream"):  # best_of == n here: every candidate is returned, so none needs scoring first
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _chunks(header, flat, replies, echo, wants_logprobs, include_usage)
        return event_stream(request, chunks, model=info.id)
    choices = [
        _choice(index, prompt, plan.finished(), echo, wants_logprobs) for index, (prompt, plan) in enumerate(flat)
    ]
    return json_response({**header, "choices": choices, "usage": usage(_usage(replies))}, model=info.id)


def _reply_request(prompt: _Prompt, index: int, model: GenerationModel, drawn: Sampling) -> ReplyRequest:
    """Prompt `index` of the request; its candidates draw from the random streams after the previous prompt's."""
    shifted = dataclasses.replace(drawn, first_choice=index * drawn.candidates) if index else drawn
    return ReplyRequest(prompt.raw, model, shifted, len(prompt.ids), text_only=True)


def _check_options(body: dict[str, Any], n: int, best_of: int) -> None:
    if best_of < n:
        raise errors.invalid_request(
            "best_of must be greater than or equal to n.", param="best_of", code="invalid_value"
        )
    if body.get("stream") and best_of > 1 and best_of != n:
        raise errors.invalid_request("Cannot stream results with best_of > n.", param="best_of", code="invalid_value")


def _prompts(raw: Any, model: GenerationModel) -> list[_Prompt]:
    """A prompt is a string, a list of strings, a list of token ids, or a list of token-id lists."""
    encoding = model.encoding
    if isinstance(raw, str):
        raw = [raw]
    if raw and all(isinstance(item, int) for item in raw):
        raw = [raw]
    prompts = []
    for item in raw or [""]:
        if isinstance(item, str):
            prompts.append(_Prompt(encoding.encode(item, allowed_special="all"), item))
        else:
            if any(token >= encoding.n_vocab or token < 0 for token in item):
                raise errors.invalid_request(
                    f"Invalid token in prompt: {max(item)}. Token ids must be below {encoding.n_vocab}.",
                    param="prompt",
                    code="invalid_value",
                )
            prompts.append(_Prompt(list(item), encoding.decode(item)))
    return prompts


def _scored(prompt: _Prompt, model: GenerationModel, drawn: Sampling) -> _Prompt:
    scored = score_prompt(model.token_model, prompt.ids, model.encoding, top=drawn.params.top_logprobs)
    return dataclasses.replace(prompt, scored=tuple(scored))


def _text(plan: ChoicePlan) -> TextRun:
    assert plan.content is not None  # a text-only reply always says something: scripted text or generated text
    return plan.content


def _choice(index: int, prompt: _Prompt, plan: ChoicePlan, echo: bool, wants_logprobs: bool) -> dict[str, Any]:
    prefix = prompt.text if echo else ""
    run = _text(plan)
    return {
        "text": prefix + run.text,
        "index": index,
        "logprobs": completion_logprobs(list(run), offset=len(prefix), prompt=prompt.scored if echo else ())
        if wants_logprobs
        else None,
        "finish_reason": plan.finish_reason,
    }


def _usage(replies: Sequence[Reply]) -> Usage:
    """Every prompt's tokens, and every candidate's (discarded `best_of` candidates are billed too)."""
    if len(replies) == 1:
        return replies[0].usage
    total = Usage(0, 0)
    for reply in replies:
        total += reply.usage
    return total


def _chunks(
    header: dict[str, Any],
    flat: Sequence[tuple[_Prompt, ChoicePlan]],
    replies: Sequence[Reply],
    echo: bool,
    wants_logprobs: bool,
    include_usage: bool,
) -> Iterator[dict[str, Any]]:
    """`text_completion` chunks, n > 1 interleaved; with `include_usage` every chunk has `usage: null` and a last
    chunk with empty `choices` carries the usage."""
    extra = {"usage": None} if include_usage else {}

    def chunk(
        index: int, text: str, steps: list[TokenStep], finish: str | None, prompt: Sequence[ScoredToken] = ()
    ) -> dict[str, Any]:
        logprobs = completion_logprobs(steps, prompt=prompt) if wants_logprobs else None
        choice = {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}
        return {**header, "choices": [choice], **extra}

    if echo:
        for index, (prompt, _) in enumerate(flat):
            yield chunk(index, prompt.text, [], None, prompt.scored)
    for index, step in interleave([iter(_text(plan)) for _, plan in flat]):
        if step is None:
            yield chunk(index, "", [], flat[index][1].finish_reason)
        elif step.text or wants_logprobs:
            yield chunk(index, step.text, [step], None)
    if include_usage:
        yield {**header, "choices": [], "usage": usage(_usage(replies))}
