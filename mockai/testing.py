"""The `MockAI` handle: script replies, inspect requests, inject faults and move the clock of a running mockai.

Usable with or without pytest. Every builder compiles to the JSON documents of `schemas/mockai/` and sends them to
the server's admin API (`/_mockai/...`), so Python tests, `mockai serve --rules` files and curl users all drive one
implementation. The vocabulary follows respx and `unittest.mock`:

    mockai.chat.reply("Sunny", when=mockai.match(last_user=r"weather"))
    mockai.chat.fail(429, headers={"retry-after": "1"}, times=2)
    assert mockai.requests.last.json["messages"][-1]["content"] == "What's the weather?"
    mockai.scenario("weather").user_says("weather").call("get_weather").expect_result(contains="sunny").reply("Sunny")
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

__all__ = [
    "AdminConnection",
    "CassetteControl",
    "FaultControl",
    "Leftovers",
    "Match",
    "MockAI",
    "MockAIError",
    "RecordedRequest",
    "RequestLog",
    "RouteRules",
    "RuleHandle",
    "RunningServer",
    "Scenario",
    "cassette_misses_message",
    "tool_call",
    "unreached_steps_message",
    "unused_rules_message",
]

OPERATORS = ("eq", "regex", "contains", "in", "exists")
OPT_OUT = "@pytest.mark.mockai(assert_all_rules_used=False)"
STEPS_OPT_OUT = "@pytest.mark.mockai(assert_all_steps_reached=False)"
#: Scenario keys: one instance per `user`, per conversation, per value of a header or of a body field.
_SCENARIO_KEY = re.compile(r"^(user|conversation|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|json:.+)$")
_CONVERSATION_LOOKUPS = ("last_role", "turns", "previous_response_id", "chain")


class Leftovers(NamedTuple):
    """What a reset found scripted and never used: the plugin's teardown check, in the reset's one round trip."""

    unused_rules: list[dict[str, Any]]  # as `MockAI.unused_rules()` gives them
    unreached_steps: list[dict[str, Any]]  # as `MockAI.unreached_steps()` gives them


class MockAIError(RuntimeError):
    """The admin API refused a request (the server's message is included)."""


@dataclass(frozen=True)
class RunningServer:
    """Where a mockai server listens: `base_url` (no `/v1`), `api_base` (with it) and the key clients send."""

    base_url: str
    api_key: str

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v1"


class Match:
    """A request pattern built from respx-style lookups; combine patterns with `&`.

    >>> Match(model="gpt-4", json__messages__0__role="system").document
    {'model': 'gpt-4', 'json': [{'path': 'messages__0__role', 'op': 'eq', 'value': 'system'}]}
    >>> Match(header__x_trace__regex="^t-").document
    {'headers': {'x-trace': {'op': 'regex', 'value': '^t-'}}}
    >>> Match(last_role="tool", called="get_weather", tool_result__get_weather__contains="sunny").document
    ... # doctest: +NORMALIZE_WHITESPACE
    {'last_role': 'tool', 'called': {'get_weather': True},
     'tool_result': [{'of': 'get_weather', 'op': 'contains', 'value': 'sunny'}]}
    """

    def __init__(self, **lookups: Any) -> None:
        self.document: dict[str, Any] = {}
        for lookup, value in lookups.items():
            self._add(lookup, value)

    def __and__(self, other: Match) -> Match:
        combined = Match()
        combined.document = _merge(self.document, other.document)
        return combined

    def __repr__(self) -> str:
        return f"Match({self.document!r})"

    def _add(self, lookup: str, value: Any) -> None:
        section, _, rest = lookup.partition("__")
        path, op = _split_operator(rest)
        if section in ("json", "form"):
            if not path:
                raise ValueError(f"{lookup!r} needs a field path, e.g. json__messages__-1__content")
            self.document.setdefault(section, []).append({"path": path, "op": op or "eq", "value": value})
        elif section == "header":
            if not path:
                raise ValueError(f"{lookup!r} needs a header name, e.g. header__x_trace_id")
            self.document.setdefault("headers", {})[path.replace("_", "-").lower()] = _condition(op or "eq", value)
        elif section in ("model", "path", "method", "last_user") and not path:
            # last_user is about prose, so a bare string is a regex search rather than equality.
            default = "regex" if section == "last_user" else "eq"
            self.document[section] = _condition(op or default, value.upper() if section == "method" else value)
        elif section in _CONVERSATION_LOOKUPS and not path:
            self.document[section] = _condition(op or "eq", value)
        elif section == "called" and op is None:
            names = (
                {path: bool(value)} if path else {name: True for name in ([value] if isinstance(value, str) else value)}
            )
            self.document.setdefault("called", {}).update(names)
        elif section == "tool_result":
            condition = {"of": path} if path else {}
            self.document.setdefault("tool_result", []).append({**condition, "op": op or "eq", "value": value})
        else:
            raise ValueError(
                f"unknown lookup {lookup!r}; use model, path, method, last_user, header__<name>, json__<path>, "
                f"form__<path>, last_role, turns, called[__<tool>], tool_result[__<tool or call id>], "
                f"previous_response_id or chain, optionally ending in __{'/__'.join(OPERATORS)}"
            )


def tool_call(name: str, arguments: Mapping[str, Any] | str, *, id: str | None = None) -> dict[str, Any]:
    """One function tool call for `reply(tool_calls=[...])`; its id is derived from its content (deterministic).

    >>> tool_call("get_weather", {"city": "Paris"})["function"]
    {'name': 'get_weather', 'arguments': '{"city": "Paris"}'}
    """
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call_id = id or "call_" + hashlib.sha256(f"{name}:{text}".encode()).hexdigest()[:24]
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


class RuleHandle:
    """A rule on the server; `called` and `call_count` read its use count there (as `unittest.mock` does)."""

    def __init__(self, mockai: MockAI, document: Mapping[str, Any]) -> None:
        self._mockai = mockai
        self.id: str = str(document["id"])
        self.document = dict(document)

    def __repr__(self) -> str:
        return f"<RuleHandle {self.id}>"

    @property
    def call_count(self) -> int:
        return int(self._mockai._admin("GET", f"/rules/{self.id}")["call_count"])

    @property
    def called(self) -> bool:
        return self.call_count > 0

    @property
    def calls(self) -> list[RecordedRequest]:
        """The journaled requests this rule answered, oldest first."""
        return self._mockai.requests.filter(rule_id=self.id)

    def delete(self) -> None:
        self._mockai._admin("DELETE", f"/rules/{self.id}")


class RouteRules:
    """Rule builders scoped to one endpoint family (`mockai.chat`, `mockai.embeddings`, ...)."""

    def __init__(self, mockai: MockAI, path_regex: str, *, speaks_text: bool) -> None:
        self._mockai = mockai
        self._path = {"op": "regex", "value": path_regex}
        self._speaks_text = speaks_text

    def reply(
        self,
        content: str | None = None,
        *,
        tool_calls: Sequence[Mapping[str, Any]] | None = None,
        finish_reason: str | None = None,
        refusal: str | None = None,
        when: Match | None = None,
        times: int | None = None,
        priority: int = 5,
    ) -> RuleHandle:
        """Answer with this text (or tool calls, or a refusal), built and streamed exactly like generated text."""
        reply = self._content(content, tool_calls, finish_reason, refusal)
        return self._add({"reply": reply}, when=when, times=times, priority=priority)

    def reply_sequence(
        self, replies: Sequence[str | Mapping[str, Any]], *, when: Match | None = None, priority: int = 5
    ) -> RuleHandle:
        """Answer the next requests with these replies in order (texts, or reply documents); one each."""
        if not replies:
            raise ValueError(f"{replies=} must not be empty")
        documents = [self._content(item, None, None) if isinstance(item, str) else dict(item) for item in replies]
        return self._add({"replies": documents}, when=when, times=None, priority=priority)

    def respond(
        self,
        body: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        when: Match | None = None,
        times: int | None = None,
        priority: int = 5,
    ) -> RuleHandle:
        """Answer with this raw JSON body (embeddings, moderations, anything)."""
        _check_status(status, low=100)
        reply = {"kind": "json", "status": status, "body": body, "headers": dict(headers or {})}
        return self._add({"reply": reply}, when=when, times=times, priority=priority)

    def fail(
        self,
        status: int,
        *,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        when: Match | None = None,
        times: int | None = None,
        priority: int = 5,
    ) -> RuleHandle:
        """Answer with an OpenAI error envelope; unset fields take the real API's wording for `status`."""
        reply = _error_reply(status, message=message, type=type, code=code, param=param, headers=headers)
        return self._add({"reply": reply}, when=when, times=times, priority=priority)

    def _content(
        self,
        content: str | None,
        tool_calls: Sequence[Mapping[str, Any]] | None,
        finish_reason: str | None,
        refusal: str | None = None,
    ) -> dict[str, Any]:
        if not self._speaks_text:
            raise ValueError("this endpoint does not answer with text: use .respond(body) or .fail(status)")
        if content is None and not tool_calls and refusal is None:
            raise ValueError("reply() needs content, tool_calls or a refusal")
        calls = [dict(call) for call in tool_calls] if tool_calls else None
        reason = finish_reason or ("tool_calls" if calls else "stop")
        document = {"kind": "content", "content": content, "tool_calls": calls, "finish_reason": reason}
        return document if refusal is None else {**document, "refusal": refusal}

    def _add(self, document: dict[str, Any], *, when: Match | None, times: int | None, priority: int) -> RuleHandle:
        if times is not None and times < 1:
            raise ValueError(f"{times=} must be at least 1 (or None for unlimited)")
        match = _merge({"path": self._path}, when.document if when is not None else {})
        return self._mockai.add_rule({"priority": priority, "times": times, "match": match, **document})


class Scenario:
    """A scripted agent conversation on the server, written line by line; each line updates it there at once.

    Lines either check the next request (`user_says`, `expect_result`, `when`) or answer it (`reply`, `call`,
    `also_call`, `fail`). Each answer closes a step with the checks written since the previous answer, and each step
    takes one request, so an agent is walked from question to final answer:

    >>> (mockai.scenario("weather")                                        # doctest: +SKIP
    ...     .user_says("weather in Paris")
    ...     .call("get_weather", {"city": "Paris"})
    ...     .expect_result(contains="sunny")
    ...     .call("get_time")                       # arguments generated from the tool's declared schema
    ...     .expect_result()
    ...     .reply("It is sunny in Paris this morning."))

    A scenario with checks after its last answer lets rules or the model answer the request that passes them. Build a
    scenario before the requests it answers: every line replaces it on the server, progress and all.
    """

    def __init__(self, mockai: MockAI, name: str, *, key: str | None, when: Match | None) -> None:
        self._mockai = mockai
        self.id = name
        self.document: dict[str, Any] = {"id": name, "script": []}
        if key is not None:
            self.document["key"] = key
        if when is not None:
            self.document["match"] = when.document

    def __repr__(self) -> str:
        return f"<Scenario {self.id} ({len(self.document['script'])} lines)>"

    def user_says(self, pattern: str) -> Scenario:
        """Check: the last user message matches `pattern` (a regex, searched)."""
        _check_regex(pattern)
        return self._line({"user_says": pattern})

    def expect_result(
        self,
        contains: str | None = None,
        *,
        regex: str | None = None,
        content: str | None = None,
        of: str | None = None,
    ) -> Scenario:
        """Check: a tool result came back (not yet answered) that `contains` a text, matches `regex` or is exactly
        `content`; `of` a tool name or call id, by default the tool the previous answer called."""
        given = {"contains": contains, "regex": regex, "content": content}
        chosen = {name: value for name, value in given.items() if value is not None}
        if len(chosen) > 1:
            raise ValueError(f"expect_result() takes one of contains, regex or content, got {sorted(chosen)}")
        if regex is not None:
            _check_regex(regex)
        return self._line({"expect": {**({"of": of} if of is not None else {}), **chosen}})

    def when(self, match: Match) -> Scenario:
        """Check: any request pattern (`mockai.match(...)`), e.g. `turns=1` or `header__x_agent="planner"`."""
        return self._line({"when": match.document})

    def call(self, name: str, arguments: Mapping[str, Any] | str | None = None, *, id: str | None = None) -> Scenario:
        """Answer: call tool `name`. Without `arguments`, they are generated to validate against the parameters
        schema the request declares for that tool; without `id`, one is derived from the scenario and step."""
        return self._line({"call": _call_document(name, arguments, id)})

    def also_call(
        self, name: str, arguments: Mapping[str, Any] | str | None = None, *, id: str | None = None
    ) -> Scenario:
        """Answer: add a call to the previous answer (parallel tool calls in one reply)."""
        script = self.document["script"]
        if not script or not ({"reply", "call"} & set(script[-1])):
            raise ValueError("also_call() adds to an answer: call() or reply() must come right before it")
        calls = script[-1].get("call", [])
        script[-1]["call"] = [*(calls if isinstance(calls, list) else [calls]), _call_document(name, arguments, id)]
        return self._send()

    def reply(self, content: str) -> Scenario:
        """Answer: this text, built and streamed exactly like generated text."""
        return self._line({"reply": content})

    def fail(
        self,
        status: int,
        *,
        message: str | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Scenario:
        """Answer: an OpenAI error envelope (a 429 the agent must retry, say); unset fields take the real wording."""
        reply = _error_reply(status, message=message, type=type, code=code, param=param, headers=headers)
        return self._line({"reply": reply})

    @property
    def status(self) -> dict[str, Any]:
        """The scenario as the server sees it: its steps, instances (state, next step) and unreached steps."""
        found: dict[str, Any] = self._mockai._admin("GET", f"/scenarios/{self.id}")
        return found

    @property
    def finished(self) -> bool:
        """Whether every instance reached the last step (and at least one started)."""
        return not self.status["unreached"]

    def delete(self) -> None:
        self._mockai._admin("DELETE", f"/scenarios/{self.id}")

    def _line(self, line: dict[str, Any]) -> Scenario:
        self.document["script"].append(line)
        return self._send()

    def _send(self) -> Scenario:
        self._mockai._admin("POST", "/scenarios", document=self.document)
        return self


@dataclass(frozen=True)
class RecordedRequest:
    """One journaled request (see `schemas/mockai/journal-entry.json`); `json` is its parsed body."""

    raw: Mapping[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.raw['method']} {self.raw['path']} -> {self.raw['status']}>"


class RequestLog:
    """The server's request journal: `last`, `filter(...)`, `len()`, iteration (oldest first)."""

    def __init__(self, mockai: MockAI) -> None:
        self._mockai = mockai

    def filter(self, **criteria: Any) -> list[RecordedRequest]:
        """Requests with every given value: path, method, status, model, rule_id, operation_id, scenario."""
        known = {"path", "method", "status", "model", "rule_id", "operation_id", "scenario"}
        unknown = set(criteria) - known
        if unknown:
            raise ValueError(f"unknown filter {sorted(unknown)}; expected some of {sorted(known)}")
        params = {key: str(value) for key, value in criteria.items() if value is not None}
        found = self._mockai._admin("GET", "/requests", params=params)
        return [RecordedRequest(entry) for entry in found["data"]]

    @property
    def last(self) -> RecordedRequest:
        everything = self.filter()
        if not everything:
            raise AssertionError("mockai recorded no requests")
        return everything[-1]

    @property
    def called(self) -> bool:
        return bool(self.filter())

    @property
    def call_count(self) -> int:
        return len(self.filter())

    def __len__(self) -> int:
        return self.call_count

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.filter())

    def clear(self) -> None:
        self._mockai._admin("DELETE", "/requests")


class ClockControl:
    """World time of the server (frozen under the pytest plugin): `advance(seconds)` and `now()`."""

    def __init__(self, mockai: MockAI) -> None:
        self._mockai = mockai

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"{seconds=} must be >= 0: world time never runs backwards")
        return float(self._mockai._admin("POST", "/clock/advance", document={"seconds": seconds})["now"])

    def now(self) -> float:
        return float(self._mockai._admin("GET", "/clock")["now"])


