"""What JSON a conversation asks for in JSON mode (`response_format: {"type": "json_object"}`).

JSON mode promises valid JSON, and clients put the shape they want in the messages: instructor's JSON mode writes a
JSON Schema into the system message; LangChain's `json_mode` leaves it to the prompt ("respond in JSON with keys name,
age and city"). `requested_schema` finds either, latest message first, and returns a JSON Schema for it: the
embedded schema itself, or an object schema over the named keys whose value types follow the key names (`age` is an
integer, `tags` a list of strings, `is_open` a boolean, anything else a string).

>>> requested_schema([{"role": "user", "content": "Reply in JSON with the keys `name` and `age`."}])["properties"]
{'name': {'type': 'string'}, 'age': {'type': 'integer'}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["requested_schema"]

_MAX_SCAN = 200_000  # characters of a message searched for an embedded schema
_MAX_OBJECTS = 200  # "{" positions tried per message
_SCHEMA_WORDS = ("properties", "$defs", "definitions", "anyOf", "oneOf", "allOf", "items", "required")
_KEY_WORDS = r"(?:keys?|fields?|properties|attributes|字段|键)"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_QUOTED = re.compile(rf"[`'\"“‘]({_NAME})[`'\"”’]")
_LIST = rf"{_NAME}(?:\s*(?:,|、|，|\band\b|\bor\b|和|及|与)\s*(?:\band\b\s*)?{_NAME})+"
_AFTER = re.compile(rf"{_KEY_WORDS}\s*(?:named|called|:|：|are|is|of|如下)?\s*({_LIST})", re.I)
_BEFORE = re.compile(rf"({_LIST})\s*{_KEY_WORDS}", re.I)
_SENTENCES = re.compile(r"[^.!?。！？\n]+")
_NOT_KEYS = frozenset({"a", "an", "the", "and", "or", "json", "object", "with", "keys", "key", "fields", "field"})
_INTEGER_KEYS = re.compile(r"(^|_)(age|count|number|num|year|years|quantity|qty|total|rank|size|length|n)$", re.I)
_NUMBER_KEYS = re.compile(r"(^|_)(price|amount|score|rating|temperature|height|weight|cost|percent|ratio)$", re.I)
_BOOLEAN_KEYS = re.compile(r"^(is|has|can|should|was|were|did|does)_|^(valid|enabled|done|ok|success)$", re.I)
_LIST_KEYS = re.compile(r"(tags|items|keywords|steps|ingredients|names|list|options|points|ideas|examples)$", re.I)


def requested_schema(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The JSON Schema the messages ask the reply to follow, or None when they name no shape."""
    texts = [_text_of(message) for message in reversed(messages)]
    for text in texts:
        schema = _embedded_schema(text[:_MAX_SCAN])
        if schema is not None:
            return schema
    for text in texts:
        keys = _named_keys(text[:_MAX_SCAN])
        if keys:
            return {"type": "object", "properties": {key: _guessed(key) for key in keys}, "required": keys}
    return None


def _embedded_schema(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text` that looks like a JSON Schema (it has `properties`, `$defs`, ...)."""
    decoder = json.JSONDecoder()
    position, tries = text.find("{"), 0
    while position != -1 and tries < _MAX_OBJECTS:
        tries += 1
        try:
            found, end = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            position = text.find("{", position + 1)
            continue
        if isinstance(found, dict) and any(word in found for word in _SCHEMA_WORDS):
            return found
        position = text.find("{", end)
    return None


def _named_keys(text: str) -> list[str]:
    """Keys a sentence names around the word "keys" (or fields, properties, 字段): quoted ones, else a list."""
    for sentence in _SENTENCES.findall(text):
        if not re.search(_KEY_WORDS, sentence, re.I):
            continue
        quoted = [name for name in _QUOTED.findall(sentence) if name.lower() not in _NOT_KEYS]
        if quoted:
            return list(dict.fromkeys(quoted))
        listed = _AFTER.search(sentence) or _BEFORE.search(sentence)
        if listed:
            names = re.findall(_NAME, listed.group(1))
            keys = [name for name in names if name.lower() not in _NOT_KEYS]
            if len(keys) >= 2:
                return list(dict.fromkeys(keys))
    return []


def _guessed(key: str) -> dict[str, Any]:
    if _BOOLEAN_KEYS.search(key):
        return {"type": "boolean"}
    if _INTEGER_KEYS.search(key):
        return {"type": "integer"}
    if _NUMBER_KEYS.search(key):
        return {"type": "number"}
    if _LIST_KEYS.search(key):
        return {"type": "array", "items": {"type": "string"}}
    return {"type": "string"}


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""
