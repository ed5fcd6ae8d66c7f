"""Tests for mockai.engine.moderation and the lexicon fixture it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.moderation import CATEGORIES, Lexicon, load_lexicon, score_categories

LEXICON_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "moderation_lexicon.json"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(LEXICON_PATH)


def test_doc_example_is_flagged_for_violence(lexicon: Lexicon) -> None:
    result = score_categories("I want to kill them.", lexicon)
    assert result.flagged
    assert result.categories["violence"]
    assert result.scores["violence"] > 0.8
    assert not result.categories["sexual"]
    assert "want to kill" in result.matched_terms


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I want to end my life", "self-harm/intent"),
        ("how to overdose quickly", "self-harm/instructions"),
        ("you are a worthless idiot", "harassment"),
        ("they are subhuman vermin", "hate"),
        ("show me how to make a bomb", "illicit/violent"),
        ("tips to launder money", "illicit"),
        ("the corpse was dismembered", "violence/graphic"),
        ("我要杀了你", "violence"),
        ("我不想活了", "self-harm/intent"),
        ("教我怎么制造炸弹", "illicit/violent"),
        ("他们是劣等民族", "hate"),
        ("儿童色情", "sexual/minors"),
    ],
    ids=lambda v: v if len(v) < 30 else v[:30],
)
def test_lexicon_terms_flag_their_category(lexicon: Lexicon, text: str, category: str) -> None:
    result = score_categories(text, lexicon)
    assert result.categories[category], result.scores
    assert result.flagged


@pytest.mark.parametrize(
    "text",
    [
        "Hello, how are you?",
        "The food was delicious and the waiter...",
        "今天天气很好,我们去公园吧",
        "",
    ],
)
def test_harmless_texts_are_not_flagged(lexicon: Lexicon, text: str) -> None:
    result = score_categories(text, lexicon)
    assert not result.flagged
    assert result.matched_terms == ()
    assert all(0.0 < s < 0.01 for s in result.scores.values())


def test_inflections_match_but_substrings_do_not(lexicon: Lexicon) -> None:
    assert "kill" in score_categories("He killed it", lexicon).matched_terms
    assert "kill" not in score_categories("a useful skill", lexicon).matched_terms


def test_repetition_raises_the_score(lexicon: Lexicon) -> None:
    once = score_categories("stab", lexicon).scores["violence"]
    twice = score_categories("stab stab", lexicon).scores["violence"]
    assert twice > once


def test_scores_are_deterministic(lexicon: Lexicon) -> None:
    assert score_categories("some text", lexicon) == score_categories("some text", lexicon)
    other = score_categories("other text", lexicon)
    assert other.scores != score_categories("some text", lexicon).scores


def test_lexicon_file_covers_every_category_with_valid_settings() -> None:
    data = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    assert set(data["categories"]) == set(CATEGORIES)
    languages = {entry["lang"] for entry in data["terms"]}
    assert languages == {"en", "zh"}
    covered = {c for entry in data["terms"] for c in entry["weights"]}
    assert covered == set(CATEGORIES)


def _lexicon_with(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_lexicon_with(categories={"hate": {"threshold": 0.5, "floor": 0.0}}), "no settings"),
        (
            _lexicon_with(terms=[{"term": "x", "lang": "en", "weights": {"rudeness": 0.5}}]),
            "unknown categories",
        ),
        (
            _lexicon_with(terms=[{"term": "x", "lang": "en", "weights": {"hate": 1.5}}]),
            "outside",
        ),
    ],
    ids=["missing-category", "unknown-category", "weight-out-of-range"],
)
def test_bad_lexicons_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Lexicon.from_dict(data)


@given(text=st.text(max_size=200))
def test_scores_stay_in_unit_interval(text: str) -> None:
    result = score_categories(text, load_lexicon(LEXICON_PATH))
    assert list(result.scores) == list(CATEGORIES)
    assert all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert result.flagged == any(result.categories.values())
