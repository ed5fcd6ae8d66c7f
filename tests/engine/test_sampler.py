"""Tests for the sampler: distributional correctness and every documented knob."""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.sampler import SamplingParams, sample_next_token

LOGITS = {10: 0.0, 11: -0.5, 12: -1.0, 13: -1.5, 14: -2.0, 15: -3.0}
# Chi-square critical value for 5 degrees of freedom at p = 0.001 (standard table): a correct sampler
# exceeds it once in a thousand seeds; the seeds below are fixed, so the test is deterministic.
CHI_SQUARE_5_DOF_P001 = 20.515


def _softmax(logits: dict[int, float], temperature: float = 1.0) -> dict[int, float]:
    top = max(logits.values())
    weights = {token: math.exp((score - top) / temperature) for token, score in logits.items()}
    total = sum(weights.values())
    return {token: weight / total for token, weight in weights.items()}


def _draws(logits: dict[int, float], params: SamplingParams, count: int, seed: int = 0) -> Counter[int]:
    rng = random.Random(seed)
    return Counter(sample_next_token(logits, {}, params, rng).token for _ in range(count))


@pytest.mark.parametrize("temperature", [1.0, 0.5, 1.7])
def test_frequencies_match_the_tempered_softmax_chi_square(temperature: float) -> None:
    draws = 20_000
    observed = _draws(LOGITS, SamplingParams(temperature=temperature), draws, seed=12345)
    expected = {token: draws * prob for token, prob in _softmax(LOGITS, temperature).items()}
    statistic = sum((observed[token] - expected[token]) ** 2 / expected[token] for token in LOGITS)
    assert statistic < CHI_SQUARE_5_DOF_P001


def test_temperature_zero_is_argmax_with_ties_to_the_lowest_id_and_uses_no_randomness() -> None:
    rng = random.Random(1)
    state = rng.getstate()
    sampled = sample_next_token({5: 1.0, 3: 1.0, 7: 0.5}, {}, SamplingParams(temperature=0), rng)
    assert sampled.token == 3
    assert rng.getstate() == state


def test_top_p_small_keeps_only_the_top_token() -> None:
    assert set(_draws(LOGITS, SamplingParams(top_p=0.01), 2_000)) == {10}


def test_top_p_nucleus_is_the_smallest_set_reaching_the_mass_and_is_renormalised() -> None:
    logits = {1: math.log(0.5), 2: math.log(0.3), 3: math.log(0.2)}
    counts = _draws(logits, SamplingParams(top_p=0.7), 16_000, seed=9)
    assert set(counts) == {1, 2}
    assert counts[1] / counts[2] == pytest.approx(5 / 3, rel=0.08)


def test_logit_bias_minus_100_never_emits_the_token_even_the_best_one() -> None:
    counts = _draws(LOGITS, SamplingParams(logit_bias={10: -100}), 3_000)
    assert 10 not in counts and sum(counts.values()) == 3_000


def test_logit_bias_plus_100_always_emits_the_token_even_when_it_is_no_candidate() -> None:
    assert set(_draws(LOGITS, SamplingParams(logit_bias={12: 100}), 1_000)) == {12}
    assert set(_draws(LOGITS, SamplingParams(logit_bias={99: 100}), 1_000)) == {99}


def test_a_small_positive_bias_on_a_non_candidate_leaves_it_unlikely() -> None:
    counts = _draws(LOGITS, SamplingParams(logit_bias={99: 1}), 4_000)
    assert 0 < counts[99] < counts[10]


def test_banning_every_candidate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="banned"):
        sample_next_token({1: 0.0}, {}, SamplingParams(logit_bias={1: -100}), random.Random(0))


def test_penalties_follow_the_documented_formula() -> None:
    # mu[j] -= c[j] * frequency_penalty + float(c[j] > 0) * presence_penalty
    params = SamplingParams(temperature=0, frequency_penalty=0.5, presence_penalty=0.3)
    sampled = sample_next_token({1: 0.0, 2: -0.1, 3: -5.0}, {1: 2, 3: 0}, params, random.Random(0))
    adjusted = {1: 0.0 - 2 * 0.5 - 0.3, 2: -0.1, 3: -5.0}
    assert sampled.token == 2
    assert sampled.logprob == pytest.approx(-0.1 - math.log(sum(math.exp(v) for v in adjusted.values())))


def test_negative_penalties_encourage_repeats() -> None:
    params = SamplingParams(temperature=0, frequency_penalty=-2.0)
    assert sample_next_token({1: 0.0, 2: -1.0}, {2: 1}, params, random.Random(0)).token == 2


