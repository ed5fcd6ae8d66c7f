"""Tests for mockai.engine.embedding: unit length, determinism, truncation, similarity order."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.embedding import embed_tokens, to_base64, truncate

MODEL = "text-embedding-3-small"


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def norm(v: Sequence[float]) -> float:
    return math.sqrt(math.fsum(x * x for x in v))


@pytest.mark.parametrize("dims", [1, 8, 256, 1536, 3072])
def test_vectors_have_unit_length_and_requested_size(dims: int) -> None:
    vector = embed_tokens([791, 3691, 574, 18406], dims, model=MODEL)
    assert len(vector) == dims
    assert norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_vectors_are_dense() -> None:
    vector = embed_tokens([9906, 0], 1536, model=MODEL)
    assert sum(1 for x in vector if x == 0.0) < 20


def test_same_tokens_same_vector_and_models_differ() -> None:
    tokens = [464, 3280, 373, 18406, 323, 279, 68868, 1131]
    assert embed_tokens(tokens, 64, model=MODEL) == embed_tokens(list(tokens), 64, model=MODEL)
    other = embed_tokens(tokens, 64, model="text-embedding-ada-002")
    assert other != embed_tokens(tokens, 64, model=MODEL)


def test_word_order_moves_the_vector_but_keeps_it_close() -> None:
    forward = embed_tokens([1, 2, 3, 4, 5, 6], 1536, model=MODEL)
    backward = embed_tokens([6, 5, 4, 3, 2, 1], 1536, model=MODEL)
    assert forward != backward
    assert cosine(forward, backward) > 0.6


def test_values_are_float32_exact() -> None:
    vector = embed_tokens([10, 20, 30], 32, model=MODEL)
    assert all(struct.unpack("<f", struct.pack("<f", x))[0] == x for x in vector)


def test_empty_input_and_bad_dims_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        embed_tokens([], 8, model=MODEL)
    with pytest.raises(ValueError, match="dims=0 must be positive"):
        embed_tokens([1], 0, model=MODEL)


def test_truncate_renormalises_a_prefix() -> None:
    full = embed_tokens([5, 6, 7], 3072, model="text-embedding-3-large")
    short = truncate(full, 256)
    assert len(short) == 256
    assert norm(short) == pytest.approx(1.0, abs=1e-6)
    scale = short[0] / full[0]
    assert all(s == pytest.approx(f * scale, rel=1e-5, abs=1e-7) for s, f in zip(short, full[:256], strict=True))
    with pytest.raises(ValueError, match="dims=4000"):
        truncate(full, 4000)


def test_truncation_keeps_similarity_order() -> None:
    base = [100, 101, 102, 103, 104, 105]
    near = [100, 101, 102, 103, 200, 201]
    far = [300, 301, 302, 303, 304, 305]
    vectors = [embed_tokens(t, 3072, model="text-embedding-3-large") for t in (base, near, far)]
    short = [truncate(v, 512) for v in vectors]
    assert cosine(short[0], short[1]) > cosine(short[0], short[2])


def test_base64_is_little_endian_float32() -> None:
    vector = embed_tokens([42, 43], 1536, model=MODEL)
    raw = base64.b64decode(to_base64(vector))
    assert len(raw) == 1536 * 4
    assert list(struct.unpack("<1536f", raw)) == vector


def test_a_model_seen_for_the_first_time_and_a_cached_one_give_the_same_vector() -> None:
    # How fast this is (a few ms for 100 tokens x 3072 dims) is measured in bench/bench_media.py.
    tokens = [(i * 7919) % 100_000 for i in range(100)]
    cold = embed_tokens(tokens, 3072, model="text-embedding-3-large-first-use")
    assert embed_tokens(tokens, 3072, model="text-embedding-3-large-first-use") == cold
    assert len(cold) == 3072 and norm(cold) == pytest.approx(1.0, abs=1e-6)


_words = st.lists(st.integers(0, 10_000), min_size=1, max_size=12, unique=True)


@given(shared=_words, extra=st.lists(st.integers(10_001, 20_000), max_size=24, unique=True))
def test_texts_sharing_most_words_beat_unrelated_texts(shared: list[int], extra: list[int]) -> None:
    """With A shared by both sides and at least as long as each tail, sim(A+x, A+y) > sim(A+x, C).

    x and y are disjoint halves of ``extra``, C has the length of A and shares nothing with
    either side, so the only thing separating the two similarities is the shared part A.
    """
    half = min(len(extra) // 2, len(shared))
    x, y = extra[:half], extra[half : 2 * half]
    unrelated = [30_000 + t for t in shared]
    left = embed_tokens(shared + x, 1536, model=MODEL)
    related = embed_tokens(shared + y, 1536, model=MODEL)
    other = embed_tokens(unrelated, 1536, model=MODEL)
    assert cosine(left, related) > cosine(left, other)


@given(tokens=st.lists(st.integers(0, 200_000), min_size=1, max_size=40), dims=st.integers(1, 2048))
def test_any_input_gives_a_unit_vector(tokens: list[int], dims: int) -> None:
    vector = embed_tokens(tokens, dims, model=MODEL)
    assert len(vector) == dims
    assert norm(vector) == pytest.approx(1.0, abs=1e-5)
