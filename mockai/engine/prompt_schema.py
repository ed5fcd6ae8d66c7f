"""The JSON Schema a conversation spells out, which a JSON-mode answer follows.

JSON mode (`response_format: {"type": "json_object"}`) only promises valid JSON; the real API's models take the shape
from the prompt, and OpenAI's guide tells callers to describe it there. Clients do: instructor's JSON modes append
their response model's JSON Schema to the system message, and answers that ignore it never parse. So the newest
system, developer or user message that embeds a JSON Schema of an object decides the answer's shape.

>>> schema_in_prompt([{"role": "system", "content": 'Reply as {"type": "object", "properties": {"n": {}}} please.'}])
{'type': 'object', 'properties': {'n': {}}}
>>> schema_in_prompt([{"role": "user", "content": 'Reply as JSON, like {"n": 1}.'}]) is None
True
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

__all__ = ["schema_in_prompt"]

_INSTRUCTING_ROLES = frozenset({"system", "developer", "user"})
_DECODER = json.JSONDecoder()
# JSON values tried per text, so a prompt full of braces costs a bounded number of (linear) decode attempts.
_MAX_CANDIDATES = 64


def schema_in_prompt(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The JSON Schema of an object embedded in the newest instructing message that has one, else None."""
    for message in reversed(messages):
        if message.get("role") in _INSTRUCTING_ROLES:
            for text in _texts(message.get("content")):
                found = _embedded_schema(text)
                if found is not None:
                    return found
    return None


def _texts(content: object) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                yield part["text"]


def _embedded_schema(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    for _ in range(_MAX_CANDIDATES):
        if start == -1:
            return None
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            start = text.find("{", start + 1)
            continue
        if _is_object_schema(value):
            return dict(value)
        start = text.find("{", end)
    return None


def _is_object_schema(value: object) -> bool:
    """A valid JSON Schema that describes an object by its properties (an instance of one has no `properties`)."""
    if not isinstance(value, dict) or not isinstance(value.get("properties"), dict):
        return False
    if value.get("type", "object") != "object":
        return False
    try:
        Draft202012Validator.check_schema(value)
    except SchemaError:
        return False
    return True
