"""mockai.strict_json: every JSON document a client may legitimately send is read; hostile ones are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.strict_json import MAX_DEPTH, RefusedJSON, loads, nested_deeper_than

# Text a client can send: any Unicode scalar value (surrogates are not characters and cannot be UTF-8 encoded).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
)
JSON_VALUES = st.recursive(
    SCALARS | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)


def depth(value: Any) -> int:
    """The reference: how deeply arrays and objects nest, by walking the parsed value."""
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    return 0


@given(JSON_VALUES)
def test_any_json_document_a_client_may_send_reads_back_unchanged(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert loads(text.encode("utf-8")) == value


@given(JSON_VALUES, st.integers(0, 2 * MAX_DEPTH))
def test_the_nesting_check_agrees_with_walking_the_value(value: Any, wrapping: int) -> None:
    # Strings full of brackets must not count: they are data, not structure.
    text = "[" * wrapping + json.dumps({"s": "[{[{", "v": value}) + "]" * wrapping
    expected = depth(json.loads(text))
    assert nested_deeper_than(text.encode(), MAX_DEPTH) is (expected > MAX_DEPTH)
    assert nested_deeper_than(text.encode(), expected) is False
    assert nested_deeper_than(text.encode(), expected - 1) is True


REFUSED = [
    ("nan", b'{"temperature": NaN}'),
    ("infinity", b'{"top_p": Infinity}'),
    ("minus-infinity", b'{"presence_penalty": -Infinity}'),
    ("overflowing-float", b'{"seconds": 1e400}'),
    ("overflowing-integer", b'{"seconds": 1' + b"0" * 400 + b"}"),
    ("lone-high-surrogate", b'{"input": "\\ud800"}'),
    ("lone-low-surrogate", b'{"input": "a\\udfff"}'),
    ("surrogate-as-utf8-bytes", b'{"input": "\xed\xa0\x80"}'),
    ("not-utf8", b'{"input": "\xff"}'),
    ("deep-arrays", b"[" * 1000 + b"]" * 1000),
    ("deep-objects", b'{"a":' * 1000 + b"1" + b"}" * 1000),
    ("one-level-too-deep", b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)),
    ("trailing-comma", b'{"a": 1,}'),
    ("empty", b""),
]


@pytest.mark.parametrize("raw", [raw for _, raw in REFUSED], ids=[name for name, _ in REFUSED])
def test_hostile_documents_are_refused(raw: bytes) -> None:
    with pytest.raises(RefusedJSON):
        loads(raw)


def test_the_cap_itself_and_paired_surrogates_are_accepted() -> None:
    assert depth(loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)) == MAX_DEPTH
    assert loads(b'"\\ud83d\\ude00"') == "\U0001f600"


def test_integers_past_64_bits_are_bounded_to_a_finite_float() -> None:
    value = loads(b"18446744073709551616")
    assert isinstance(value, float) and value == 2.0**64


@given(JSON_VALUES, st.sampled_from(["NaN", "Infinity", "-Infinity", '"\\udc80"', "1e999", "[" * 200 + "]" * 200]))
def test_a_hostile_value_anywhere_in_a_document_refuses_the_whole_document(value: Any, hostile: str) -> None:
    text = json.dumps({"ok": value, "bad": "HOSTILE"}).replace('"HOSTILE"', hostile)
    with pytest.raises(RefusedJSON):
        loads(text.encode())
