"""Scenarios: scripted agent conversations that requests walk through step by step, one instance per key.

A scenario is a script (`schemas/mockai/scenario.json`) of lines that check a request or answer it, compiled into
steps, one per request (`control/script.py`). A request that passes the next step's checks advances the scenario and
gets that step's answer, a `ContentReply` like a rule's, so it is rendered (and streamed) exactly like generated text;
a final step that only checks lets rules or the model answer.

`key` keeps scenarios from crossing: it groups requests by a header, a body field (`user`) or the conversation
(Responses `conversation`, or the `previous_response_id` chain), and each group walks the script as its own instance.
Only requests that carry a conversation (chat completions, Responses) are offered to scenarios; scenarios are
consulted before rules, newest first, and `take()` matches and advances under one lock.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockai.control.matching import Pattern, RequestView, lookup
from mockai.control.rules import ContentReply, Reply
from mockai.control.script import Step, compile_script, completed_answer

#: How many response ids keep their conversation (for `previous_response_id` chains); the oldest are forgotten.
MAX_BOUND_RESPONSES = 10_000
_KEY = re.compile(r"^(user|conversation|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|json:.+)$")


class Progress(StrEnum):
    WAITING = "waiting"  # no request has reached the first step yet
    RUNNING = "running"  # some steps were reached; the next one waits for its request
    FINISHED = "finished"  # every step was reached; the instance takes no more requests


TRANSITIONS: dict[Progress, frozenset[Progress]] = {
    Progress.WAITING: frozenset({Progress.RUNNING, Progress.FINISHED}),
    Progress.RUNNING: frozenset({Progress.RUNNING, Progress.FINISHED}),
    Progress.FINISHED: frozenset(),
}


@dataclass(frozen=True)
class Position:
    """Where an instance is: its state, and the index of the step its next request must reach."""

    state: Progress = Progress.WAITING
    next_step: int = 0


def advance(position: Position, steps: int) -> Position:
    """The position once the next step has been reached (pure).

    >>> advance(Position(), 2), advance(Position(Progress.RUNNING, 1), 2).state
    (Position(state=<Progress.RUNNING: 'running'>, next_step=1), <Progress.FINISHED: 'finished'>)
    """
    reached = position.next_step + 1
    target = Progress.FINISHED if reached >= steps else Progress.RUNNING
    if target not in TRANSITIONS[position.state]:
        raise ValueError(f"a {position.state} scenario takes no more requests")
    return Position(target, reached)


@dataclass(frozen=True)
class Miss:
    """A request that did not reach a step, and the conditions it failed."""

    request: str
    mismatches: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"request": self.request, "mismatches": list(self.mismatches)}


@dataclass(frozen=True)
class Taken:
    """A request reached step `step` (1-based) of `of` in instance `key` of `scenario`; `reply` answers it."""

    scenario: str
    step: int
    of: int
    key: str | None
    reply: Reply | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.scenario, "step": self.step, "of": self.of, "key": self.key}


@dataclass(frozen=True)
class Unreached:
    """The step an instance stopped before (or a scenario never started), with the request that came closest."""

    scenario: str
    key: str | None
    instance: str | None  # the key as messages show it: "x-session 'a'", "user 'bob'", "chain resp_1"
    step: int
    of: int
    description: str
    closest: Miss | None

    def to_json(self) -> dict[str, Any]:
        closest = self.closest.to_json() if self.closest is not None else None
        head = {"scenario": self.scenario, "key": self.key, "instance": self.instance, "step": self.step}
        return {**head, "of": self.of, "description": self.description, "closest": closest}


@dataclass(frozen=True)
class InstanceKey:
    """How a scenario groups requests into instances: one for all (None), or by `user`, `header:NAME`, `json:PATH`
    (a body field) or `conversation` (Responses only: chat requests carry no conversation identity)."""

    text: str | None = None

    def __post_init__(self) -> None:
        if self.text is not None and not _KEY.match(self.text):
            raise ValueError(f"key {self.text!r}: expected user, conversation, header:NAME or json:PATH")

    def of(self, request: RequestView, conversation: str | None) -> tuple[str | None, str | None]:
        """The request's instance key, or None and the reason it has none."""
        if self.text is None:
            return "", None
        if self.text == "conversation":
            if conversation is not None:
                return conversation, None
            return None, "key conversation: chat requests carry none (key them by a header or the user)"
        kind, _, name = self.text.partition(":")
        if kind == "header":
            found = request.headers.get(name.lower())
        else:
            value = lookup(request.body, name if kind == "json" else "user")
            found = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
        return (found, None) if found else (None, f"key {self.text}: expected a value, got nothing")

    def describe(self, value: str | None) -> str | None:
        """An instance's key as messages show it (None for the single instance of an unkeyed scenario)."""
        if not value or self.text is None:
            return None
        if self.text == "conversation":
            return value
        return f"{self.text.partition(':')[2] or self.text} {value!r}"


