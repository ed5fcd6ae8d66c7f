"""Scripted replies: `Rule` (pattern, reply, priority, times) and the `RuleBook` that picks the rule for a request.

Precedence follows WireMock: lowest `priority` first, then the newest rule. A rule with `times=N` stops matching
after N uses; a rule with several `replies` gives them in order, one per matching request. Requests no rule
matches fall through to the token model, and `near_misses()` says which rules came closest and why.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from mockai.control.matching import Pattern, RequestView

DEFAULT_PRIORITY = 5
ReplyKind = Literal["content", "json", "error"]


@dataclass(frozen=True)
class ContentReply:
    """Text (and/or tool calls) the endpoint turns into its normal response or normal stream chunks."""

    content: str | None
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    refusal: str | None = None  # the model declines, in these words (chat `refusal`, a Responses `refusal` part)


@dataclass(frozen=True)
class JsonReply:
    """A raw JSON body sent as is, with this status and these headers."""

    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorReply:
    """An OpenAI error envelope with this status and these headers (e.g. 429 with `retry-after`)."""

    status: int
    error: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


Reply = ContentReply | JsonReply | ErrorReply


def reply_from_json(raw: Mapping[str, Any]) -> Reply:
    """Build a reply from its `rule.json` form (`kind` chooses the type)."""
    kind = raw.get("kind", "content")
    if kind == "content":
        return ContentReply(raw.get("content"), raw.get("tool_calls"), raw.get("finish_reason"), raw.get("refusal"))
    if kind == "json":
        return JsonReply(raw.get("body"), int(raw.get("status", 200)), dict(raw.get("headers", {})))
    if kind == "error":
        return ErrorReply(int(raw["status"]), dict(raw.get("error", {})), dict(raw.get("headers", {})))
    raise ValueError(f"unknown reply kind {kind!r}; expected content, json or error")


def reply_to_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, ContentReply):
        document = {
            "kind": "content",
            "content": reply.content,
            "tool_calls": reply.tool_calls,
            "finish_reason": reply.finish_reason,
        }
        return document if reply.refusal is None else {**document, "refusal": reply.refusal}
    if isinstance(reply, JsonReply):
        return {"kind": "json", "status": reply.status, "body": reply.body, "headers": dict(reply.headers)}
    return {"kind": "error", "status": reply.status, "error": dict(reply.error), "headers": dict(reply.headers)}


def describe_reply(reply: Reply) -> str:
    if isinstance(reply, ContentReply):
        if reply.tool_calls:
            names = ", ".join(str(call.get("function", call).get("name")) for call in reply.tool_calls)
            return f"tool calls {names}"
        if reply.refusal is not None and reply.content is None:
            return f"refusal {reply.refusal!r}"
        return f"content {reply.content!r}"
    if isinstance(reply, JsonReply):
        return f"json (status {reply.status})"
    return f"error {reply.status}"


@dataclass
class Rule:
    """One scripted reply and the requests it answers; `call_count` counts the requests it answered."""

    id: str
    match: Pattern
    replies: tuple[Reply, ...]
    priority: int = DEFAULT_PRIORITY
    times: int | None = None  # None: unlimited (for a sequence: the number of replies)
    order: int = 0  # insertion order; newer rules win ties
    call_count: int = 0

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, rule_id: str, order: int) -> Rule:
        replies = raw["replies"] if "replies" in raw else [raw["reply"]]
        times = raw.get("times")
        if times is None and "replies" in raw:
            times = len(replies)
        return cls(
            id=str(raw.get("id") or rule_id),
            match=Pattern.from_json(raw.get("match")),
            replies=tuple(reply_from_json(item) for item in replies),
            priority=int(raw.get("priority", DEFAULT_PRIORITY)),
            times=None if times is None else int(times),
            order=order,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "priority": self.priority,
            "times": self.times,
            "match": self.match.to_json(),
        }
        if len(self.replies) == 1:
            out["reply"] = reply_to_json(self.replies[0])
        else:
            out["replies"] = [reply_to_json(reply) for reply in self.replies]
        out["call_count"] = self.call_count
        out["description"] = self.describe()
        return out

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.call_count >= self.times

    def next_reply(self) -> Reply:
        return self.replies[min(self.call_count, len(self.replies) - 1)]

    def describe(self) -> str:
        replies = ", then ".join(describe_reply(reply) for reply in self.replies)
        return f"{self.id}: {self.match.describe()} -> {replies}"


@dataclass(frozen=True)
class NearMiss:
    """A rule that did not match a request, and the conditions that failed."""

    rule_id: str
    mismatches: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "mismatches": list(self.mismatches)}


class RuleBook:
    """The rules of one server, in precedence order.

    >>> book = RuleBook()
    >>> rule = book.add({"match": {"path": "/v1/models"}, "reply": {"kind": "json", "body": {}}})
    >>> taken = book.take(RequestView("GET", "/v1/models", {}))
    >>> taken is not None and taken[0] is rule, rule.call_count
    (True, 1)
    """

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._order = itertools.count(1)

    def add(self, raw: Mapping[str, Any]) -> Rule:
        """Add a rule from its JSON form (already schema-valid); an existing id is replaced."""
        order = next(self._order)
        rule = Rule.from_json(raw, rule_id=f"rule-{order}", order=order)
        self._rules[rule.id] = rule
        return rule

    def get(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def remove(self, rule_id: str) -> bool:
        return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        """Remove every rule; ids start again at rule-1, so each test sees the same ids."""
        self._rules.clear()
        self._order = itertools.count(1)

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda rule: (rule.priority, -rule.order)))

    def __len__(self) -> int:
        return len(self._rules)

    def take(self, request: RequestView, *, accepts_content: bool = True) -> tuple[Rule, Reply] | None:
        """The rule that answers `request` and its reply, with the use counted; None when no live rule matches.

        Where the endpoint cannot speak text (`accepts_content=False`: embeddings, models, ...), content replies
        are passed over rather than silently ignored.
        """
        for rule in self._live(accepts_content):
            if rule.match.matches(request):
                reply = rule.next_reply()
                rule.call_count += 1
                return rule, reply
        return None

    def near_misses(self, request: RequestView, *, accepts_content: bool = True, limit: int = 3) -> list[NearMiss]:
        """The live rules that failed fewest conditions for `request` (WireMock's near misses)."""
        misses = [NearMiss(rule.id, tuple(rule.match.mismatches(request))) for rule in self._live(accepts_content)]
        misses = [miss for miss in misses if miss.mismatches]
        return sorted(misses, key=lambda miss: len(miss.mismatches))[:limit]

    def _live(self, accepts_content: bool) -> Iterator[Rule]:
        for rule in self:
            if not rule.exhausted and (accepts_content or not isinstance(rule.next_reply(), ContentReply)):
                yield rule

    def unused(self) -> list[Rule]:
        """Rules no request has used yet, in precedence order (the plugin's teardown check)."""
        return [rule for rule in self if rule.call_count == 0]


def load_rules(path: Path) -> list[dict[str, Any]]:
    """The rules of a `--rules` file: YAML or JSON (YAML reads both), a list or `{"rules": [...]}` (an object may
    hold only `scenarios`)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = document
    if isinstance(document, dict):
        rules = document.get("rules", [] if "scenarios" in document else None)
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise ValueError(f"{path}: expected a list of rules or an object with a 'rules' list")
    return rules


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    """The scenarios of a `--rules` file: the `scenarios` list of an object (`{"rules": [...], "scenarios": [...]}`)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenarios = document.get("scenarios", []) if isinstance(document, dict) else []
    if not isinstance(scenarios, list) or not all(isinstance(scenario, dict) for scenario in scenarios):
        raise ValueError(f"{path}: expected 'scenarios' to be a list of scenarios")
    return scenarios
