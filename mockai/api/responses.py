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

    A string UTF-8 cannot carry (a lone surrogate) is written as its `\\uXXXX` escape rather than failing the
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
    return _json_spelling(data) if _FLOAT_SPELLED_APART.search(raw) else raw


#: Where orjson and `json` write a float differently: `json` switches to an exponent below 1e-4 and from 1e16 on
#: (`1e-05`, `1e+16`); orjson writes `0.00001`, `1e-7`, `1e16`. In orjson's compact output a number starts the text
#: or follows `:`, `,` or `[`, so this finds every such float (a string holding such text only takes the slow path).
#: NaN and infinities are the one other difference: orjson writes `null`, where `json` wrote tokens no JSON parser
#: reads, so no client could have read those bodies before.
_FLOAT_SPELLED_APART = re.compile(rb"(?:^|[:,\[])-?(?:0\.0000|\d+(?:\.\d+)?e)")


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
