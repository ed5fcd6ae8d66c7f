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


class ScriptedRandom(random.Random):
    """A `random.Random` whose `random()` returns the given numbers in turn: draws become exact, not statistical."""

    def __init__(self, *values: float) -> None:
        super().__init__(0)
        self._values = list(values)

    def random(self) -> float:
        return self._values.pop(0)


# Probabilities 0.2, 0.5, 0.3 in candidate order: ranked best first they are 0.5, 0.3, 0.2.
UNSORTED = {10: math.log(0.2), 11: math.log(0.5), 12: math.log(0.3)}


@pytest.mark.parametrize(("uniform", "token"), [(0.1, 10), (0.6, 11), (0.75, 12)])
def test_without_top_p_a_draw_is_the_inverse_cdf_in_candidate_order(uniform: float, token: int) -> None:
    # Pinned because "same request, same seed, same bytes" must survive refactors of the sampler.
    assert sample_next_token(UNSORTED, {}, SamplingParams(), ScriptedRandom(uniform)).token == token


@pytest.mark.parametrize(("uniform", "token"), [(0.1, 11), (0.6, 11), (0.65, 12), (0.99, 12)])
def test_with_top_p_a_draw_is_the_inverse_cdf_over_the_ranked_nucleus(uniform: float, token: int) -> None:
    # top_p 0.8 keeps 0.5 + 0.3 (ranked best first); the draw spans that nucleus only: 11 below 0.5 / 0.8.
    assert sample_next_token(UNSORTED, {}, SamplingParams(top_p=0.8), ScriptedRandom(uniform)).token == token


def test_the_nucleus_threshold_is_a_share_of_the_total_mass_whatever_that_mass_is() -> None:
    # Weights 4, 2, 1, 1 (mass 8, not 1): top_p 0.8 needs 6.4, so the nucleus reaches the first 1 and, tied with
    # it, the second: all four tokens stay, and the last one is drawn by a uniform near 1.
    logits = {1: math.log(4), 2: math.log(2), 3: math.log(1), 4: math.log(1)}
    assert sample_next_token(logits, {}, SamplingParams(top_p=0.8), ScriptedRandom(0.99)).token == 4
    assert set(_draws(logits, SamplingParams(top_p=0.8), 2_000)) == {1, 2, 3, 4}


def test_tokens_tied_with_the_weakest_member_of_the_nucleus_are_kept_and_drawn_alike() -> None:
    # Weights 2, 1, 1, 1: top_p 0.6 needs 3 of 5, reached by the first 1; the other two 1s tie with it and stay.
    logits = {1: math.log(2), 2: 0.0, 3: 0.0, 4: 0.0}
    counts = _draws(logits, SamplingParams(top_p=0.6), 10_000, seed=3)
    assert set(counts) == {1, 2, 3, 4}
    for tied in (3, 4):
        assert counts[tied] / counts[2] == pytest.approx(1.0, rel=0.12)


def test_a_nucleus_that_needs_every_candidate_keeps_them_all() -> None:
    assert set(_draws({1: 0.0, 2: 0.0}, SamplingParams(top_p=0.9), 400)) == {1, 2}


@pytest.mark.parametrize(
    "logits",
    [{1: 800.0, 2: 800.0 - math.log(3)}, {1: -1000.0, 2: -1000.0 - math.log(3)}],
    ids=["sum-overflows", "sum-underflows"],
)
def test_scores_beyond_the_float_range_still_give_exact_logprobs_and_draws(logits: dict[int, float]) -> None:
    # exp() overflows (or underflows to 0) for these scores; the shifted softmax must take over unchanged.
    sampled = sample_next_token(logits, {}, SamplingParams(top_logprobs=2), random.Random(0))
    assert dict(sampled.top_logprobs) == pytest.approx({1: math.log(0.75), 2: math.log(0.25)})
    counts = _draws(logits, SamplingParams(), 8_000, seed=5)
    assert counts[1] / 8_000 == pytest.approx(0.75, abs=0.02)


@pytest.mark.parametrize(
    ("logits", "temperature", "first_share"),
    [
        ({1: -40.0, 2: -40.05}, 0.05, 1 / (1 + math.exp(-1))),  # exp(s) ** 20 underflows to 0
        ({1: 10.0, 2: 9.99}, 0.01, 1 / (1 + math.exp(-1))),  # exp(s) ** 100 overflows (OverflowError)
        ({1: 709.0, 2: 709.0}, 0.999, 0.5),  # each power is finite, their sum is not
    ],
    ids=["powers-underflow", "power-overflows", "sum-of-powers-overflows"],
)
def test_tempered_weights_beyond_the_float_range_keep_the_tempered_ratio(
    logits: dict[int, float], temperature: float, first_share: float
) -> None:
    counts = _draws(logits, SamplingParams(temperature=temperature), 8_000, seed=8)
    assert counts[1] / 8_000 == pytest.approx(first_share, abs=0.02)


