"""Request patterns: each lookup style, each operator, and the mismatch lines near misses are made of."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.control.matching import _MISSING as MISSING
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


# -- the request view ---------------------------------------------------------------------------------------------


def test_the_model_comes_from_the_body_unless_the_path_named_one() -> None:
    assert RequestView("POST", "/v1/embeddings", {}, {"model": "ada"}).model == "ada"
    assert RequestView("POST", "/v1/engines/davinci/completions", {}, {"model": "ada"}, model="davinci").model == (
        "davinci"
    )
    assert RequestView("POST", "/v1/embeddings", {}, {"model": 3}).model is None
    assert RequestView("GET", "/v1/models", {}).model is None


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"role": "user", "content": "first"}, {"role": "user", "content": "second"}], "second"),
        ([{"role": "user", "content": "asked"}, {"role": "assistant", "content": "answered"}], "asked"),
        (
            [{"role": "user", "content": [{"type": "text", "text": "What's"}, {"type": "image_url"},
                                          {"type": "text", "text": " the weather?"}, "junk"]}],
            "What's the weather?",
        ),
        ([{"role": "system", "content": "Be brief."}], None),
        ("not a list", None),
    ],
    ids=["the-last-of-two", "skips-the-assistant", "text-parts-joined", "no-user-message", "no-messages"],
)  # fmt: skip
def test_last_user_is_the_text_of_the_last_user_message(messages: Any, expected: str | None) -> None:
    assert RequestView("POST", "/v1/chat/completions", {}, {"messages": messages}).last_user == expected


# -- conditions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "condition", "as_json"),
    [
        ("gpt-4", Condition("eq", "gpt-4"), "gpt-4"),
        (["op", "x"], Condition("eq", ["op", "x"]), ["op", "x"]),
        ({"op": "eq", "value": {"a": 1}}, Condition("eq", {"a": 1}), {"op": "eq", "value": {"a": 1}}),
        ({"op": "regex", "value": "^gpt"}, Condition("regex", "^gpt"), {"op": "regex", "value": "^gpt"}),
        ({"op": "exists"}, Condition("exists", True), {"op": "exists", "value": True}),
    ],
    ids=["plain-value", "plain-list-naming-op", "object-value", "operator", "exists-defaults-to-true"],
)
def test_conditions_read_and_write_their_json(raw: Any, condition: Condition, as_json: Any) -> None:
    assert Condition.from_json(raw) == condition
    assert condition.to_json() == as_json


def test_an_unknown_operator_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError) as raised:
        Condition.from_json({"op": "like", "value": "x"})
    assert str(raised.value) == "unknown operator 'like'; expected one of eq, regex, contains, in, exists"


@pytest.mark.parametrize(
    ("condition", "actual", "holds"),
    [
        (Condition("exists", True), "anything", True),
        (Condition("exists", True), MISSING, False),
        (Condition("exists", False), MISSING, True),
        (Condition("eq", None), MISSING, False),
        (Condition("regex", ".*"), MISSING, False),
        (Condition("regex", "3"), 3, False),
        (Condition("contains", "ell"), "hello", True),
        (Condition("contains", 3), "a 3 here", False),
        (Condition("contains", {"role": "user"}), {"role": "user", "content": "hi"}, True),
        (Condition("contains", {"role": "user", "name": "x"}), {"role": "user"}, False),
        (Condition("contains", {"role": "user"}), {"role": "system"}, False),
        (Condition("contains", 2), [1, 2, 3], True),
        (Condition("contains", 2), 12, False),
        (Condition("in", [1, 2]), 2, True),
        (Condition("in", "abc"), "b", False),
    ],
    ids=[
        "exists-present", "exists-missing", "absent-missing", "eq-missing", "regex-missing", "regex-non-string",
        "contains-substring", "contains-non-string-in-string", "contains-sub-object", "contains-missing-key",
        "contains-other-value", "contains-list-item", "contains-on-a-number", "in-list", "in-needs-a-list",
    ],
)  # fmt: skip
def test_each_operator_holds_as_documented(condition: Condition, actual: Any, holds: bool) -> None:
    assert condition.holds(actual) is holds


@pytest.mark.parametrize(
    ("condition", "words"),
    [
        (Condition("eq", "gpt-4"), "== 'gpt-4'"),
        (Condition("regex", "^gpt"), "matches '^gpt'"),
        (Condition("contains", "x"), "contains 'x'"),
        (Condition("in", [1, 2]), "in [1, 2]"),
        (Condition("exists", True), "exists"),
        (Condition("exists", False), "is absent"),
    ],
    ids=["eq", "regex", "contains", "in", "exists", "absent"],
)
def test_conditions_describe_themselves(condition: Condition, words: str) -> None:
    assert condition.describe() == words


# -- body paths ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parts"),
    [("[0].content", [0, "content"]), ("messages__", ["messages"]), ("a..b", ["a", "b"])],
    ids=["leading-index", "trailing-separator", "doubled-separator"],
)
def test_empty_path_segments_are_ignored(path: str, parts: list[Any]) -> None:
    assert split_path(path) == parts


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("messages__-3__role", "system"),  # the first message, counted from the end
        ("messages__2__role", "assistant"),
        ("messages__3__role", MISSING),  # one past the end
        ("messages__-4__role", MISSING),  # one before the start
        ("messages__role", MISSING),  # a name where a list needs an index
        ("model__0", MISSING),  # a string is not indexed
        ("n__x", MISSING),
    ],
    ids=["minus-len", "last-index", "len", "minus-len-minus-1", "name-on-a-list", "index-on-a-string", "into-int"],
)
def test_lookup_stops_at_both_ends_of_a_list(path: str, found: Any) -> None:
    assert lookup(CHAT.body, path) is found if found is MISSING else lookup(CHAT.body, path) == found


# -- patterns -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        {"path": "/v1/embeddings"},
        {"last_user": {"op": "regex", "value": "^Be brief"}},
        {"headers": {"x-missing": "yes"}},
        {"form": [{"path": "n", "value": 3}]},
        {"json": [{"path": "messages", "op": "contains", "value": {"role": "user", "content": "Hi"}}]},
    ],
    ids=["path", "last-user", "absent-header", "form-field", "no-such-message"],
)
def test_a_condition_that_fails_fails_the_pattern(document: dict[str, Any]) -> None:
    assert Pattern.from_json(document).matches(CHAT) is False


def test_field_conditions_default_to_equality_and_to_exists_true() -> None:
    pattern = Pattern.from_json({"json": [{"path": "n", "value": 2}, {"path": "model", "op": "exists"}]})
    assert pattern.to_json() == {
        "json": [{"path": "n", "op": "eq", "value": 2}, {"path": "model", "op": "exists", "value": True}]
    }
    assert pattern.matches(CHAT)


def test_a_form_section_stays_a_form_section() -> None:
    pattern = Pattern.from_json({"form": [{"path": "purpose", "value": "fine-tune"}]})
    upload = RequestView("POST", "/v1/files", {}, {"purpose": "fine-tune"}, "multipart")
    assert pattern.body_kind == "multipart" and pattern.matches(upload)
    assert pattern.to_json() == {"form": [{"path": "purpose", "op": "eq", "value": "fine-tune"}]}
    assert Pattern.from_json({"json": [{"path": "n", "value": 2}]}).body_kind == "json"
    assert Pattern.from_json({"model": "gpt-4"}).body_kind is None


def test_mismatches_list_only_the_failing_conditions_with_what_was_found() -> None:
    pattern = Pattern.from_json(
        {
            "method": "GET",
            "path": "/v1/completions",
            "model": "gpt-4",
            "last_user": {"op": "regex", "value": "^Hello"},
            "headers": {"x-missing": "yes"},
            "json": [{"path": "tools", "op": "exists"}],
        }
    )
    assert pattern.mismatches(CHAT) == [
        "method: expected == 'GET', got 'POST'",
        "path: expected == '/v1/completions', got '/v1/chat/completions'",
        "last user message: expected matches '^Hello', got \"What's the weather in Paris?\"",
        "header x-missing: expected == 'yes', got nothing",
        "body tools: expected exists, got nothing",
    ]
    models = RequestView("GET", "/v1/models", {})
    assert Pattern.from_json({"last_user": "Hi", "model": "gpt-4"}).mismatches(models) == [
        "model: expected == 'gpt-4', got nothing",
        "last user message: expected == 'Hi', got nothing",
    ]


def test_a_pattern_describes_every_condition_in_order() -> None:
    pattern = Pattern.from_json(
        {
            "method": "POST",
            "path": "/v1/chat/completions",
            "model": {"op": "in", "value": ["gpt-4"]},
            "last_user": {"op": "contains", "value": "weather"},
            "headers": {"X-Trace": {"op": "exists"}},
            "json": [{"path": "n", "value": 2}],
        }
    )
    assert pattern.describe() == (
        "method == 'POST' and path == '/v1/chat/completions' and model in ['gpt-4'] and last user message "
        "contains 'weather' and header x-trace exists and body n == 2"
    )
    assert Pattern().describe() == "any request"
    assert Pattern.from_json({"json": [{"path": "n", "value": 2}]}).describe() == "body n == 2"