@dataclass
class Instance:
    """One group of requests walking the script: where it is, and the request that came closest to its next step."""

    key: str
    position: Position = field(default_factory=Position)
    closest: Miss | None = None


@dataclass
class Scenario:
    """A compiled scenario and its instances (see the module docstring)."""

    id: str
    key: InstanceKey
    match: Pattern
    steps: tuple[Step, ...]
    document: dict[str, Any]
    instances: dict[str, Instance] = field(default_factory=dict)
    closest_start: Miss | None = None  # closest to step 1 among requests that started no instance

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, scenario_id: str) -> Scenario:
        script = raw.get("script") or []
        if not script:
            raise ValueError("a scenario needs a script of at least one line")
        document = {key: raw[key] for key in ("key", "match", "script") if raw.get(key) is not None}
        return cls(
            id=str(raw.get("id") or scenario_id),
            key=InstanceKey(raw.get("key")),
            match=Pattern.from_json(raw.get("match")),
            steps=compile_script(script),
            document=document,
        )

    def to_json(self) -> dict[str, Any]:
        instances = [
            {"key": _shown(instance.key), "state": instance.position.state.value, "next_step": _next(instance)}
            for instance in self.instances.values()
        ]
        return {
            "id": self.id,
            **self.document,
            "steps": [step.description for step in self.steps],
            "instances": instances,
            "unreached": [item.to_json() for item in self.unreached()],
        }

    def unreached(self) -> list[Unreached]:
        """Where each unfinished instance stopped; step 1 when no request ever started the scenario."""
        if not self.instances:
            return [self._unreached(None, 0, self.closest_start)]
        return [
            self._unreached(instance.key, instance.position.next_step, instance.closest)
            for instance in self.instances.values()
            if instance.position.state is not Progress.FINISHED
        ]

    def _unreached(self, key: str | None, index: int, closest: Miss | None) -> Unreached:
        step = self.steps[index]
        return Unreached(
            self.id, _shown(key), self.key.describe(key), index + 1, len(self.steps), step.description, closest
        )

    def candidate(
        self, request: RequestView, conversation: str | None, accepts_content: bool
    ) -> tuple[str | None, int, list[str]] | None:
        """The instance key, next step index and failed conditions for `request`; None when it is not a candidate
        (the instance finished, or the step answers with text where the endpoint speaks none)."""
        key, key_miss = self.key.of(request, conversation)
        instance = self.instances.get(key) if key is not None else None
        position = instance.position if instance is not None else Position()
        if position.state is Progress.FINISHED:
            return None
        step = self.steps[position.next_step]
        if isinstance(step.reply, ContentReply) and not accepts_content:
            return None
        found = [*self.match.mismatches(request), *([key_miss] if key_miss else []), *step.mismatches(request)]
        return key, position.next_step, found

    def offer(self, request: RequestView, conversation: str | None, accepts_content: bool) -> Taken | None:
        """Advance the request's instance if it reaches the next step; otherwise remember it if it came closest."""
        candidate = self.candidate(request, conversation, accepts_content)
        if candidate is None:
            return None
        key, index, mismatches = candidate
        instance = self.instances.get(key) if key is not None else None
        if mismatches:
            miss = Miss(request.describe(), tuple(mismatches))
            if instance is not None:
                instance.closest = _closer(instance.closest, miss)
            else:
                self.closest_start = _closer(self.closest_start, miss)
            return None
        assert key is not None  # a request without a key always fails the key's condition
        if instance is None:
            instance = self.instances[key] = Instance(key)
        instance.position = advance(instance.position, len(self.steps))
        instance.closest = None
        reply = completed_answer(self.steps[index].reply, request, seed=f"{self.id}/{key}/{index}")
        return Taken(self.id, index + 1, len(self.steps), _shown(key), reply)


@dataclass(frozen=True)
class ScenarioMiss:
    """For the journal: a scenario whose next step did not take a request, and why."""

    scenario: str
    step: int
    key: str | None
    mismatches: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "step": self.step, "key": self.key, "mismatches": list(self.mismatches)}