class TranscriptControl:
    """Transcripts scripted per audio file: `script(audio_bytes, "text")` answers that text for those exact bytes,
    on transcriptions and translations alike (a matching rule still wins)."""

    def __init__(self, mockai: MockAI) -> None:
        self._mockai = mockai

    def script(self, audio: bytes, text: str) -> str:
        """Register `text` for `audio`; returns the sha256 it is keyed by."""
        digest = hashlib.sha256(audio).hexdigest()
        self._mockai._admin("POST", "/transcripts", document={"sha256": digest, "text": text})
        return digest


class FaultControl:
    """Injected faults: error statuses, broken streams, latency and stream pacing."""

    def __init__(self, mockai: MockAI) -> None:
        self._mockai = mockai

    def status(
        self,
        status: int,
        *,
        times: int | None = None,
        rate: float | None = None,
        seed: int = 0,
        headers: Mapping[str, str] | None = None,
        when: Match | None = None,
    ) -> dict[str, Any]:
        """Answer matching requests with `status` (the real API's envelope) `times` times, or at `rate`."""
        _check_status(status, low=400)
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError(f"{rate=} must be between 0 and 1")
        return self._add("status", times, when, status=status, rate=rate, seed=seed, headers=dict(headers or {}))

    def drop_stream(self, after_chunks: int, *, times: int | None = None, when: Match | None = None) -> dict[str, Any]:
        """Close streamed responses after `after_chunks` chunks, with no `[DONE]`."""
        if after_chunks < 0:
            raise ValueError(f"{after_chunks=} must be >= 0")
        return self._add("drop_stream", times, when, after_chunks=after_chunks)

    def malformed_chunk(self, at: int, *, times: int | None = None, when: Match | None = None) -> dict[str, Any]:
        """Send stream chunk number `at` (1-based) as broken JSON."""
        if at < 1:
            raise ValueError(f"{at=} must be >= 1 (chunks count from 1)")
        return self._add("malformed_chunk", times, when, at=at)

    def latency(
        self, seconds: float, *, jitter: float = 0.0, seed: int = 0, times: int | None = None, when: Match | None = None
    ) -> dict[str, Any]:
        """Delay answers by `seconds` ± `jitter` (uniform, drawn from `random.Random(seed)`)."""
        if seconds < 0 or jitter < 0:
            raise ValueError(f"{seconds=} and {jitter=} must be >= 0")
        return self._add("latency", times, when, seconds=seconds, jitter=jitter, seed=seed)

    def pace(
        self,
        *,
        ttft: float = 0.0,
        tokens_per_second: float | None = None,
        times: int | None = None,
        when: Match | None = None,
    ) -> dict[str, Any]:
        """Stream pacing: wait `ttft` before the first chunk, then one chunk per 1/`tokens_per_second`."""
        if ttft < 0 or (tokens_per_second is not None and tokens_per_second <= 0):
            raise ValueError(f"{ttft=} must be >= 0 and {tokens_per_second=} positive")
        extra = {} if tokens_per_second is None else {"tokens_per_second": tokens_per_second}
        return self._add("pace", times, when, ttft=ttft, **extra)

    def clear(self) -> None:
        self._mockai._admin("DELETE", "/faults")

    def _add(self, kind: str, times: int | None, when: Match | None, **params: Any) -> dict[str, Any]:
        if times is not None and times < 1:
            raise ValueError(f"{times=} must be at least 1 (or None for unlimited)")
        document = {"kind": kind, "times": times, **{k: v for k, v in params.items() if v is not None}}
        if when is not None:
            document["match"] = when.document
        result: dict[str, Any] = self._mockai._admin("POST", "/faults", document=document)
        return result


