"""The one strict JSON reader for everything a client sends: request bodies, control documents, JSONL lines.

Python's `json` module reads more than JSON: `NaN` and `Infinity`, lone UTF-16 surrogates (`"\\ud800"`, which no
UTF-8 encoder can write back, so they crash whatever renders them later), numbers that overflow to infinity, and
nesting deep enough to exhaust the interpreter's stack. A mock that accepts them answers 500 somewhere downstream.
orjson refuses the first three by construction (RFC 8259 plus valid Unicode only); this module adds a nesting cap
and one exception type, so every caller refuses the same documents with its own envelope.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import orjson

__all__ = ["MAX_DEPTH", "RefusedJSON", "loads", "nested_deeper_than"]

#: The deepest nesting accepted. A tool's JSON Schema nests two levels per object (the object and its
#: `properties`), and a request wraps it in five more, so 128 still holds a schema sixty objects deep; Structured
#: Outputs itself stops at ten. orjson's own limit (1024) would still let a body cost recursion in every consumer.
MAX_DEPTH = 128

# A JSON string as written, escapes included; on text orjson already accepted, quotes outside strings start strings.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKET_STEP)


class RefusedJSON(ValueError):
    """The text is not a JSON document this server accepts; the message says why, for logs and the dialogue."""


def loads(raw: bytes | str) -> Any:
    """The JSON value in `raw`, refusing what the real API's parser refuses and what would break the mock.

    Refusals raise `RefusedJSON`; callers answer with their envelope's wording for an unparsable body.

    >>> loads(b'{"n": 2, "stop": ["\\\\n"]}')
    {'n': 2, 'stop': ['\\n']}
    >>> loads(b'{"temperature": NaN}')
    Traceback (most recent call last):
    ...
    mockai.strict_json.RefusedJSON: not valid JSON: unexpected character, expected a JSON value: ...
    >>> loads(b"[" * 200 + b"]" * 200)
    Traceback (most recent call last):
    ...
    mockai.strict_json.RefusedJSON: nested deeper than 128 levels
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RefusedJSON(f"not valid JSON: {exc}") from None
    if nested_deeper_than(data, MAX_DEPTH):
        raise RefusedJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value


def nested_deeper_than(data: bytes, limit: int) -> bool:
    """Whether the arrays and objects of the valid JSON text `data` nest more than `limit` levels.

    Counting brackets clears nearly every body at C speed (fewer opening brackets than the limit, strings
    included, cannot nest deeper); only a body with more pays for removing its strings and summing what is left,
    still in C (translate, map, accumulate).

    >>> nested_deeper_than(b'[1, {"a": "[[[", "b": [[]]}]', 3), nested_deeper_than(b'[[], [], [], []]', 3)
    (True, False)
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > limit
