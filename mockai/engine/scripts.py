"""Which writing system a token belongs to, told apart coarsely by its bytes.

Enough to keep an English prompt's reply English and a Chinese one's Chinese: a script the prompt barely uses is
scaled down (see `script_factors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tiktoken

__all__ = [
    "LATIN",
    "NEUTRAL",
    "NON_ASCII",
    "SCRIPT_FLOOR",
    "UNFINISHED",
    "encoding_script",
    "ends_inside_a_character",
    "script_factors",
]

NEUTRAL, LATIN, NON_ASCII = 0, 1, 2
# A non-ASCII token ending inside a UTF-8 character (byte-level BPE splits CJK characters): only the
# continuations seen after it complete the *right* character, so it takes no backed-off candidates.
UNFINISHED = 3
# A script the prompt barely uses is scaled down to this fraction of the dominant one.
SCRIPT_FLOOR = 0.03


def script_factors(scripts: Sequence[int], weights: Sequence[float]) -> tuple[float, float, float, float]:
    shares = [0.0, 0.0, 0.0, 0.0]
    for script, weight in zip(scripts, weights, strict=True):
        shares[script] += weight
    shares[NON_ASCII] += shares[UNFINISHED]
    dominant = max(shares[LATIN], shares[NON_ASCII])
    if dominant == 0.0:
        return (1.0, 1.0, 1.0, 1.0)
    other = max(shares[NON_ASCII] / dominant, SCRIPT_FLOOR)
    return (1.0, max(shares[LATIN] / dominant, SCRIPT_FLOOR), other, other)


def ends_inside_a_character(raw: bytes) -> bool:
    """Whether `raw` stops inside a multi-byte UTF-8 character."""
    for back in range(1, min(4, len(raw)) + 1):
        byte = raw[-back]
        if byte >= 0xC0:  # the last lead byte: does the token hold all of its character?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back < needed
        if byte < 0x80:
            return False
    return False


def encoding_script(encoding: tiktoken.Encoding) -> Callable[[int], int]:
    """Classify tokens by bytes: beyond ASCII → NON_ASCII (UNFINISHED if it stops mid-character), ASCII letters
    → LATIN, anything else → NEUTRAL."""

    special = frozenset(encoding.encode_single_token(name) for name in encoding.special_tokens_set)

    def script(token: int) -> int:
        if token in special:
            return NEUTRAL
        try:
            raw = encoding.decode_single_token_bytes(token)
        except KeyError:
            return NEUTRAL
        if max(raw, default=0) >= 0x80:
            return UNFINISHED if ends_inside_a_character(raw) else NON_ASCII
        return LATIN if any(65 <= byte <= 90 or 97 <= byte <= 122 for byte in raw) else NEUTRAL

    return script
