"""Deciding when a chat reply is a tool call, and writing its arguments.

`tool_choice` is honoured exactly: `"none"` never calls, a named function is always called, `"required"` calls the
best-matching tool not yet called since the last user message (any, once all were). Under `"auto"` (the default when
tools are given) the model calls the tool whose name and description share the most words with what it was asked:
the last user message counts fully, the system and developer messages half ("You're a dice game, you should roll the
die…" makes "My guess is 4" a call to `roll_die`).
A tool already called since the last user message is not called again, so after a tool result the model calls the
next tool its instructions point to ("Use the player's name" → `get_player_name`) or answers in text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockai.engine.retrieval import terms
from mockai.engine.structured import Material, instance_for_schema

__all__ = ["PlannedCall", "plan_tool_call"]

# How much each kind of message counts towards a tool's match, and the match an automatic call needs: one word
# of the user's, or two of the instructions'.
_WEIGHTS = {"user": 1.0, "system": 0.5, "developer": 0.5}
_CALL_THRESHOLD = 1.0


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
    (`{"name", "description", "parameters"}`); `choice` is `tool_choice` / `function_call` as sent. Raises
    `SchemaError` for parameters no arguments can be built for (the API checks them before)."""
    if not functions or choice == "none":
        return None
    forced = _forced_name(choice)
    if forced is not None:
        chosen = next((f for f in functions if f.get("name") == forced), None)
    elif choice == "required":
        # It must call something, but not what already answered since the user spoke (unless all did): with a
        # tool's result in hand a model moves on, e.g. to pydantic-ai's `final_result` output tool.
        candidates = _not_yet_called(functions, messages) or list(functions)
        chosen = _best_match(candidates, messages, threshold=0.0) or candidates[0]
    else:
        chosen = _best_match(_not_yet_called(functions, messages), messages, threshold=_CALL_THRESHOLD)
    if chosen is None:
        return None
    last_user: Mapping[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    arguments = instance_for_schema(
        chosen.get("parameters") or {"type": "object"}, rng, Material.from_texts(text_of(last_user))
    )
    return PlannedCall(str(chosen["name"]), json.dumps(arguments, ensure_ascii=False))


def _forced_name(choice: object) -> str | None:
    if isinstance(choice, Mapping):
        function = choice.get("function", choice)
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def _not_yet_called(
    functions: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The functions not called since the last user message (a tool result asks for the next step, not a repeat)."""
    called: set[str] = set()
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        for call in message.get("tool_calls") or []:
            if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                called.add(str(call["function"].get("name")))
        if isinstance(message.get("function_call"), Mapping):
            called.add(str(message["function_call"].get("name")))
    return [function for function in functions if function.get("name") not in called]


def _best_match(
    functions: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]], *, threshold: float
) -> Mapping[str, Any] | None:
    """The function whose name and description share the most weighted words with the messages, if it reaches
    `threshold`. Only the last user message and the instructions count; ties go to the first function."""
    last_user = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)
    weights: dict[str, float] = {}
    for index, message in enumerate(messages):
        role = str(message.get("role"))
        if role == "user" and index != last_user:
            continue
        for word in set(terms(text_of(message))):
            weights[word] = max(weights.get(word, 0.0), _WEIGHTS.get(role, 0.0))
    best, best_score = None, threshold
    for function in functions:
        described = f"{function.get('name', '')} {function.get('description', '')}".replace("_", " ")
        score = sum(weights.get(word, 0.0) for word in set(terms(described)))
        if score > best_score or (best is None and score >= best_score > 0.0):
            best, best_score = function, score
    return best


def text_of(message: Mapping[str, Any]) -> str:
    """The text of a message's content (a string, or the text parts of a list)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""