class ScenarioBook:
    """The scenarios of one server.

    >>> book = ScenarioBook()
    >>> _ = book.add({"id": "hi", "script": [{"user_says": "hello"}, {"reply": "Hi!"}]})
    >>> request = RequestView("POST", "/v1/chat/completions", {}, {"messages": [{"role": "user", "content": "hello"}]})
    >>> taken = book.take(request)
    >>> taken.reply.content, taken.step, book.take(request)
    ('Hi!', 1, None)
    """

    def __init__(self) -> None:
        self._scenarios: dict[str, Scenario] = {}
        self._order = itertools.count(1)
        self._fresh_chains = itertools.count(1)
        self._bound: OrderedDict[str, str] = OrderedDict()  # response id -> conversation key
        # Matching and advancing happen under this lock, so two requests can never both reach the same step. The
        # server runs on one event loop, where `take()` has no await; the lock keeps that true for threaded callers.
        self._lock = threading.Lock()

    def add(self, raw: Mapping[str, Any]) -> Scenario:
        """Add a scenario from its JSON form (already schema-valid); an existing id is replaced, progress and all."""
        scenario = Scenario.from_json(raw, scenario_id=f"scenario-{next(self._order)}")
        with self._lock:
            self._scenarios.pop(scenario.id, None)
            self._scenarios[scenario.id] = scenario
        return scenario

    def get(self, scenario_id: str) -> Scenario | None:
        return self._scenarios.get(scenario_id)

    def remove(self, scenario_id: str) -> bool:
        with self._lock:
            return self._scenarios.pop(scenario_id, None) is not None

    def clear(self) -> None:
        """Forget every scenario and conversation binding; ids start again at scenario-1."""
        with self._lock:
            self._scenarios.clear()
            self._bound.clear()
            self._order = itertools.count(1)
            self._fresh_chains = itertools.count(1)

    def __iter__(self) -> Iterator[Scenario]:
        """Oldest first (the order of listings and teardown messages)."""
        return iter(list(self._scenarios.values()))

    def __len__(self) -> int:
        return len(self._scenarios)

    def conversation_key(self, request: RequestView) -> str | None:
        """The conversation a Responses request belongs to: its `conversation`, else the conversation of the newest
        bound response of its `previous_response_id` chain, else the chain itself; a request that starts a chain
        starts a new conversation. None for chat requests, which carry no conversation identity."""
        transcript = request.transcript
        if transcript is None or transcript.wire != "responses":
            return None
        if transcript.conversation is not None:
            return f"conversation {transcript.conversation}"
        bound = next((self._bound[item] for item in reversed(transcript.chain) if item in self._bound), None)
        if bound is not None:
            return bound
        if transcript.chain:
            return f"chain {transcript.chain[0]}"
        return f"chain of {request.describe()}" if request.number is not None else f"chain {next(self._fresh_chains)}"

    def bind(self, response_id: str, conversation: str) -> None:
        """Remember that `response_id` belongs to `conversation`, so a request continuing it reaches that instance."""
        with self._lock:
            self._bound[response_id] = conversation
            self._bound.move_to_end(response_id)
            while len(self._bound) > MAX_BOUND_RESPONSES:
                self._bound.popitem(last=False)

    def take(
        self, request: RequestView, *, conversation: str | None = None, accepts_content: bool = True
    ) -> Taken | None:
        """The step `request` reaches, advanced and with its answer; None when no scenario's next step takes it."""
        if not self._scenarios or request.transcript is None:
            return None
        with self._lock:
            for scenario in reversed(list(self._scenarios.values())):
                taken = scenario.offer(request, conversation, accepts_content)
                if taken is not None:
                    return taken
        return None

    def near_misses(
        self, request: RequestView, *, conversation: str | None = None, accepts_content: bool = True, limit: int = 3
    ) -> list[ScenarioMiss]:
        """The scenarios whose next step came closest to taking `request` (for the journal)."""
        if request.transcript is None:
            return []
        with self._lock:
            candidates = [
                (scenario.id, scenario.candidate(request, conversation, accepts_content)) for scenario in self
            ]
        misses = []
        for scenario_id, candidate in candidates:
            if candidate is not None and candidate[2]:
                key, index, mismatches = candidate
                misses.append(ScenarioMiss(scenario_id, index + 1, _shown(key), tuple(mismatches)))
        return sorted(misses, key=lambda miss: len(miss.mismatches))[:limit]

    def unreached(self) -> list[Unreached]:
        """Every step an instance stopped before, and every scenario never started (the plugin's teardown check)."""
        return [item for scenario in self for item in scenario.unreached()]


def _closer(best: Miss | None, miss: Miss) -> Miss:
    """The closer of two misses: fewer failed conditions, and on a tie the later request."""
    return miss if best is None or len(miss.mismatches) <= len(best.mismatches) else best


def _shown(key: str | None) -> str | None:
    return key or None  # the single instance of an unkeyed scenario has no key to show


def _next(instance: Instance) -> int | None:
    """The 1-based number of the step the instance waits for; None once it finished."""
    return None if instance.position.state is Progress.FINISHED else instance.position.next_step + 1
