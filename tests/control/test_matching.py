"""Request patterns: each lookup style, each operator, and the mismatch lines near misses are made of."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.control.matching import Condition, Pattern, RequestView, lookup, split_path

CHAT = RequestView(
    "POST",
    "/v1/chat/completions",
    {"x-trace": "t-1"},
    {
        "model": "gpt-4",
        "n": 2,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "What's the weather in Paris?"},
            {"role": "assistant", "content": "Let me check."},
        ],
    },
    "json",
)


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("messages__-1__content", ["messages", -1, "content"]),
        ("messages[-1].content", ["messages", -1, "content"]),
        ("messages.0.role", ["messages", 0, "role"]),
        ("model", ["model"]),
    ],
    ids=["respx", "brackets", "dots", "top-level"],
)
def test_paths_are_read_in_every_supported_style(path: str, parts: list[Any]) -> None:
    assert split_path(path) == parts


def test_lookup_follows_negative_indexes_and_reports_missing_fields() -> None:
    assert lookup(CHAT.body, "messages__-1__role") == "assistant"
    assert Condition("exists", False).holds(lookup(CHAT.body, "messages__9__role"))
    assert Condition("exists", False).holds(lookup(CHAT.body, "tools"))


@pytest.mark.parametrize(
    ("document", "matches"),
    [
        ({"model": "gpt-4"}, True),
        ({"model": "gpt-3.5-turbo"}, False),
        ({"model": {"op": "regex", "value": "^gpt-4"}}, True),
        ({"method": "GET"}, False),
        ({"path": {"op": "regex", "value": "chat"}}, True),
        ({"headers": {"X-Trace": "t-1"}}, True),
        ({"headers": {"x-missing": {"op": "exists", "value": False}}}, True),
        ({"json": [{"path": "n", "op": "in", "value": [1, 2]}]}, True),
        ({"json": [{"path": "messages__0__content", "op": "contains", "value": "brief"}]}, True),
        ({"json": [{"path": "messages", "op": "contains", "value": {"role": "system", "content": "Be brief."}}]}, True),
        ({"json": [{"path": "messages__-1__content", "op": "regex", "value": "weather"}]}, False),
        ({"last_user": {"op": "regex", "value": "weather"}}, True),
        ({}, True),
    ],
    ids=[
        "model eq",
        "model differs",
        "model regex",
        "method differs",
        "path regex",
        "header names are case-insensitive",
        "header absent",
        "body in",
        "body substring",
        "body list contains an object",
        "last message is the assistant's",
        "last user message",
        "empty pattern",
    ],
)
def test_patterns_match_as_documented(document: dict[str, Any], matches: bool) -> None:
    assert Pattern.from_json(document).matches(CHAT) is matches


def test_mismatches_name_the_field_the_expectation_and_the_value() -> None:
    pattern = Pattern.from_json({"model": "gpt-3.5-turbo", "headers": {"x-trace": "t-2"}})
    assert pattern.mismatches(CHAT) == [
        "model: expected == 'gpt-3.5-turbo', got 'gpt-4'",
        "header x-trace: expected == 't-2', got 't-1'",
    ]


def test_an_invalid_regex_is_refused_when_the_rule_is_made() -> None:
    with pytest.raises(ValueError, match="invalid regex"):
        Pattern.from_json({"model": {"op": "regex", "value": "("}})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "model": st.text(max_size=8),
        "path": st.text(max_size=8),
        "headers": st.dictionaries(st.text("abc-", min_size=1, max_size=4), st.text(max_size=4), max_size=2),
        "json": st.lists(
            st.fixed_dictionaries(
                {
                    "path": st.sampled_from(["model", "n", "messages__0__role"]),
                    "op": st.just("eq"),
                    "value": json_values,
                }
            ),
            max_size=2,
        ),
    },
)


@given(documents)
def test_patterns_survive_a_round_trip_through_json(document: dict[str, Any]) -> None:
    pattern = Pattern.from_json(document)
    assert Pattern.from_json(pattern.to_json()) == pattern
