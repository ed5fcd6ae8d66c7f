"""The canonical body behind request fingerprints and seeded ids: the bytes `json.dumps(sort_keys=True)` writes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockai.api.text_generation import CanonicalBody

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
BODIES = st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=8)


def _digest(body: dict[str, Any]) -> bytes:
    return hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=16).digest()


@given(BODIES, st.data())
def test_digests_are_those_of_the_sorted_json_of_the_kept_members(body: dict[str, Any], data: st.DataObject) -> None:
    left_out = data.draw(st.frozensets(st.sampled_from(sorted(body))) if body else st.just(frozenset[str]()))
    canonical = CanonicalBody(body)
    assert canonical.digest() == _digest(body)
    assert canonical.digest(leaving_out=left_out) == _digest({k: v for k, v in body.items() if k not in left_out})