def test_a_temperature_of_2_flattens_the_distribution() -> None:
    counts = _draws(LOGITS, SamplingParams(temperature=2.0), 20_000, seed=2)
    expected = _softmax(LOGITS, 2.0)
    assert counts[15] / 20_000 == pytest.approx(expected[15], abs=0.01)  # 0.092 at T=2 against 0.024 at T=1


def test_logit_bias_is_added_to_a_candidates_score_not_put_in_its_place() -> None:
    sampled = sample_next_token(
        {1: -1.0, 2: -3.0}, {}, SamplingParams(logit_bias={2: 1.5}, top_logprobs=2), random.Random(0)
    )
    # Scores become -1.0 and -1.5: token 1 stays ahead (replacing would have made token 2 +1.5, the favourite).
    expected = {1: -1.0, 2: -1.5}
    total = math.log(sum(math.exp(value) for value in expected.values()))
    assert dict(sampled.top_logprobs) == pytest.approx({token: value - total for token, value in expected.items()})


def test_a_zero_or_negative_bias_on_a_non_candidate_does_not_add_it() -> None:
    for bias in (0, -5):
        sampled = sample_next_token(
            LOGITS, {}, SamplingParams(logit_bias={99: bias}, top_logprobs=20), random.Random(1)
        )
        assert 99 not in dict(sampled.top_logprobs)


def test_banning_a_token_that_is_no_candidate_changes_nothing() -> None:
    banned = _draws(LOGITS, SamplingParams(logit_bias={99: -100}), 500, seed=4)
    assert banned == _draws(LOGITS, SamplingParams(), 500, seed=4)


def test_a_positive_bias_over_no_candidates_at_all_makes_the_token_certain() -> None:
    sampled = sample_next_token({}, {}, SamplingParams(logit_bias={7: 3.0}), random.Random(0))
    assert (sampled.token, sampled.logprob) == (7, 0.0)


def test_banning_every_candidate_says_so() -> None:
    with pytest.raises(ValueError) as raised:
        sample_next_token({1: 0.0}, {}, SamplingParams(logit_bias={1: -100}), random.Random(0))
    assert str(raised.value) == "no candidate token is left to sample: logit_bias banned them all"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("temperature", 2.5, "temperature=2.5 must be between 0 and 2"),
        ("top_p", -0.1, "top_p=-0.1 must be between 0 and 1"),
        ("presence_penalty", -2.1, "presence_penalty=-2.1 must be between -2 and 2"),
        ("frequency_penalty", 2.1, "frequency_penalty=2.1 must be between -2 and 2"),
        ("top_logprobs", -1, "top_logprobs=-1 must be between 0 and 20"),
        ("logit_bias", {5: -101}, "logit_bias[5]=-101 must be between -100 and 100"),
    ],
    ids=lambda value: str(value),
)
def test_refusals_name_the_field_its_value_and_the_range(field: str, value: Any, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        SamplingParams(**{field: value})
    assert str(raised.value) == message


def test_the_documented_bounds_themselves_are_accepted() -> None:
    for bound in (-2.0, 2.0):
        SamplingParams(presence_penalty=bound, frequency_penalty=bound)
    SamplingParams(temperature=2.0, top_p=0.0, top_logprobs=20, logit_bias={1: -100, 2: 100})


def test_different_params_hash_differently() -> None:
    variants = [
        SamplingParams(),
        SamplingParams(temperature=0.5),
        SamplingParams(top_p=0.5),
        SamplingParams(presence_penalty=1.0),
        SamplingParams(frequency_penalty=1.0),
        SamplingParams(top_logprobs=3),
        SamplingParams(logit_bias={1: 1.0}),
    ]
    assert len({hash(params) for params in variants}) == len(variants)


def test_a_long_run_of_negative_penalties_never_overflows() -> None:
    # A token repeated 1,000 times under frequency_penalty -2 scores +2000: math.exp raised OverflowError there.
    params = SamplingParams(frequency_penalty=-2.0, top_logprobs=2)
    sampled = sample_next_token({1: -1.0, 2: -0.5}, {1: 1_000}, params, random.Random(0))
    assert sampled.token == 1 and sampled.logprob == pytest.approx(0.0)
