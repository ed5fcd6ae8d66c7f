"""Response builders shared by every endpoint: JSON bodies, list envelopes, and the one error renderer."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import Response

from mockai.errors import OpenAIError


def dump_json(data: object) -> bytes:
    """Compact, UTF-8, key order as built: the same object always gives the same bytes.

    A string UTF-8 cannot carry (a lone surrogate) is written as its `\\uXXXX` escape rather than failing the
    response: the strict reader keeps them out of requests, and this keeps any other source from costing a 500.

    >>> dump_json({"a": "\\ud800é"})
    b'{"a":"\\\\ud800\\\\u00e9"}'
    """
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