RECORD_MODES = ("none", "new", "all")


class CassetteControl:
    """The cassette the server answers from: `use(name, record="none")`, `eject()`, `state()`, `misses()`.

    With a cassette in use, every OpenAI request that no rule answers is answered by a recording of the real API
    (`none`), recorded from the server's `--record-upstream` when missing (`new`), or recorded again (`all`).

    >>> mockai.cassettes.use("checkout/happy-path", record="new", ignore=["temperature"])   # doctest: +SKIP
    >>> [miss.path for miss in mockai.cassettes.misses()]                                    # doctest: +SKIP
    []
    """

    def __init__(self, mockai: MockAI) -> None:
        self._mockai = mockai

    def use(
        self,
        name: str,
        *,
        record: str = "none",
        ignore: Sequence[str] = (),
        redact: Sequence[str] = (),
        replay_speed: float | None = None,
    ) -> dict[str, Any]:
        """Answer from the cassette `name` (a path below the server's cassette folder, without `.json`)."""
        if record not in RECORD_MODES:
            raise ValueError(f"{record=} must be one of {', '.join(RECORD_MODES)}")
        if replay_speed is not None and replay_speed <= 0:
            raise ValueError(f"{replay_speed=} must be positive (None replays as fast as possible)")
        document: dict[str, Any] = {"name": name, "record": record, "ignore": list(ignore), "redact": list(redact)}
        document["replay_speed"] = replay_speed
        state: dict[str, Any] = self._mockai._admin("PUT", "/cassette", document=document)
        return state

    def eject(self) -> None:
        """Stop answering from cassettes (what was recorded is on disk already)."""
        self._mockai._admin("DELETE", "/cassette")

    def state(self) -> dict[str, Any]:
        """`{"active": False}`, or the cassette in use: name, record mode, path, interactions, played, ..."""
        state: dict[str, Any] = self._mockai._admin("GET", "/cassette")
        return state

    def misses(self) -> list[RecordedRequest]:
        """The journaled requests no recording answered (each carries the closest recording and its diff)."""
        return [
            entry for entry in self._mockai.requests if (entry.raw.get("cassette") or {}).get("outcome") == "missed"
        ]


