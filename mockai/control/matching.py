"""Request patterns of the control plane: which requests a rule or fault applies to, as JSON and as checks.

A pattern is the `match` object of `schemas/mockai/rule.json`. Every field is optional and all given fields must
hold. A field is either a plain value (equality) or a condition `{"op": "eq|regex|contains|in|exists", "value": ...}`.
Body fields are addressed by paths in respx style (`messages__-1__content`) or JSON-path-ish style
(`messages[-1].content`); negative indexes count from the end.

Conversation-state fields (`last_role`, `turns`, `called`, `tool_result`, `previous_response_id`, `chain`) read the
request's `Transcript` (`control/transcript.py`), so they mean the same on chat messages and Responses input items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from mockai.control.transcript import ConversationHistory, Transcript, request_transcript

OPERATORS = ("eq", "regex", "contains", "in", "exists")
_MISSING = object()


@dataclass(frozen=True)
class RequestView:
    """What a pattern can look at: the request after its body was parsed and validated."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: Mapping[str, Any] | None = None  # JSON body, or form fields (files as their names)
    body_kind: str = "none"  # "json" | "multipart" | "none"
    model: str | None = None  # defaults to the body's `model`; path parameters (`/v1/models/{model}`) set it too
    history: ConversationHistory | None = None  # stored responses and conversations a Responses request continues
    number: int | None = None  # the request's journal id, so a near miss can name the request

    def __post_init__(self) -> None:
        model = (self.body or {}).get("model")
        if self.model is None and isinstance(model, str):
            object.__setattr__(self, "model", model)

    @property
    def last_user(self) -> str | None:
        """The text of the last `user` message of a chat request (None when there is none)."""
        messages = (self.body or {}).get("messages")
        if not isinstance(messages, list):
            # Responses requests: their input items (after the history they continue) read the same way.
            transcript = self.transcript
            return transcript.last_user_text if transcript is not None else None
        for message in reversed(messages):
            if isinstance(message, Mapping) and message.get("role") == "user":
                return _text_of(message.get("content"))
        return None

    @cached_property
    def transcript(self) -> Transcript | None:
        """The conversation the request carries (chat messages, or Responses input after its stored history); None
        for requests that carry none. Computed once, on first use: most patterns never look at it."""
        return request_transcript(self.path, self.body, self.history)

    def describe(self) -> str:
        """`#3 POST /v1/chat/completions`: how teardown messages name a request."""
        return f"{'' if self.number is None else f'#{self.number} '}{self.method} {self.path}"


@dataclass(frozen=True)
class Condition:
    """One test on one value: `op` applied with `value` (for `exists`, `value` says whether it must exist)."""

    op: str
    value: Any

    @classmethod
    def from_json(cls, raw: Any) -> Condition:
        if isinstance(raw, Mapping) and "op" in raw:
            if raw["op"] not in OPERATORS:
                raise ValueError(f"unknown operator {raw['op']!r}; expected one of {', '.join(OPERATORS)}")
            if raw["op"] == "regex":
                _compile(raw.get("value"))
            return cls(str(raw["op"]), raw.get("value", True))
        return cls("eq", raw)

    def to_json(self) -> Any:
        if self.op == "eq" and not isinstance(self.value, Mapping):
            return self.value
        return {"op": self.op, "value": self.value}

    def holds(self, actual: Any) -> bool:
        if self.op == "exists":
            return (actual is not _MISSING) == bool(self.value)
        if actual is _MISSING:
            return False
        if self.op == "eq":
            return bool(actual == self.value)
        if self.op == "regex":
            return isinstance(actual, str) and re.search(str(self.value), actual) is not None
        if self.op == "contains":
            return _contains(actual, self.value)
        return isinstance(self.value, list) and actual in self.value

    def describe(self) -> str:
        if self.op == "exists":
            return "exists" if self.value else "is absent"
        words = {"eq": "==", "regex": "matches", "contains": "contains", "in": "in"}[self.op]
        return f"{words} {self.value!r}"


