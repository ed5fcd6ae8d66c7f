"""Tests for mockai.engine.speech: generated transcripts follow the duration and the seed."""

from __future__ import annotations

import random
import re

import pytest

from mockai.engine.speech import speech_text
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding

ENCODING = "cl100k_base"


def speak(seconds: float, *, seed: int = 1, chinese: bool = False, prompt: str = "") -> str:
    return speech_text(
        corpus_model(ENCODING),
        get_encoding(ENCODING),
        seconds,
        chinese=chinese,
        rng=random.Random(seed),
        prompt=prompt,
    )


@pytest.mark.parametrize("seconds", [1.0, 4.0, 30.0])
def test_english_length_is_two_and_a_half_words_a_second(seconds: float) -> None:
    text = speak(seconds)
    assert len(text.split()) == max(1, round(2.5 * seconds))
    assert text.endswith((".", "!", "?"))


def test_chinese_length_is_four_characters_a_second() -> None:
    text = speak(5.0, chinese=True)
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) >= 10
    assert 18 <= len(text) <= 21  # 20 characters, trailing commas dropped, a full stop added when missing


def test_same_seed_same_text_other_seed_other_text() -> None:
    assert speak(6.0, seed=3) == speak(6.0, seed=3)
    assert speak(6.0, seed=3) != speak(6.0, seed=4)


def test_text_is_plain_prose() -> None:
    text = speak(20.0, seed=9)
    assert "\n" not in text and "<|" not in text and "  " not in text
