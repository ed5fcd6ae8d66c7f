"""Choose the next token from sparse logits with every documented knob: bias, penalties, temperature, top_p.

>>> import random
>>> sample_next_token({1: 0.0, 2: -1.0}, {}, SamplingParams(temperature=0), random.Random(0)).token
1
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import itemgetter, mul, sub
from types import MappingProxyType

__all__ = ["BAN_BIAS", "SampledToken", "SamplingParams", "sample_next_token"]

BAN_BIAS = -100.0  # the documented value that "should result in a ban or exclusive selection of the token"
_FORCE_BIAS = 100.0
_MAX_TOP_LOGPROBS = 20


def _frozen_bias(bias: Mapping[int, float]) -> Mapping[int, float]:
    return MappingProxyType(dict(bias))


@dataclass(frozen=True)
class SamplingParams:
    """The sampling knobs of one completion, validated once (the API layer validates the request before).

    >>> SamplingParams(temperature=0.7, top_p=0.9, logit_bias={50256: -100}).top_p
    0.9
    """

    temperature: float = 1.0
    top_p: float = 1.0
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: Mapping[int, float] = field(default_factory=dict)
    top_logprobs: int = 0  # how many alternatives to report per token (0 = none)

    def __post_init__(self) -> None:
        _check_range("temperature", self.temperature, 0.0, 2.0)
        _check_range("top_p", self.top_p, 0.0, 1.0)
        _check_range("presence_penalty", self.presence_penalty, -2.0, 2.0)
        _check_range("frequency_penalty", self.frequency_penalty, -2.0, 2.0)
        if not 0 <= self.top_logprobs <= _MAX_TOP_LOGPROBS:
            raise ValueError(f"top_logprobs={self.top_logprobs!r} must be between 0 and {_MAX_TOP_LOGPROBS}")
        for token, bias in self.logit_bias.items():
            _check_range(f"logit_bias[{token}]", bias, BAN_BIAS, _FORCE_BIAS)
        object.__setattr__(self, "logit_bias", _frozen_bias(self.logit_bias))

    def __hash__(self) -> int:  # the generated hash would fail on the (unhashable) read-only bias mapping
        knobs = (self.temperature, self.top_p, self.presence_penalty, self.frequency_penalty, self.top_logprobs)
        return hash((knobs, tuple(sorted(self.logit_bias.items()))))


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name}={value!r} must be between {low:g} and {high:g}")


@dataclass(frozen=True)
class SampledToken:
    """One sampled token with its log-probability and the best alternatives (best first)."""

    token: int
    # Log-probability under the distribution after logit_bias and penalties but BEFORE temperature and
    # top_p: the real API reports the model's own log-probabilities, which do not change with the
    # sampling temperature, so greedy and hot sampling of one token report the same number.
    logprob: float
    top_logprobs: tuple[tuple[int, float], ...]


def _adjusted_scores(
    logits: Mapping[int, float], counts: Mapping[int, int], params: SamplingParams
) -> Mapping[int, float]:
    bias, frequency, presence = params.logit_bias, params.frequency_penalty, params.presence_penalty
    if not bias and not (counts and (frequency or presence)):
        return logits
    scores = dict(logits)
    if bias:
        # A biased token outside the candidate set is at most as likely as the least likely candidate, so
        # it enters with that score plus its bias: +100 forces it, a small bias leaves it in the tail.
        floor = min(scores.values(), default=0.0)
        for token, value in bias.items():
            if value <= BAN_BIAS:
                scores.pop(token, None)  # banned: never emitted
            elif token in scores:
                scores[token] += value
            elif value > 0:
                scores[token] = floor + value
    # The documented rule: mu[j] -= c[j] * frequency_penalty + float(c[j] > 0) * presence_penalty.
    if frequency or presence:
        # Only tokens both sampled before and still candidates change; the set intersection runs in C.
        for token in counts.keys() & scores.keys():
            count = counts[token]
            if count > 0:
                scores[token] -= count * frequency + presence
    return scores


def _draw(weights: list[float], top_p: float, rng: random.Random) -> int:
    """Index of a draw proportional to `weights`, restricted to the top_p nucleus.

    The nucleus is the smallest set of top tokens whose mass reaches top_p (always at least the best token);
    tokens tied with its weakest member stay in, so the choice never depends on candidate order.
    """
    last = len(weights) - 1
    if top_p >= 1.0:
        cumulative = list(accumulate(weights))
        return min(bisect_right(cumulative, rng.random() * cumulative[-1]), last)
    ranked = sorted(weights, reverse=True)
    cumulative = list(accumulate(ranked))
    cut = min(bisect_left(cumulative, top_p * cumulative[-1]), last)
    while cut < last and ranked[cut + 1] == ranked[cut]:
        cut += 1
    # Draw a rank inside the nucleus, then find the candidate holding that weight (the n-th of equal ones).
    rank = min(bisect_right(cumulative, rng.random() * cumulative[cut]), cut)
    weight = ranked[rank]
    nth = rank - ranked.index(weight)
    if nth == 0:
        return weights.index(weight)
    return [index for index, value in enumerate(weights) if value == weight][nth]


def _weights(values: list[float], temperature: float) -> tuple[float, list[float]]:
    """Return (log Σ exp(v), draw weights ∝ exp(v / T)).

    Scores are log-probabilities in practice, so exp() needs no shift by the maximum; the shifted form is
    the fallback when a sum under- or overflows (huge penalties, +100 biases, tiny temperatures).
    """
    try:
        exps = list(map(math.exp, values))
        total = sum(exps)
    except OverflowError:  # math.exp raises past ~709.78 instead of returning inf (a long run of negative penalties)
        exps, total = [], math.inf
    if 0.0 < total < math.inf:
        log_total = math.log(total)
    else:
        best = max(values)
        exps = list(map(math.exp, map(sub, values, repeat(best))))
        log_total = best + math.log(sum(exps))
    if temperature == 1.0:
        return log_total, exps
    # exp(s / T) is exp(s) ** (1 / T): one pow per candidate instead of a second exp pass.
    try:
        weights = list(map(pow, exps, repeat(1.0 / temperature)))
    except OverflowError:  # float pow raises instead of returning inf
        weights = []
    if not 0.0 < sum(weights) < math.inf:
        best = max(values)
        weights = list(map(math.exp, map(mul, map(sub, values, repeat(best)), repeat(1.0 / temperature))))
    return log_total, weights


def _tied(tokens: list[int], values: list[float], best: float) -> list[int]:
    return [token for token, value in zip(tokens, values, strict=True) if value == best]


def sample_next_token(
    logits: Mapping[int, float], counts: Mapping[int, int], params: SamplingParams, rng: random.Random
) -> SampledToken:
    """Sample one token: logit_bias → presence/frequency penalties → temperature (0 = greedy) → top_p → draw.

    `logits` are natural-log scores over candidate tokens; `counts` are the tokens sampled so far in this
    completion. Greedy ties go to the lowest token id. Raises ValueError when logit_bias bans every candidate.
    """
    # Per-candidate work runs in C (map/accumulate/bisect): this sits in the innermost generation loop.
    scores = _adjusted_scores(logits, counts, params)
    if not scores:
        raise ValueError("no candidate token is left to sample: logit_bias banned them all")
    tokens = list(scores)
    values = list(scores.values())
    temperature = params.temperature
    if temperature == 0.0:
        log_total, _ = _weights(values, 1.0)
        best = max(values)
        token = tokens[values.index(best)] if values.count(best) == 1 else min(_tied(tokens, values, best))
    else:
        log_total, weights = _weights(values, temperature)
        token = tokens[_draw(weights, params.top_p, rng)]
    alternatives: tuple[tuple[int, float], ...] = ()
    if params.top_logprobs:
        # A full C sort of ~50 pairs beats heapq.nlargest's Python-level key calls here.
        ranked = sorted(scores.items(), key=itemgetter(1), reverse=True)[: params.top_logprobs]
        alternatives = tuple((candidate, value - log_total) for candidate, value in ranked)
    return SampledToken(token, scores[token] - log_total, alternatives)