class Check(Protocol):
    """What a pattern applies to one looked-up value: `Condition`, or a condition over several values."""

    def holds(self, actual: Any) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ToolResultCondition:
    """A condition on the tool results the model has not answered yet (`Transcript.unanswered_results`), only those
    `of` one tool (a tool name or a call id) when given. It holds when any of those results meets it; `exists` says
    whether there is such a result at all."""

    of: str | None
    condition: Condition

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ToolResultCondition:
        of = raw.get("of")
        return cls(None if of is None else str(of), Condition.from_json({"op": raw.get("op", "eq"), **_value(raw)}))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.of is None else {"of": self.of}
        return {**out, "op": self.condition.op, "value": self.condition.value}

    @property
    def label(self) -> str:
        return "tool result" if self.of is None else f"tool result of {self.of}"

    def texts(self, transcript: Transcript | None) -> Any:
        """The texts of the unanswered results this condition looks at, or the missing marker when there are none."""
        results = transcript.unanswered_results if transcript is not None else ()
        found = [turn.text for turn in results if self.of is None or self.of in (turn.tool, turn.call_id)]
        return found or _MISSING

    def holds(self, actual: Any) -> bool:
        if self.condition.op == "exists":
            return self.condition.holds(actual)
        return actual is not _MISSING and any(self.condition.holds(text) for text in actual)

    def describe(self) -> str:
        return self.condition.describe()


@dataclass(frozen=True)
class FieldCondition:
    """A condition on one field of the body, addressed by `path`."""

    path: str
    condition: Condition

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> FieldCondition:
        condition = Condition.from_json({"op": raw.get("op", "eq"), "value": raw.get("value", True)})
        return cls(str(raw["path"]), condition)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.condition.op, "value": self.condition.value}


