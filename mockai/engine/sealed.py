"""Opaque values that only this server can read back: reasoning `encrypted_content` and compaction items.

The real API hands out encrypted blobs a client must return untouched (with `store: false`, or after compacting a
conversation). mockai seals the JSON it needs to read them back with an HMAC keyed by the server's seed: a client
cannot read the value without decoding it on purpose, any change is detected, and a server with the same seed reads
another run's values (replayable tests).

>>> key = sealing_key(7)
>>> token = seal({"summary": ["Thinking."]}, key)
>>> unseal(token, key)
{'summary': ['Thinking.']}
>>> unseal(token[:-2] + "xx", key) is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from typing import Any

__all__ = ["seal", "sealing_key", "unseal"]

_TAG_BYTES = 16


def sealing_key(seed: int) -> bytes:
    return hashlib.blake2b(f"mockai-sealed:{seed}".encode(), digest_size=32).digest()


def seal(payload: Any, key: bytes) -> str:
    """`payload` (JSON-able) as an opaque, tamper-evident string: compressed JSON, then its MAC, base64url."""
    body = zlib.compress(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode(), 9)
    tag = hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]
    return "gAAAA" + base64.urlsafe_b64encode(tag + body).decode().rstrip("=")


def unseal(token: str, key: bytes) -> Any:
    """The payload `seal` sealed with `key`; None for anything else (changed, truncated, another server's)."""
    if not token.startswith("gAAAA"):
        return None
    raw = token[5:]
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return None
    tag, body = data[:_TAG_BYTES], data[_TAG_BYTES:]
    if not hmac.compare_digest(tag, hmac.new(key, body, hashlib.sha256).digest()[:_TAG_BYTES]):
        return None
    try:
        return json.loads(zlib.decompress(body))
    except (zlib.error, ValueError):
        return None