class MockAI:
    """A handle on one running mockai server (the pytest fixture `mockai` builds it for you).

    >>> mockai = MockAI("http://127.0.0.1:8000", api_key="sk-test")   # doctest: +SKIP
    >>> mockai.chat.reply("Sunny", when=mockai.match(last_user="weather"))   # doctest: +SKIP

    Handles of one server may share one `AdminConnection` (`http=`), as the plugin's do; a handle closes only a
    connection it made.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "sk-mockai",
        admin_token: str | None = None,
        http: AdminConnection | None = None,
    ) -> None:
        self.server = RunningServer(base_url.rstrip("/"), api_key)
        self._admin_headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        self._owns_http = http is None
        self._http = http if http is not None else AdminConnection(self.server.base_url)
        self.chat = RouteRules(self, r"^/v1/(engines/[^/]+/)?chat/completions$", speaks_text=True)
        self.responses = RouteRules(self, r"^/v1/responses$", speaks_text=True)
        self.completions = RouteRules(self, r"^/v1/(engines/[^/]+/)?completions$", speaks_text=True)
        self.edits = RouteRules(self, r"^/v1/(engines/[^/]+/)?edits$", speaks_text=True)
        self.embeddings = RouteRules(self, r"^/v1/(engines/[^/]+/)?embeddings$", speaks_text=False)
        self.moderations = RouteRules(self, r"^/v1/moderations$", speaks_text=False)
        self.transcriptions = RouteRules(self, r"^/v1/audio/transcriptions$", speaks_text=True)
        self.translations = RouteRules(self, r"^/v1/audio/translations$", speaks_text=True)
        self.images = RouteRules(self, r"^/v1/images/", speaks_text=False)
        self.models = RouteRules(self, r"^/v1/(models|engines)", speaks_text=False)
        self.requests = RequestLog(self)
        self.clock = ClockControl(self)
        self.faults = FaultControl(self)
        self.transcripts = TranscriptControl(self)
        self.cassettes = CassetteControl(self)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_base(self) -> str:
        return self.server.api_base

    @property
    def api_key(self) -> str:
        return self.server.api_key

    @staticmethod
    def match(**lookups: Any) -> Match:
        """A request pattern: `match(model="gpt-4", json__messages__-1__content__regex="weather")`."""
        return Match(**lookups)

    tool_call = staticmethod(tool_call)

    def scenario(self, name: str, *, key: str | None = None, when: Match | None = None) -> Scenario:
        """A scripted agent conversation named `name` (see `Scenario`). `key` gives each group of requests its own
        walk through the script: "user", "header:<name>", "json:<path>" or "conversation" (Responses only);
        `when` limits the requests the scenario considers."""
        if not 1 <= len(name) <= 128:
            raise ValueError(f"{name=} must be 1 to 128 characters")
        if key is not None and not _SCENARIO_KEY.match(key):
            raise ValueError(f"{key=} must be 'user', 'conversation', 'header:<name>' or 'json:<path>'")
        return Scenario(self, name, key=key, when=when)

    def add_scenario(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Add a scenario from its JSON form (`schemas/mockai/scenario.json`); returns the server's view of it."""
        found: dict[str, Any] = self._admin("POST", "/scenarios", document=dict(document))
        return found

    @property
    def scenarios(self) -> list[dict[str, Any]]:
        """Every scenario as the server sees it (steps, instances, unreached steps)."""
        found: list[dict[str, Any]] = self._admin("GET", "/scenarios")["data"]
        return found

    def unreached_steps(self) -> list[dict[str, Any]]:
        """The steps scenarios stopped before, and scenarios never started (what the plugin checks at teardown)."""
        return [item for scenario in self.scenarios for item in scenario["unreached"]]

    def add_rule(self, document: Mapping[str, Any]) -> RuleHandle:
        """Add a rule from its JSON form (`schemas/mockai/rule.json`)."""
        return RuleHandle(self, self._admin("POST", "/rules", document=dict(document)))

    @property
    def rules(self) -> list[RuleHandle]:
        return [RuleHandle(self, raw) for raw in self._admin("GET", "/rules")["data"]]

    def unused_rules(self) -> list[dict[str, Any]]:
        """The rules no request has used yet (what the plugin checks at teardown)."""
        return [raw for raw in self._admin("GET", "/rules")["data"] if raw["call_count"] == 0]

    def reset(self) -> Leftovers:
        """Put the server back as it started: forget requests, faults, rate-limit windows and stored state, put the
        clock back, and keep only the rules and scenarios its `--rules` file loaded (none under the pytest plugin).

        Returns what was scripted and not used before the reset (what the plugin checks at teardown).
        """
        answer = self._admin("POST", "/reset")
        return Leftovers(answer["unused_rules"], answer["unreached_steps"])

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _admin(self, method: str, path: str, *, document: Any = None, params: Mapping[str, str] | None = None) -> Any:
        status, body = self._http.request(
            method, "/_mockai" + path, headers=self._admin_headers, document=document, params=params
        )
        if status >= 400:
            text = body.decode("utf-8", errors="replace")
            raise MockAIError(f"{method} /_mockai{path} failed with {status}: {text}")
        return json.loads(body)


