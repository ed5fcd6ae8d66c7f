"""Score a prompt's own tokens under the token model: the logprobs `echo` reports, as people use it to rate a text.

Each token after the first is scored by the model given only the tokens before it (a causal score: the first token
has no context, so the API reports `null` for it). The distribution is the model's candidate set for that context,
plus the prompt's token when the set lacks it (priced over the whole vocabulary by `logprob`), normalised together,
so the token's logprob and the alternatives in `top_logprobs` are numbers of one distribution. The alternatives are
the best candidates, so the first of them is the token greedy sampling would pick after that context.

>>> from mockai.engine.token_model import corpus_model
>>> from mockai.engine.tokenizer import get_encoding
>>> encoding = get_encoding("cl100k_base")
>>> scored = score_prompt(corpus_model("cl100k_base"), encoding.encode("If you forgot your wallet"), encoding, top=1)
>>> scored[0].logprob is None and all(token.logprob <= 0 for token in scored[1:])
True
>>> "".join(token.token for token in scored)
'If you forgot your wallet'
"""

from __future__ import annotations

import codecs
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import tiktoken

from mockai.engine.generate import token_display

__all__ = ["ScoredToken", "ScoringModel", "score_prompt"]


class ScoringModel(Protocol):
    """What scoring needs of a model: `TokenModel` is one."""

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]: ...

    def logprob(self, token: int, context: Sequence[int]) -> float: ...


@dataclass(frozen=True)
class ScoredToken:
    """One prompt token as the legacy completions `logprobs` object lists it."""

    token: str  # as the API shows it ("bytes:\\xe4\\xbd" for part of a UTF-8 character)
    logprob: float | None  # None for the first token: nothing precedes it
    top_logprobs: dict[str, float] | None  # the best alternatives, best first; None for the first token
    text_offset: int  # where the token's text starts in the prompt


def score_prompt(
    model: ScoringModel, prompt_ids: Sequence[int], encoding: tiktoken.Encoding, *, top: int
) -> list[ScoredToken]:
    """Every prompt token with its logprob given the tokens before it, and the `top` best alternatives there."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    scored: list[ScoredToken] = []
    offset = 0
    for position, token in enumerate(prompt_ids):
        raw = encoding.decode_single_token_bytes(token)
        if position == 0:
            logprob, alternatives = None, None
        else:
            logprob, alternatives = _score(model, prompt_ids[:position], token, encoding, top)
        scored.append(ScoredToken(token_display(raw), logprob, alternatives, offset))
        offset += len(decoder.decode(raw))
    return scored


def _score(
    model: ScoringModel, context: Sequence[int], token: int, encoding: tiktoken.Encoding, top: int
) -> tuple[float, dict[str, float]]:
    logits = model.next_token_logits(context)
    ranked = sorted(logits.items(), key=lambda item: (-item[1], item[0]))[:top]
    if token not in logits:
        logits = {**logits, token: model.logprob(token, context)}
    best = max(logits.values())
    log_total = best + math.log(sum(math.exp(value - best) for value in logits.values()))
    alternatives: dict[str, float] = {}
    for candidate, value in ranked:
        # Two tokens can print alike (partial characters): the first, likelier one keeps the entry.
        shown = token_display(encoding.decode_single_token_bytes(candidate))
        alternatives.setdefault(shown, min(value - log_total, 0.0))
    return min(logits[token] - log_total, 0.0), alternatives
