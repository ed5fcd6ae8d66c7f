"""Tests for computed arithmetic: exact results for simple sums, nothing for text that only holds numbers."""

from __future__ import annotations

import pytest

from mockai.engine.arithmetic import arithmetic_answer


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What's 2 + 2?", "2 + 2 = 4."),
        ("What is 7 times 8?", "7 × 8 = 56."),
        ("whats 10 divided by 4", "10 ÷ 4 = 2.5."),
        ("What is 3 - 5 * 2?", "3 - 5 × 2 = -7."),
        ("(2+3)*4?", "(2 + 3) × 4 = 20."),
        ("What is 1 / 3?", "1 ÷ 3 = 1/3 (about 0.333333)."),
        ("Pay 5.50 + 2.25, how much?", "5.50 + 2.25 = 7.75."),
        ("2加2等于几", "2 + 2 = 4。"),
        ("7乘以8等于多少？", "7 × 8 = 56。"),
    ],
    ids=["plus", "times-word", "division", "precedence", "parentheses", "fraction", "decimals", "chinese-plus",
         "chinese-times"],
)  # fmt: skip
def test_simple_arithmetic_is_computed_exactly(question: str, answer: str) -> None:
    assert arithmetic_answer(question) == answer


@pytest.mark.parametrize(
    "question",
    [
        "How are you?",
        "I need 1/2 cup of sugar for a cake",
        "What happened on 2024-01-05?",
        "Call 555-1234",
        "What is 1/0?",
        "What is 2 + 2 and 3 + 3?",
        "What is 9999999999999999 * 9999999999999999?",
    ],
    ids=["no-numbers", "a-recipe-fraction", "a-date", "a-phone-number", "division-by-zero", "two-sums", "too-large"],
)
def test_text_that_is_not_one_simple_sum_is_left_to_the_model(question: str) -> None:
    assert arithmetic_answer(question) is None
