"""Which recorded interaction answers a request, and, when none does, the closest one and what differed.

A request is reduced to a key: its method, path, query (as sorted pairs) and body (JSON as a value with the ignored
fields removed; a form as its fields, files by name and content; other bodies as their text), each part only if the
interaction's `match.on` lists it. Identical requests replay in recorded order, each recording once.

>>> from mockai.cassettes.model import CassetteRequest, Interaction, CassetteResponse
>>> def chat(text, user="u1"):
...     return CassetteRequest("POST", "/v1/chat/completions", body={"json": {"messages": [text], "user": user}})
>>> tape = [Interaction(chat("hi"), CassetteResponse(200), "", "")]
>>> find(tape, chat("hi", user="u2"), played=set())
0
>>> find(tape, chat("hi"), played={0}) is None
True
>>> closest(tape, chat("ho"), played=set()).differences
('body.messages[0]: recorded "hi", sent "ho"',)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from mockai import errors
from mockai.cassettes.model import CassetteRequest, Interaction, MatchRule
from mockai.control.matching import split_path

_MAX_DIFFERENCES = 8
_ANY = "*"  # in an ignored path: every key or index at that level


def request_key(request: CassetteRequest, rule: MatchRule, extra_ignore: Iterable[str] = ()) -> dict[str, Any]:
    """The parts of `request` that `rule` matches on, normalised."""
    key: dict[str, Any] = {}
    if "method" in rule.on:
        key["method"] = request.method.upper()
    if "path" in rule.on:
        key["path"] = request.path
    if "query" in rule.on:
        key["query"] = sorted(parse_qsl(request.query, keep_blank_values=True))
    if "body" in rule.on:
        key["body"] = normalised_body(request.body, (*rule.ignore, *extra_ignore))
    return key


def normalised_body(body: dict[str, Any] | None, ignore: Sequence[str]) -> Any:
    if body is None:
        return None
    if "json" in body:
        value = body["json"]
        for path in ignore:
            value = _without(value, split_path(path))
        return value
    if "form" in body:
        fields: dict[str, list[Any]] = {}
        for part in body["form"]:
            if part["name"] not in ignore:
                content = part.get("text", part.get("base64"))
                value = {"filename": part["filename"], "content": content} if "filename" in part else content
                fields.setdefault(part["name"], []).append(value)
        return fields
    return body.get("text", body.get("base64"))


def find(
    interactions: Sequence[Interaction],
    request: CassetteRequest,
    *,
    played: Set[int],
    extra_ignore: Sequence[str] = (),
) -> int | None:
    """The index of the first recording not yet played that matches `request`, or None."""
    keys: dict[MatchRule, dict[str, Any]] = {}
    for index, interaction in enumerate(interactions):
        if index in played:
            continue
        rule = interaction.request.match
        if rule not in keys:
            keys[rule] = request_key(request, rule, extra_ignore)
        if request_key(interaction.request, rule, extra_ignore) == keys[rule]:
            return index
    return None


@dataclass(frozen=True)
class Closest:
    """The recording nearest to an unmatched request, and how it differs (nothing, when it was already played)."""

    index: int
    request: CassetteRequest
    differences: tuple[str, ...]
    played: bool

    def describe(self) -> str:
        return errors.cassette_closest(
            self.index, self.request.method, self.request.path, list(self.differences), played=self.played
        )

    def to_json(self) -> dict[str, Any]:
        return {"interaction": self.index, "differences": list(self.differences), "played": self.played}


def closest(
    interactions: Sequence[Interaction],
    request: CassetteRequest,
    *,
    played: Set[int],
    extra_ignore: Sequence[str] = (),
) -> Closest | None:
    """The recording that differs least from `request` (a different method or path weighs most)."""
    best: tuple[tuple[int, int, int], Closest] | None = None
    for index, interaction in enumerate(interactions):
        rule = interaction.request.match
        recorded = request_key(interaction.request, rule, extra_ignore)
        sent = request_key(request, rule, extra_ignore)
        found = differences(recorded, sent)
        heavy = sum(1 for part in ("method", "path") if recorded.get(part) != sent.get(part))
        rank = (heavy, len(found), index in played)
        if best is None or rank < best[0]:
            best = (rank, Closest(index, interaction.request, tuple(found), index in played))
    return best[1] if best is not None else None


def differences(recorded: dict[str, Any], sent: dict[str, Any]) -> list[str]:
    """One line per difference between two request keys, at most a screenful."""
    found: list[str] = []
    for part in ("method", "path", "query"):
        if recorded.get(part) != sent.get(part):
            found.append(errors.cassette_difference(part, _shown(recorded.get(part)), _shown(sent.get(part))))
    if "body" in recorded or "body" in sent:
        _diff(recorded.get("body"), sent.get("body"), "body", found)
    if len(found) > _MAX_DIFFERENCES:
        extra = len(found) - _MAX_DIFFERENCES
        found = [*found[:_MAX_DIFFERENCES], errors.cassette_more_differences(extra)]
    return found


_ABSENT = object()


def _diff(recorded: Any, sent: Any, where: str, found: list[str]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for name in [*recorded, *(name for name in sent if name not in recorded)]:
            _diff(recorded.get(name, _ABSENT), sent.get(name, _ABSENT), f"{where}.{name}", found)
    elif isinstance(recorded, list) and isinstance(sent, list) and len(recorded) == len(sent):
        for index, (old, new) in enumerate(zip(recorded, sent, strict=True)):
            _diff(old, new, f"{where}[{index}]", found)
    elif isinstance(recorded, list) and isinstance(sent, list):
        found.append(errors.cassette_difference(where, f"{len(recorded)} items", f"{len(sent)} items"))
        for index, (old, new) in enumerate(zip(recorded, sent, strict=False)):
            _diff(old, new, f"{where}[{index}]", found)
    elif recorded != sent:
        found.append(errors.cassette_difference(where, _shown(recorded), _shown(sent)))


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "nothing"
    text = errors.shown_json(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _without(value: Any, parts: list[str | int]) -> Any:
    """`value` without what lies at `parts` (a copy; `*` stands for every key or index at its level)."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(value, dict):
        names = list(value) if head == _ANY else [name for name in (str(head),) if name in value]
        if not rest:
            return {name: item for name, item in value.items() if name not in names}
        return {name: _without(item, rest) if name in names else item for name, item in value.items()}
    if isinstance(value, list):
        indexes = range(len(value)) if head == _ANY else [head % len(value)] if _in_range(head, value) else []
        if not rest:
            return [item for index, item in enumerate(value) if index not in indexes]
        return [_without(item, rest) if index in indexes else item for index, item in enumerate(value)]
    return value


def _in_range(head: str | int, value: list[Any]) -> bool:
    return isinstance(head, int) and -len(value) <= head < len(value)
