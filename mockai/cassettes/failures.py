"""How recording from an upstream fails: `UpstreamError`.

Apart from `upstream.py` so that the server can catch it without importing httpx, which only recording needs.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """The upstream could not be reached, or broke off (the message says how)."""
