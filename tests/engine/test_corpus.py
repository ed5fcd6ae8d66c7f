"""Tests for the corpus format: pairs, paragraphs and code in answers, comments, and the errors it names."""

from __future__ import annotations

import pytest

from mockai.engine.corpus import parse_pairs, read_corpus


def test_a_pair_has_its_ways_of_asking_and_a_multi_paragraph_answer() -> None:
    text = (
        "# a comment\nQ: How?\nQ: Why?\nA: First line.\nSecond line.\n\n```python\nprint(1)\n```\n\nQ: Next?\nA: Yes.\n"
    )
    first, second = parse_pairs(text, source="en/x.qa")
    assert first.questions == ("How?", "Why?")
    assert first.answer == "First line.\nSecond line.\n\n```python\nprint(1)\n```"
    assert (second.questions, second.answer, second.source) == (("Next?",), "Yes.", "en/x.qa")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A: an answer without a question\n", "x.qa:1: a pair starts with one or more non-empty 'Q:' lines"),
        ("Q: a question without an answer\n", "x.qa:1: the questions must be followed by an 'A:' line"),
        ("Q: one\nA: two\nQ: three\nA: four\n", "x.qa:3: separate pairs with a blank line"),
        ("Q: one\nA: two\nA: three\n", "x.qa:1: a pair has one 'A:' line"),
        ("Q: one\nA:\n", "x.qa:1: the answer is empty"),
        ("Q:\nA: two\n", "x.qa:1: a pair starts with one or more non-empty 'Q:' lines"),
    ],
    ids=["no-question", "no-answer", "no-blank-line", "two-answers", "empty-answer", "empty-question"],
)
def test_malformed_pairs_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_pairs(text, source="x.qa")


def test_the_shipped_corpus_parses_and_every_question_is_asked_once() -> None:
    pairs = read_corpus()
    asked = [question for pair in pairs for question in pair.questions]
    assert len(asked) == len(set(asked))
    assert {pair.source.split("/")[0] for pair in pairs} == {"en", "zh"}