def _repeat_rate(params: SamplingParams, seed: int) -> float:
    # A peaked distribution over many tokens and a short completion: repeats come from the peak, not
    # from running out of tokens.
    rng = random.Random(seed)
    logits = {token: -0.3 * token for token in range(60)}
    counts: dict[int, int] = {}
    repeats = 0
    for _ in range(20):
        token = sample_next_token(logits, counts, params, rng).token
        repeats += counts.get(token, 0) > 0
        counts[token] = counts.get(token, 0) + 1
    return repeats / 20


@pytest.mark.parametrize(
    "penalised",
    [SamplingParams(frequency_penalty=2.0), SamplingParams(presence_penalty=2.0)],
    ids=["frequency", "presence"],
)
def test_penalties_measurably_lower_the_repeat_rate(penalised: SamplingParams) -> None:
    plain = sum(_repeat_rate(SamplingParams(), seed) for seed in range(40))
    lowered = sum(_repeat_rate(penalised, seed) for seed in range(40))
    assert lowered < plain * 0.8


def test_logprob_is_reported_before_temperature() -> None:
    cold = sample_next_token(LOGITS, {}, SamplingParams(temperature=0), random.Random(0))
    hot = sample_next_token(LOGITS, {}, SamplingParams(temperature=2, logit_bias={10: 0}), random.Random(0))
    expected = math.log(_softmax(LOGITS)[10])
    assert cold.logprob == pytest.approx(expected)
    if hot.token == 10:
        assert hot.logprob == pytest.approx(expected)


def test_top_logprobs_are_the_best_alternatives_best_first() -> None:
    sampled = sample_next_token(LOGITS, {}, SamplingParams(top_logprobs=3), random.Random(4))
    assert [token for token, _ in sampled.top_logprobs] == [10, 11, 12]
    assert [value for _, value in sampled.top_logprobs] == pytest.approx(
        [math.log(_softmax(LOGITS)[token]) for token in (10, 11, 12)]
    )
    assert dict(sampled.top_logprobs).get(sampled.token, sampled.logprob) == pytest.approx(sampled.logprob)


def test_no_alternatives_unless_asked() -> None:
    assert sample_next_token(LOGITS, {}, SamplingParams(), random.Random(0)).top_logprobs == ()


@given(
    seed=st.integers(min_value=0, max_value=2**32),
    temperature=st.floats(min_value=0.0, max_value=2.0),
    top_p=st.floats(min_value=0.0, max_value=1.0),
)
def test_same_seed_same_token_and_the_token_is_always_a_candidate(seed: int, temperature: float, top_p: float) -> None:
    params = SamplingParams(temperature=temperature, top_p=top_p)
    first = sample_next_token(LOGITS, {}, params, random.Random(seed))
    assert first == sample_next_token(LOGITS, {}, params, random.Random(seed))
    assert first.token in LOGITS and first.logprob <= 0.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", -0.1),
        ("temperature", 2.5),
        ("top_p", 1.5),
        ("presence_penalty", 2.1),
        ("frequency_penalty", -3.0),
        ("top_logprobs", 21),
        ("logit_bias", {1: 101}),
    ],
    ids=lambda value: str(value),
)
def test_out_of_range_params_are_rejected_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=field):
        SamplingParams(**{field: value})


def test_logit_bias_is_frozen() -> None:
    bias = {1: 5.0}
    params = SamplingParams(logit_bias=bias)
    bias[2] = 1.0
    assert dict(params.logit_bias) == {1: 5.0}
    with pytest.raises(TypeError):
        params.logit_bias[3] = 1.0  # type: ignore[index]


@pytest.mark.parametrize("temperature", [1e-300, 0.01, 2.0])
def test_extreme_scores_and_temperatures_stay_finite(temperature: float) -> None:
    logits = {1: 0.0, 2: -800.0, 3: -2000.0}
    params = SamplingParams(temperature=temperature, logit_bias={3: 100})
    sampled = sample_next_token(logits, {1: 4000}, params, random.Random(0))
    assert math.isfinite(sampled.logprob) and sampled.token in logits


def test_params_are_hashable_and_equal_by_value() -> None:
    first, second = SamplingParams(logit_bias={1: 5.0, 2: -1.0}), SamplingParams(logit_bias={2: -1.0, 1: 5.0})
    assert first == second and hash(first) == hash(second)
    assert first != SamplingParams(logit_bias={1: 5.0})
