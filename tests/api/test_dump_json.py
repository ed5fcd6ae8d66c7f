"""Response bodies are the bytes `json.dumps` would write, whichever serialiser wrote them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from mockai.api.responses import dump_json

FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.floats(min_value=-1e-3, max_value=1e-3)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | FLOATS | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _json_module(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@given(VALUES)
@example({"logprob": -1.2e-05, "top": [1e16, 1e-07, 0.0001]})
@example([1e-05])
@example([1e-07])
@example(1e-07)
@example(1e-05)
@example({"content": "ratio:1e5 at 0:0.00001"})
def test_the_bytes_are_those_json_dumps_writes(data: Any) -> None:
    assert dump_json(data) == _json_module(data)


def test_integer_keys_and_lone_surrogates_are_written_as_json_writes_them() -> None:
    assert dump_json({1: "a"}) == b'{"1":"a"}'
    assert dump_json(["\ud800"]) == b'["\\ud800"]'
