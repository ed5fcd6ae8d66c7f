"""Tests for the retrieval index: terms in English and Chinese, BM25 ranking, coverage."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.retrieval import K1, AnswerIndex, B, _Field, query_terms, terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("umbrellas", ["umbrella"]),
        ("raining rained", ["rain", "rain"]),
        ("running stopped", ["run", "stop"]),
        ("coding code", ["cod", "cod"]),
        ("What is the capital of France?", ["capital", "franc"]),
        ("What are you?", ["what", "are", "you"]),  # only function words: they are all it has
        ("下雨了", ["下", "雨", "下雨"]),  # 了 is a particle: "雨了" crosses a word boundary
        ("我想学吉他", ["学", "吉", "想学", "学吉", "吉他"]),
        ("Python怎么学", ["python", "学"]),
    ],
    ids=["plural", "verb-forms", "doubled-consonant", "final-e", "function-words", "only-function-words",
         "particle", "cjk-stopwords", "mixed"],
)  # fmt: skip
def test_terms(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_a_lone_cjk_character_weighs_less_than_a_bigram() -> None:
    assert query_terms("吉他", weight=2.0) == {"吉": 1.0, "吉他": 2.0}  # 他 alone is a function word


INDEX = AnswerIndex(
    [
        (["Hello!", "Hi!"], "Hello there! How can I help you today?"),
        (["How do I print hello world in Python?"], 'print("Hello, world!") prints hello world.'),
        (["How do I learn to program?", "How do I start coding?"], "Build small things you care about."),
        (["What is the capital of France?"], "The capital of France is Paris."),
        (["What is the capital of Germany?"], "The capital of Germany is Berlin."),
        (["我出门没带钱包，怎么买饭？"], "可以用手机付款，或者请朋友帮忙。"),
    ]
)


def _best(question: str) -> int:
    return INDEX.search(query_terms(question))[0].document


def test_a_short_question_asked_exactly_beats_a_long_one_mentioning_its_word() -> None:
    assert _best("Hello!") == 0


def test_two_phrasings_of_one_pair_add_up() -> None:
    assert _best("I want to learn to code") == 2


def test_the_entity_decides_between_similar_questions() -> None:
    assert _best("Which city is France's capital?") == 3
    assert _best("capital of germany") == 4


def test_chinese_questions_find_their_pair_across_spacing_and_punctuation() -> None:
    assert _best("我出门没带钱包 怎么买饭") == 5


def test_coverage_is_the_share_of_the_question_found_and_unknown_words_weigh_most() -> None:
    covered = INDEX.search(query_terms("What is the capital of France?"))[0]
    uncovered = INDEX.search(query_terms("What is the capital of Peru?"))[0]
    assert covered.coverage == 1.0
    assert uncovered.coverage < 0.5


def test_a_question_sharing_nothing_finds_nothing() -> None:
    assert INDEX.search(query_terms("quantum chromodynamics")) == []


@given(st.lists(st.lists(st.integers(0, 5), max_size=20), min_size=1, max_size=6))
def test_a_fields_postings_list_each_terms_units_in_order_with_its_saturated_weight(units: list[list[int]]) -> None:
    # The BM25 definition, one posting list per term: the flat build must lay out these floats, to the last bit.
    counted = [Counter(unit) for unit in units]
    average = sum(map(len, units)) / max(len(units), 1) or 1.0
    field = _Field(counted, 6)
    for term in range(6):
        expected = []
        for position, unit in enumerate(counted):
            if term in unit:
                weighted = unit[term] / (1.0 - B + B * len(units[position]) / average)
                expected.append((position, weighted / (K1 + weighted)))
        assert list(field.postings(term)) == expected, term
