"""Deterministic, semantically useful embedding vectors built from token ids."""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import math
import sys
from array import array
from collections.abc import Sequence

__all__ = ["FEATURE_WEIGHTS", "embed_tokens", "to_base64", "truncate"]

# Feature kinds and their integer weights: a shared token counts twice as much as a shared
# token pair, so word overlap dominates while word order still moves the vector.
FEATURE_WEIGHTS: dict[str, int] = {"token": 2, "bigram": 1}

# Each coordinate accumulates one byte (0..255) per weighted feature in a 32-bit lane;
# 2**32 / (255 * 3) leaves room for over five million tokens before a lane could overflow.
_LANE_BYTES = 4
_BYTE_MEAN = 127.5


def embed_tokens(token_ids: Sequence[int], dims: int, *, model: str) -> list[float]:
    """Embed a token sequence as a unit-length vector of ``dims`` float32-exact values.

    Every token and every adjacent token pair is a feature; each feature owns a dense
    pseudo-random pattern (seeded by ``model`` and the feature) and the vector is their
    weighted sum, centred and normalised.  This is a random projection of the
    bag-of-features, so the cosine of two vectors tracks how many features the texts
    share: texts with common words sit closer than unrelated texts.

    >>> v = embed_tokens([464, 3280, 373], 8, model="text-embedding-ada-002")
    >>> len(v), round(sum(x * x for x in v), 4)
    (8, 1.0)
    """
    if dims <= 0:
        raise ValueError(f"{dims=} must be positive")
    if not token_ids:
        raise ValueError("token_ids must not be empty")
    total = 0
    weight_sum = 0
    for feature, weight in _features(token_ids):
        total += _pattern(model, feature, dims) * weight
        weight_sum += weight
    lanes = array("I", total.to_bytes(dims * _LANE_BYTES, "little"))
    if sys.byteorder == "big":  # pragma: no cover - lanes were packed little-endian
        lanes.byteswap()
    offset = weight_sum * _BYTE_MEAN
    return _normalise([lane - offset for lane in lanes])


def truncate(vector: Sequence[float], dims: int) -> list[float]:
    """Keep the first ``dims`` coordinates and renormalise, as the -3 models do for ``dimensions``.

    >>> truncate([0.6, 0.0, 0.8], 1)
    [1.0]
    """
    if not 0 < dims <= len(vector):
        raise ValueError(f"{dims=} must be between 1 and {len(vector)}")
    return _normalise(vector[:dims])


def to_base64(vector: Sequence[float]) -> str:
    """Pack a vector as base64 of little-endian float32, the layout the SDKs decode.

    >>> to_base64([1.0])
    'AACAPw=='
    """
    packed = array("f", vector)
    if sys.byteorder == "big":  # pragma: no cover - the wire format is little-endian everywhere
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


def _features(token_ids: Sequence[int]) -> list[tuple[bytes, int]]:
    token_weight = FEATURE_WEIGHTS["token"]
    pair_weight = FEATURE_WEIGHTS["bigram"]
    features = [(b"t%d" % token, token_weight) for token in token_ids]
    features.extend((b"b%d,%d" % pair, pair_weight) for pair in itertools.pairwise(token_ids))
    return features


@functools.lru_cache(maxsize=2048)
def _pattern(model: str, feature: bytes, dims: int) -> int:
    """One byte per coordinate, spread into 32-bit lanes so many patterns can be summed as ints."""
    digest = hashlib.shake_256(model.encode() + b"\x00" + feature).digest(dims)
    lanes = bytearray(dims * _LANE_BYTES)
    lanes[0::_LANE_BYTES] = digest
    return int.from_bytes(lanes, "little")


def _normalise(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    if norm == 0.0:
        # Only reachable if every feature pattern cancels exactly; a fixed axis keeps unit length.
        return [1.0] + [0.0] * (len(vector) - 1)
    # Round through float32 so the JSON floats and the base64 floats are the same numbers.
    return array("f", [x / norm for x in vector]).tolist()
