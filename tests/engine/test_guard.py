"""Tests for the reply guard: loops refused, ends only where text ends naturally, long replies wound down."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.generate import GenerationRun
from mockai.engine.guard import FREE_REPEAT, SOFT_LIMIT, WIND_DOWN_STEP, ReplyGuard, natural_end
from mockai.engine.sampler import SamplingParams
from mockai.engine.tokenizer import get_encoding

ENCODING = get_encoding("cl100k_base")
END = ENCODING.eot_token
WANG = ENCODING.encode("往")[0]
DOT = ENCODING.encode(".")[0]


def _guard(*tokens: int, exempt: frozenset[int] = frozenset()) -> ReplyGuard:
    guard = ReplyGuard(ENCODING.decode_single_token_bytes, END, exempt)
    for token in tokens:
        guard.advance(token)
    return guard


@pytest.mark.parametrize(
    ("text", "natural"),
    [
        ("It rains.", True),
        ("下雨了。", True),
        ('He said "go!"', True),
        ("（好的！）", True),
        ("```python\nprint(1)\n```", True),
        ("A list:\n", True),
        ("", False),
        ("It rains", False),
        ("不好意", False),
        ("as in e.g", False),
    ],
    ids=["full-stop", "cjk-full-stop", "quote-after-mark", "cjk-bracket", "code-fence", "line-break", "empty",
         "no-mark", "cjk-mid-word", "abbreviation-cut"],
)  # fmt: skip
def test_natural_ends(text: str, natural: bool) -> None:
    assert natural_end(text) is natural


def test_a_third_copy_of_the_same_token_is_refused() -> None:
    scores = _guard(WANG, WANG).adjust({WANG: -0.1, DOT: -3.0})
    assert WANG not in scores


def test_a_third_copy_of_a_longer_unit_is_refused() -> None:
    unit = ENCODING.encode(" the rain")
    guard = _guard(*unit, *unit, *unit[:-1])
    assert unit[-1] not in guard.adjust({unit[-1]: -0.1, DOT: -3.0})


def test_two_copies_are_allowed() -> None:
    assert WANG in _guard(WANG).adjust({WANG: -0.1, DOT: -3.0})


def test_repeating_an_earlier_stretch_costs_more_the_longer_it_gets() -> None:
    stretch = list(range(1000, 1000 + FREE_REPEAT + 3))
    guard = _guard(*stretch, 5, *stretch[:-1])
    scores = guard.adjust({stretch[-1]: -0.1, 7: -0.2})
    assert scores[stretch[-1]] < -0.1  # penalised, like a frequency penalty on the phrase
    assert scores[7] == -0.2


def test_logit_bias_tokens_are_left_alone() -> None:
    scores = _guard(WANG, WANG, exempt=frozenset({WANG})).adjust({WANG: -0.1, DOT: -3.0})
    assert scores[WANG] == -0.1


def test_the_end_is_removed_mid_sentence_unless_it_is_the_first_choice() -> None:
    words = ENCODING.encode("It rains")
    assert END not in _guard(*words).adjust({END: -1.0, DOT: -0.5})
    assert END in _guard(*words).adjust({END: -0.1, DOT: -0.5})
    assert END in _guard(*words, DOT).adjust({END: -1.0, DOT: -0.5})


def test_past_the_soft_limit_the_end_is_offered_at_sentence_ends_with_a_growing_bonus() -> None:
    distinct = list(range(2000, 2000 + SOFT_LIMIT + 39))
    assert END not in _guard(*distinct[:100], DOT).adjust({DOT: -0.5, 7: -0.7})  # a natural length: no push
    scores = _guard(*distinct, DOT).adjust({DOT: -0.5, 7: -0.7})
    # Like a positive logit_bias on a token outside the candidates: the weakest score plus the bonus.
    assert scores[END] == pytest.approx(-0.7 + WIND_DOWN_STEP * 40)
    assert END not in _guard(*distinct).adjust({DOT: -0.5, 7: -0.7})  # mid-sentence: never


class LoopingModel:
    """A model that always prefers the same few tokens: left alone it would loop forever."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self.scores = {token: -0.1 * rank for rank, token in enumerate(tokens)}

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        return {**self.scores, END: -9.0}


@given(
    words=st.lists(
        st.sampled_from(["往", " rain", " the", ".", "。", " umbrella", "，", " yes"]), min_size=1, max_size=5
    ),
    temperature=st.sampled_from([0.0, 0.7, 1.0, 1.5]),
    seed=st.integers(0, 2**16),
)
def test_a_model_that_wants_to_loop_never_repeats_itself_three_times_in_a_row(
    words: list[str], temperature: float, seed: int
) -> None:
    tokens = list(dict.fromkeys(ENCODING.encode(word)[0] for word in words))
    run = GenerationRun(
        LoopingModel(tokens),
        [],
        SamplingParams(temperature=temperature),
        random.Random(seed),
        encoding=ENCODING,
        max_tokens=400,
        end_token=END,
    )
    steps = [step.token for step in run]
    for period in range(1, 8):
        for start in range(len(steps) - 3 * period + 1):
            unit = steps[start : start + period]
            assert steps[start + period : start + 3 * period] != unit * 2


def test_the_end_is_never_offered_inside_a_character() -> None:
    r50k = get_encoding("r50k_base")
    head = r50k.encode("伞")[0]  # r50k spells 伞 in byte tokens: this one stops inside the character
    guard = ReplyGuard(r50k.decode_single_token_bytes, r50k.eot_token)
    for token in [*range(2000, 2000 + SOFT_LIMIT + 40), *r50k.encode("。"), head]:
        guard.advance(token)
    assert r50k.eot_token not in guard.adjust({7: -0.5})
