"""`POST /v1/completions` (and the 0.28 SDK's `/v1/engines/{engine}/completions`): legacy text completions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.responses import json_response
from mockai.api.scripting import scripted_content
from mockai.api.sse import event_stream
from mockai.api.text_generation import (
    CollectedRun,
    FixedRun,
    TextJob,
    TextRun,
    check_context,
    check_output_limit,
    collect,
    completion_logprobs,
    created_at,
    interleave,
    resolve_model,
    response_id,
    system_fingerprint,
    text_job,
    usage,
)
from mockai.engine.generate import TokenStep
from mockai.engine.scoring import ScoredToken, score_prompt

DEFAULT_MAX_TOKENS = 16  # documented default for completions


@dataclass(frozen=True)
class _Prompt:
    ids: list[int]
    text: str
    scored: tuple[ScoredToken, ...] = ()  # with `echo` and `logprobs`: the prompt's own tokens, scored


async def create_completion(request: Request, body: dict[str, Any]) -> Response:
    model_id = body.get("model") or request.path_params.get("engine", "")
    model = resolve_model(request, model_id, "completions", "v1/completions")
    check_output_limit(model, body)
    n = body.get("n") or 1
    best_of = body.get("best_of") or n
    _check_options(body, n, best_of)
    job = text_job(request, body, model, top_logprobs=body.get("logprobs") or 0)
    prompts = _prompts(body.get("prompt", "<|endoftext|>"), job)
    budget = check_context(
        model, max(len(p.ids) for p in prompts), body.get("max_tokens", DEFAULT_MAX_TOKENS), chat=False
    )
    header = {
        "id": response_id("cmpl", job, request),
        "object": "text_completion",
        "created": created_at(request),
        "model": model.id,
        "system_fingerprint": system_fingerprint(model, job.seed),
    }
    echo, wants_logprobs = bool(body.get("echo")), body.get("logprobs") is not None
    if echo and wants_logprobs:  # how people score a text: its tokens' logprobs, with or without a completion
        prompts = [_scored(prompt, job) for prompt in prompts]
    scripted = scripted_content(request)

    def run(ids: list[int], index: int) -> TextRun:
        # A rule's text is cut into token steps like generated text, so it streams and counts the same way.
        if scripted is not None and scripted.content is not None:
            finish = scripted.finish_reason or "stop"
            return FixedRun(
                scripted.content, job.encoding, finish, max_tokens=budget, top_logprobs=job.params.top_logprobs
            )
        return job.run(ids, index=index, max_tokens=budget)

    if body.get("stream"):  # best_of == n here: every candidate is returned, so none needs scoring first
        runs = [(p, run(p.ids, i * n + j)) for i, p in enumerate(prompts) for j in range(n)]
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _chunks(header, runs, echo, wants_logprobs, usage_of(prompts) if include_usage else None)
        return event_stream(request, chunks, model=model.id)
    choices: list[dict[str, Any]] = []
    completion_tokens = 0
    for p_index, prompt in enumerate(prompts):
        candidates = [collect(run(prompt.ids, p_index * best_of + i)) for i in range(best_of)]
        completion_tokens += sum(c.run.completion_tokens for c in candidates)  # discarded candidates are billed too
        for chosen in _best(candidates, n):
            choices.append(_choice(len(choices), prompt, chosen, echo, wants_logprobs))
    body_usage = usage(usage_of(prompts), completion_tokens)
    return json_response({**header, "choices": choices, "usage": body_usage}, model=model.id)


def _check_options(body: dict[str, Any], n: int, best_of: int) -> None:
    if best_of < n:
        raise errors.invalid_request(
            "best_of must be greater than or equal to n.", param="best_of", code="invalid_value"
        )
    if body.get("stream") and best_of > 1 and best_of != n:
        raise errors.invalid_request("Cannot stream results with best_of > n.", param="best_of", code="invalid_value")


def _prompts(raw: Any, job: TextJob) -> list[_Prompt]:
    """A prompt is a string, a list of strings, a list of token ids, or a list of token-id lists."""
    encoding = job.encoding
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


def _scored(prompt: _Prompt, job: TextJob) -> _Prompt:
    scored = score_prompt(job.language_model, prompt.ids, job.encoding, top=job.params.top_logprobs)
    return dataclasses.replace(prompt, scored=tuple(scored))


def _best(candidates: list[CollectedRun], n: int) -> list[CollectedRun]:
    """The `n` candidates with the highest total logprob, in generation order (the server-side `best_of`)."""
    if len(candidates) == n:
        return candidates
    ranked = sorted(range(len(candidates)), key=lambda i: (-candidates[i].total_logprob, i))
    return [candidates[i] for i in sorted(ranked[:n])]


def _choice(index: int, prompt: _Prompt, chosen: CollectedRun, echo: bool, wants_logprobs: bool) -> dict[str, Any]:
    prefix = prompt.text if echo else ""
    return {
        "text": prefix + chosen.run.text,
        "index": index,
        "logprobs": completion_logprobs(chosen.steps, offset=len(prefix), prompt=prompt.scored if echo else ())
        if wants_logprobs
        else None,
        "finish_reason": chosen.run.finish_reason,
    }


def usage_of(prompts: Sequence[_Prompt]) -> int:
    return sum(len(prompt.ids) for prompt in prompts)


def _chunks(
    header: dict[str, Any],
    flat: Sequence[tuple[_Prompt, TextRun]],
    echo: bool,
    wants_logprobs: bool,
    prompt_tokens: int | None,
) -> Iterator[dict[str, Any]]:
    """`text_completion` chunks, n > 1 interleaved; with `include_usage` (`prompt_tokens` given) every chunk has
    `usage: null` and a last chunk with empty `choices` carries the usage."""
    extra = {"usage": None} if prompt_tokens is not None else {}

    def chunk(
        index: int, text: str, steps: list[TokenStep], finish: str | None, prompt: Sequence[ScoredToken] = ()
    ) -> dict[str, Any]:
        logprobs = completion_logprobs(steps, prompt=prompt) if wants_logprobs else None
        choice = {"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish}
        return {**header, "choices": [choice], **extra}

    if echo:
        for index, (prompt, _) in enumerate(flat):
            yield chunk(index, prompt.text, [], None, prompt.scored)
    for index, step in interleave([iter(run) for _, run in flat]):
        if step is None:
            yield chunk(index, "", [], flat[index][1].finish_reason)
        elif step.text or wants_logprobs:
            yield chunk(index, step.text, [step], None)
    if prompt_tokens is not None:
        completion_tokens = sum(run.completion_tokens for _, run in flat)
        yield {**header, "choices": [], "usage": usage(prompt_tokens, completion_tokens)}