@dataclass(frozen=True)
class Pattern:
    """All conditions a request must meet (an empty pattern matches every request).

    >>> pattern = Pattern.from_json({"model": "gpt-4", "json": [{"path": "n", "op": "in", "value": [1, 2]}]})
    >>> pattern.mismatches(RequestView("POST", "/v1/chat/completions", {}, {"model": "gpt-4", "n": 3}, "json"))
    ['body n: expected in [1, 2], got 3']
    """

    method: Condition | None = None
    path: Condition | None = None
    model: Condition | None = None
    last_user: Condition | None = None
    headers: Mapping[str, Condition] = field(default_factory=dict)
    body: tuple[FieldCondition, ...] = ()
    body_kind: str | None = None  # "json" or "multipart" when the pattern came from a `json` / `form` section
    # Conversation state (see `control/transcript.py`): the same on chat messages and Responses input items.
    last_role: Condition | None = None
    turns: Condition | None = None  # user, assistant and tool turns so far (instructions not counted)
    called: Mapping[str, Condition] = field(default_factory=dict)  # tool name -> whether it has been called
    tool_result: tuple[ToolResultCondition, ...] = ()
    previous_response_id: Condition | None = None
    chain: Condition | None = None  # the ids of the stored responses the request continues, oldest first

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Pattern:
        raw = raw or {}
        fields = [*raw.get("json", []), *raw.get("form", [])]
        kind = "json" if raw.get("json") else "multipart" if raw.get("form") else None
        return cls(
            method=_optional(raw, "method"),
            path=_optional(raw, "path"),
            model=_optional(raw, "model"),
            last_user=_optional(raw, "last_user"),
            headers={name.lower(): Condition.from_json(value) for name, value in raw.get("headers", {}).items()},
            body=tuple(FieldCondition.from_json(item) for item in fields),
            body_kind=kind,
            last_role=_optional(raw, "last_role"),
            turns=_optional(raw, "turns"),
            called={str(name): Condition("eq", bool(value)) for name, value in raw.get("called", {}).items()},
            tool_result=tuple(ToolResultCondition.from_json(item) for item in raw.get("tool_result", [])),
            previous_response_id=_optional(raw, "previous_response_id"),
            chain=_optional(raw, "chain"),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("method", "path", "model", "last_user"):
            condition: Condition | None = getattr(self, name)
            if condition is not None:
                out[name] = condition.to_json()
        if self.headers:
            out["headers"] = {name: condition.to_json() for name, condition in self.headers.items()}
        if self.body:
            out["form" if self.body_kind == "multipart" else "json"] = [item.to_json() for item in self.body]
        for name in ("last_role", "turns"):
            condition = getattr(self, name)
            if condition is not None:
                out[name] = condition.to_json()
        if self.called:
            out["called"] = {name: condition.value for name, condition in self.called.items()}
        if self.tool_result:
            out["tool_result"] = [item.to_json() for item in self.tool_result]
        for name in ("previous_response_id", "chain"):
            condition = getattr(self, name)
            if condition is not None:
                out[name] = condition.to_json()
        return out

    def matches(self, request: RequestView) -> bool:
        return all(condition.holds(actual) for _, condition, actual in self._checks(request))

    def mismatches(self, request: RequestView) -> list[str]:
        """Why `request` does not match, one line per failed condition (empty when it matches)."""
        found: list[str] = []
        for label, condition, actual in self._checks(request):
            if not condition.holds(actual):
                shown = "nothing" if actual is _MISSING else repr(actual)
                found.append(f"{label}: expected {condition.describe()}, got {shown}")
        return found

    def _checks(self, request: RequestView) -> Iterator[tuple[str, Check, Any]]:
        # A generator, so a request value is only looked up when a condition needs it and `matches` stops early.
        if self.method is not None:
            yield "method", self.method, request.method
        if self.path is not None:
            yield "path", self.path, request.path
        if self.model is not None:
            yield "model", self.model, _or_missing(request.model)
        if self.last_user is not None:
            yield "last user message", self.last_user, _or_missing(request.last_user)
        for name, condition in self.headers.items():
            yield f"header {name}", condition, request.headers.get(name, _MISSING)
        for item in self.body:
            yield f"body {item.path}", item.condition, lookup(request.body, item.path)
        yield from self._conversation_checks(request)

    def _conversation_checks(self, request: RequestView) -> Iterator[tuple[str, Check, Any]]:
        # Only patterns that ask about the conversation build the request's transcript.
        if self.last_role is not None:
            yield "last role", self.last_role, _or_missing(_transcript_value(request, "last_role"))
        if self.turns is not None:
            yield "turns", self.turns, _or_missing(_transcript_value(request, "dialogue_turns"))
        for name, condition in self.called.items():
            called = _transcript_value(request, "called_tools")
            yield f"tool {name} called", condition, _MISSING if called is None else name in called
        for item in self.tool_result:
            yield item.label, item, item.texts(request.transcript)
        if self.previous_response_id is not None:
            previous = lookup(request.body, "previous_response_id")
            yield "previous_response_id", self.previous_response_id, _MISSING if previous is None else previous
        if self.chain is not None:
            chain = _transcript_value(request, "chain")
            yield "response chain", self.chain, list(chain) if chain else _MISSING

    def describe(self) -> str:
        """A one-line reading of the pattern, for teardown messages and near misses."""
        parts = [f"{name} {condition.describe()}" for name, condition in self._named_conditions()]
        return " and ".join(parts) if parts else "any request"

    def _named_conditions(self) -> list[tuple[str, Condition]]:
        named: list[tuple[str, Condition | None]] = [
            ("method", self.method),
            ("path", self.path),
            ("model", self.model),
            ("last user message", self.last_user),
        ]
        named += [(f"header {name}", condition) for name, condition in self.headers.items()]
        named += [(f"body {item.path}", item.condition) for item in self.body]
        named += [("last role", self.last_role), ("turns", self.turns)]
        named += [(f"tool {name} called", condition) for name, condition in self.called.items()]
        named += [(item.label, item.condition) for item in self.tool_result]
        named += [("previous_response_id", self.previous_response_id), ("response chain", self.chain)]
        return [(name, condition) for name, condition in named if condition is not None]


def split_path(path: str) -> list[str | int]:
    """`messages__-1__content`, `messages[-1].content` and `messages.-1.content` → `["messages", -1, "content"]`."""
    text = path.replace("[", ".").replace("]", "")
    parts = text.split("__") if "__" in path else text.split(".")
    return [int(part) if re.fullmatch(r"-?\d+", part) else part for part in parts if part != ""]


def lookup(document: Any, path: str) -> Any:
    """The value at `path` inside `document`, or a private sentinel when there is none."""
    current = document
    for part in split_path(path):
        if isinstance(part, int) and isinstance(current, Sequence) and not isinstance(current, str):
            if not -len(current) <= part < len(current):
                return _MISSING
            current = current[part]
        elif isinstance(current, Mapping) and str(part) in current:
            current = current[str(part)]
        else:
            return _MISSING
    return current


def _compile(pattern: Any) -> None:
    try:
        re.compile(str(pattern))
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from None


def _optional(raw: Mapping[str, Any], name: str) -> Condition | None:
    return Condition.from_json(raw[name]) if name in raw else None


def _or_missing(value: Any) -> Any:
    return _MISSING if value is None else value


def _value(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"value": raw["value"]} if "value" in raw else {}


def _transcript_value(request: RequestView, name: str) -> Any:
    transcript = request.transcript
    return None if transcript is None else getattr(transcript, name)


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, str):
        return isinstance(wanted, str) and wanted in actual
    if isinstance(actual, Mapping) and isinstance(wanted, Mapping):
        return all(key in actual and actual[key] == value for key, value in wanted.items())
    if isinstance(actual, list):
        return wanted in actual
    return False


def _text_of(content: Any) -> str | None:
    # Chat content is a string or a list of parts; matching looks at the text parts joined.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return None