class AdminConnection:
    """One kept-alive HTTP/1.1 connection to a mockai server, for JSON calls to its admin API (thread-safe).

    The pytest plugin makes three admin calls a test (its reset, the test's rule, the teardown's reset). Over httpx
    each cost ~0.4 ms of client CPU, more than the server spends answering a reset; the standard library's
    connection makes the same call in a fraction of that, loads no CA bundle, and is never rerouted by a developer's
    HTTP(S)_PROXY. A kept-alive connection the server has since closed is opened again, once, for the call that
    found it closed. Calls are serialised: a connection carries one call at a time.
    """

    def __init__(self, base_url: str, *, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self._connection = kind(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
        self._prefix = parts.path.rstrip("/")
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        document: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one request (`document` as its JSON body, `params` as the query string); its status and body."""
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        body = None if document is None else json.dumps(document).encode()
        sent = {**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})}
        with self._lock:
            try:
                return self._exchange(method, target, body, sent)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server had closed the kept-alive connection (idle, restarted) before reading this call.
                return self._exchange(method, target, body, sent)

    def _exchange(self, method: str, target: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            self._connection.request(method, target, body=body, headers=headers)
            response = self._connection.getresponse()
            return response.status, response.read()
        except BaseException:
            self._connection.close()  # whatever state a failure left it in, the next call opens a fresh one
            raise

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def unused_rules_message(unused: Sequence[Mapping[str, Any]]) -> str:
    """The teardown failure text for rules no request used (pytest_httpx style: what, which, how to opt out)."""
    count = len(unused)
    lines = [f"mockai: {count} rule{'s were' if count != 1 else ' was'} not used by any request:"]
    lines += [f"  - {rule.get('description', rule['id'])}" for rule in unused]
    lines.append(f"If a rule is optional, delete it when done or mark the test with {OPT_OUT}.")
    return "\n".join(lines)


def cassette_misses_message(misses: Sequence[RecordedRequest]) -> str:
    """The teardown failure text for requests the cassette had no recording for: each request, its closest
    recording and what differed (the message the client got), and how to record them."""
    count = len(misses)
    lines = [f"mockai: {count} request{'s' if count != 1 else ''} had no recording in the cassette:"]
    for miss in misses:
        message = str(miss.raw["cassette"].get("message", ""))
        detail = message.splitlines()[1:-1]  # the closest recording and its differences
        lines.append(f"  - {miss.raw['method']} {miss.raw['path']}")
        lines += [f"    {line}" for line in detail]
    lines.append(RECORD_HINT)
    return "\n".join(lines)


RECORD_HINT = (
    'Record what is missing with @pytest.mark.mockai(record="new") or pytest --mockai-record=new (with the real '
    "key in MOCKAI_RECORD_API_KEY or OPENAI_API_KEY), then commit the cassette."
)


def unreached_steps_message(unreached: Sequence[Mapping[str, Any]]) -> str:
    """The teardown failure text for scenario steps no request reached, each with the request that came closest."""
    count = len(unreached)
    lines = [f"mockai: {count} scenario step{'s were' if count != 1 else ' was'} never reached:"]
    for item in unreached:
        instance = f" ({item['instance']})" if item.get("instance") else ""
        where = f"scenario {item['scenario']!r}{instance}, step {item['step']} of {item['of']}"
        lines.append(f"  - {where}: {item['description']}")
        closest = item.get("closest")
        if closest is None:
            lines.append("    no request tried this step")
            continue
        lines.append(f"    closest request: {closest['request']}")
        lines += [f"      {mismatch}" for mismatch in closest["mismatches"]]
    lines.append(f"If a step is optional, end the scenario before it or mark the test with {STEPS_OPT_OUT}.")
    return "\n".join(lines)


def _call_document(name: str, arguments: Mapping[str, Any] | str | None, call_id: str | None) -> dict[str, Any]:
    if not name:
        raise ValueError(f"{name=} must name a tool")
    document: dict[str, Any] = {"name": name}
    if arguments is not None:
        document["arguments"] = arguments if isinstance(arguments, str) else dict(arguments)
    if call_id is not None:
        document["id"] = call_id
    return document


def _error_reply(
    status: int,
    *,
    message: str | None,
    type: str | None,
    code: str | None,
    param: str | None,
    headers: Mapping[str, str] | None,
) -> dict[str, Any]:
    _check_status(status, low=400)
    given = {"message": message, "type": type, "code": code, "param": param}
    error = {key: value for key, value in given.items() if value is not None}
    return {"kind": "error", "status": status, "error": error, "headers": dict(headers or {})}


def _check_regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regex {pattern!r}: {exc}") from None


def _split_operator(rest: str) -> tuple[str, str | None]:
    head, _, last = rest.rpartition("__")
    if last in OPERATORS:
        return head, last
    return rest, None


def _condition(op: str, value: Any) -> Any:
    return value if op == "eq" and not isinstance(value, Mapping) else {"op": op, "value": value}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key in ("json", "form", "tool_result"):
            merged[key] = [*merged.get(key, []), *value]
        elif key in ("headers", "called"):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


def _check_status(status: int, *, low: int) -> None:
    if not low <= status <= 599:
        raise ValueError(f"{status=} must be between {low} and 599")
