"""Response builders shared by every endpoint: JSON bodies, list envelopes, and the one error renderer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from mockai.errors import OpenAIError


def dump_json(data: object) -> bytes:
    """Compact, UTF-8, key order as built: the same object always gives the same bytes.

    orjson writes the bytes `json.dumps(data, ensure_ascii=False, separators=(",", ":"))` would, at a fraction of the
    cost, except in a few cases that go the `json` way instead (`_json_spelling`), so the bytes never depend on which
    serialiser ran.

    A string UTF-8 cannot carry (a lone surrogate) is written as its `\\ud800`-style escape rather than failing the
    response: the strict reader keeps them out of requests, and this keeps any other source from costing a 500.

    >>> dump_json({"a": "\\ud800é"})
    b'{"a":"\\\\ud800\\\\u00e9"}'
    >>> dump_json({"logprob": -1.5e-05, "tokens": 3})
    b'{"logprob":-1.5e-05,"tokens":3}'
    """
    try:
        raw = orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, an integer past 64 bits, a key that is no string
        return _json_spelling(data)
    return _json_spelling(data) if _float_spelled_apart(raw) else raw


def _float_spelled_apart(raw: bytes) -> bool:
    """Whether orjson's `raw` may hold a float that `json` writes differently.

    From 1e-5 to 1e-4 `json` writes an exponent where orjson does not (`1e-05`, `0.00001`), and from 1e-9 to 1e-6
    orjson writes a one-digit exponent where `json` pads it to two (`1e-7`, `1e-07`); every other float is spelled
    alike. Both are found by searches that start at a literal, which are fast (a regex starting at a character class,
    or an alternation, costs more than `json.dumps` saves), and the regex runs only where `e-` occurs at all (a
    substring test scans faster than it); a string holding such text only takes the slow path.

    NaN and infinities are the one other difference: orjson writes `null`, where `json` wrote tokens no JSON parser
    reads, so no client could have read those bodies before.
    """
    return b"0.0000" in raw or (b"e-" in raw and _SHORT_NEGATIVE_EXPONENT.search(raw) is not None)


_SHORT_NEGATIVE_EXPONENT = re.compile(rb"e-\d(?!\d)")


def _json_spelling(data: object) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":")).encode("ascii")


def json_response(
    data: object,
    *,
    status: int = 200,
    model: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON response; `model` sets the `openai-model` header the real API adds where a model answered."""
    all_headers = dict(headers or {})
    if model is not None:
        all_headers["openai-model"] = model
    return Response(dump_json(data), status, all_headers, media_type="application/json")


def list_response(items: Iterable[Mapping[str, Any]], **extra: object) -> Response:
    """The `{"object": "list", "data": [...]}` envelope of the list endpoints."""
    return json_response({"object": "list", "data": list(items), **extra})


def error_response(error: OpenAIError) -> Response:
    """The one place an `OpenAIError` becomes an HTTP response (SSE error frames live in `sse.py`)."""
    return json_response(error.envelope(), status=error.status, headers=error.headers)
