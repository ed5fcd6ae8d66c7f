"""Structured replies: JSON values that satisfy a JSON Schema, for tool-call arguments and `response_format`.

A client that declares a tool or a response schema needs arguments it can parse and validate. Values are drawn
deterministically from an explicit `random.Random`, and strings come from the conversation's own words (capitalised
words first: the `location` of "weather in Boston" is most likely "Boston"), so replies stay related to the prompt.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

_WORD = re.compile(r"[^\W\d_][\w'-]*", re.UNICODE)
_FORMATS = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "someone@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 6
#: String fields that read as prose get a few words rather than one.
_PROSE_FIELDS = re.compile(r"desc|text|query|message|content|summary|comment|note|reason|question|answer", re.I)


def salient_words(text: str) -> list[str]:
    """Words of `text` a value may be made of: capitalised ones (names, places) first, then the longest."""
    words = _WORD.findall(text)
    capitalised = [w for i, w in enumerate(words) if w[:1].isupper() and i > 0]
    rest = sorted({w for w in words if w not in capitalised}, key=lambda w: (-len(w), w))
    return list(dict.fromkeys(capitalised + rest)) or ["value"]


def instance_for_schema(schema: Mapping[str, Any], rng: random.Random, words: Sequence[str]) -> Any:
    """A JSON value valid against `schema` (the common keyword subset; local `$ref`s are followed).

    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    >>> instance_for_schema(schema, random.Random(0), ["Boston"])
    {'city': 'Boston'}
    """
    return _Builder(schema, rng, list(words) or ["value"]).value(schema, "", 0)


class _Builder:
    def __init__(self, root: Mapping[str, Any], rng: random.Random, words: list[str]) -> None:
        self._root, self._rng, self._words = root, rng, words
        self._strings = 0  # the k-th string value takes the k-th salient word

    def value(self, schema: Mapping[str, Any], name: str, depth: int) -> Any:
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self._rng.choice(list(schema["enum"]))
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self.value(schema[key][0], name, depth)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self.value(merged, name, depth)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return self._by_type(kind, schema, name, depth)

    def _by_type(self, kind: str, schema: Mapping[str, Any], name: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return self._number(kind, schema)
        if kind == "boolean":
            return self._rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        if depth >= _MAX_DEPTH:
            return {}
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", properties))  # strict schemas list every property
        return {
            key: self.value(sub, key, depth + 1)
            for key, sub in properties.items()
            if key in required or self._rng.random() < 0.5
        }

    def _array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 1))
        high = max(low, min(int(schema.get("maxItems", low + 2)), low + 2))
        items = schema.get("items", {"type": "string"})
        return [self.value(items, name, depth + 1) for _ in range(self._rng.randint(low, high))]

    def _number(self, kind: str, schema: Mapping[str, Any]) -> int | float:
        low = float(schema.get("minimum", schema.get("exclusiveMinimum", 0)))
        high = float(schema.get("maximum", schema.get("exclusiveMaximum", low + 100)))
        if kind == "integer":
            first = int(low) + (1 if "exclusiveMinimum" in schema else 0)
            last = int(high) - (1 if "exclusiveMaximum" in schema else 0)
            return self._rng.randint(first, max(first, last))
        return round(self._rng.uniform(low, high), 2)

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        if schema.get("format") in _FORMATS:
            return _FORMATS[str(schema["format"])]
        start = self._strings % len(self._words)
        self._strings += 1
        wordy = _PROSE_FIELDS.search(name) is not None
        text = " ".join(self._words[start : start + (4 if wordy else 1)])
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10_000))
        return (text + "x" * max(0, low - len(text)))[:high]

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in schema and str(schema["$ref"]).startswith("#") and seen < 32:
            target: Any = self._root
            for part in str(schema["$ref"]).lstrip("#/").split("/"):
                if part:
                    target = target[part.replace("~1", "/").replace("~0", "~")]
            schema, seen = target, seen + 1
        return schema
