"""Deciding when a chat reply is a tool call, and writing its arguments.

`tool_choice` is honoured exactly: `"none"` never calls, a named function is always called, `"required"` calls the
best-matching tool not yet called since the user spoke. Under `"auto"` (the default when tools are given) a tool is
called when the last message is the user's and shares words with the tool's name or description; a tool result (role
`tool`/`function`) last means the model answers in text, as real models do after a call.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockai.engine.structured import instance_for_schema, salient_words

_TOKEN = re.compile(r"[a-z0-9]+|[\u4e00-\u9fff]")


@dataclass(frozen=True)
class PlannedCall:
    """A function the reply calls, with JSON arguments valid against its `parameters` schema."""

    name: str
    arguments: str


def plan_tool_call(
    functions: Sequence[Mapping[str, Any]],
    choice: object,
    messages: Sequence[Mapping[str, Any]],
    rng: random.Random,
) -> PlannedCall | None:
    """The call the reply makes, or None for a text reply. `functions` are function definitions
    (`{"name", "description", "parameters"}`); `choice` is `tool_choice` / `function_call` as sent."""
    if not functions or choice == "none":
        return None
    forced = _forced_name(choice)
    last = messages[-1] if messages else {}
    if forced is not None:
        chosen = next((f for f in functions if f.get("name") == forced), None)
    elif choice == "required":
        chosen = _required_call(functions, messages)
    elif last.get("role") == "user":
        chosen = _best_match(functions, last)
    else:
        chosen = None
    if chosen is None:
        return None
    words = salient_words(_text_of(last))
    arguments = instance_for_schema(chosen.get("parameters") or {"type": "object"}, rng, words)
    return PlannedCall(str(chosen["name"]), json.dumps(arguments, ensure_ascii=False))


def _forced_name(choice: object) -> str | None:
    if isinstance(choice, Mapping):
        function = choice.get("function", choice)
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def _required_call(functions: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """`required` must call something: the function the question is about, but not one already called since the
    question, unless all were. With a tool's result in hand a model moves on (to pydantic-ai's `final_result`
    output tool, say) rather than ask the same tool again until the client's request limit."""
    called = _called_since_last_user(messages)
    fresh = [function for function in functions if function.get("name") not in called] or list(functions)
    question: Mapping[str, Any] = next((message for message in reversed(messages) if message.get("role") == "user"), {})
    return _best_match(fresh, question) or fresh[0]


def _called_since_last_user(messages: Sequence[Mapping[str, Any]]) -> set[str]:
    called: set[str] = set()
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        calls = message.get("tool_calls") or []
        functions = [call.get("function") for call in calls if isinstance(call, Mapping)]
        functions.append(message.get("function_call"))
        called.update(str(function.get("name")) for function in functions if isinstance(function, Mapping))
    return called


def _best_match(functions: Sequence[Mapping[str, Any]], message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    asked = set(_TOKEN.findall(_text_of(message).lower()))
    best, best_score = None, 0
    for function in functions:
        described = f"{function.get('name', '')} {function.get('description', '')}".replace("_", " ").lower()
        score = len(asked & set(_TOKEN.findall(described)) - _STOPWORDS)
        if score > best_score:
            best, best_score = function, score
    return best


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""


_STOPWORDS = frozenset(
    {"a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "at", "for", "and", "or", "i", "you", "me"}
    | {"my", "it", "this", "that", "what", "how", "do", "does", "get", "with"}
)
