"""The request journal: a bounded, in-memory record of every request served and how it was answered."""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from mockai import strict_json

DEFAULT_CAPACITY = 1000
# Bodies are kept up to 1 MiB each, so a count alone could hold gigabytes of image or embedding payloads.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Secrets never enter the journal: it is readable by anyone who can reach the admin API.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "api-key", "x-api-key"})


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Request headers minus credentials (anything naming an api key, auth or cookies).

    >>> redact_headers({"Authorization": "Bearer sk-x", "X-Trace": "1", "openai-api-key": "k"})
    {'x-trace': '1'}
    """
    return {
        name.lower(): value
        for name, value in headers.items()
        if name.lower() not in SECRET_HEADERS and "api-key" not in name.lower()
    }


# Body fields that hold credentials by name (not `token`, which logprobs use for text) and strings shaped like keys.
_SECRET_FIELD = re.compile(
    r"(?i)^(?:.*[_-])?(?:api[_-]?key|secret|client[_-]?secret|password|passwd|authorization|"
    r"(?:access|refresh|id|auth|session|bearer)[_-]?token)$"
)
_SECRET_TEXT = re.compile(r"\b(?:sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})")
REDACTED = "[redacted]"
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def redact_secrets(value: Any) -> Any:
    """A copy of a JSON value with credential fields and key-shaped strings masked, for showing to people.

    >>> redact_secrets({"api_key": "k", "messages": [{"content": "my key is sk-abcdefghijklmnopqrstuv, ok?"}]})
    {'api_key': '[redacted]', 'messages': [{'content': 'my key is [redacted], ok?'}]}
    >>> redact_secrets({"max_tokens": 5, "token": "Hello"})
    {'max_tokens': 5, 'token': 'Hello'}
    """
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_FIELD.match(str(key)) and item is not None else redact_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_secrets(item) for item in value]
    if isinstance(value, str):
        return _SECRET_TEXT.sub(REDACTED, value)
    return value


@dataclass
class ServeEvent:
    """One served request: what came in, what went out, and which rule (if any) answered."""

    id: int
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int = 0
    json: Any = None  # the JSON body, or the form fields (files as name, size and sha256)
    response: Any = None  # the JSON response body, or a stream summary {"stream": true, "chunks": n, ...}
    operation_id: str | None = None
    model: str | None = None
    # The model was not in the catalog: {"like": the catalog model it was served as, "reason": the rule that chose it}.
    model_inferred: dict[str, str] | None = None
    rule_id: str | None = None
    near_misses: list[dict[str, Any]] = field(default_factory=list)
    scenario: dict[str, Any] | None = None  # the scenario step the request reached: {id, step, of, key}
    scenario_misses: list[dict[str, Any]] = field(default_factory=list)  # scenarios whose next step it missed, and why
    faults: list[str] = field(default_factory=list)
    request_id: str | None = None
    cassette: dict[str, Any] | None = None  # how the cassette in use answered (replayed, recorded, missed)
    started_at: float = 0.0  # world time
    duration_ms: float = 0.0  # real time spent serving
    # A JSON response as sent, parsed into `response` when the event is first shown: most events never are.
    response_body: bytes | None = field(default=None, repr=False)
    # The request's headers as they arrived (ASGI pairs), decoded and redacted into `headers` when first shown.
    raw_headers: Sequence[tuple[bytes, bytes]] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        if self.response_body is not None:
            self.response, self.response_body = _json_or_none(self.response_body), None
        if self.raw_headers is not None:
            decoded = {name.decode("latin-1"): value.decode("latin-1") for name, value in self.raw_headers}
            self.headers, self.raw_headers = redact_headers(decoded), None
        shown = asdict(self)
        del shown["response_body"], shown["raw_headers"]
        return shown


def _json_or_none(body: bytes) -> Any:
    try:
        return strict_json.loads(body)
    except strict_json.RefusedJSON:
        return None


class Journal:
    """The last `capacity` serve events, oldest first.

    >>> journal = Journal(capacity=2)
    >>> for path in ("/a", "/b", "/c"):
    ...     _ = journal.record(journal.new_event("GET", path, "", {}))
    >>> [event.path for event in journal], journal.last.path if journal.last else None
    (['/b', '/c'], '/c')
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if capacity <= 0:
            raise ValueError(f"{capacity=} must be positive")
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._events: deque[tuple[ServeEvent, int]] = deque()
        self._bytes = 0
        self._ids = itertools.count(1)
        self.generation = 0  # counts clears: ids start again at 1 after one, so readers of `after=` can tell

    def new_event(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str] = _NO_HEADERS,
        *,
        raw_headers: Sequence[tuple[bytes, bytes]] | None = None,
    ) -> ServeEvent:
        """An event with the next id; `raw_headers` (a request's ASGI header pairs) are decoded only if it is shown."""
        return ServeEvent(next(self._ids), method, path, query, redact_headers(headers), raw_headers=raw_headers)

    def record(self, event: ServeEvent, *, size: int = 0) -> ServeEvent:
        """Keep `event` (whose bodies take about `size` bytes), dropping the oldest beyond either bound."""
        self._events.append((event, size))
        self._bytes += size
        while len(self._events) > self._capacity or (self._bytes > self._max_bytes and len(self._events) > 1):
            _, dropped = self._events.popleft()
            self._bytes -= dropped
        return event

    def __iter__(self) -> Iterator[ServeEvent]:
        return iter([event for event, _ in self._events])

    def __len__(self) -> int:
        return len(self._events)

    @property
    def last(self) -> ServeEvent | None:
        return self._events[-1][0] if self._events else None

    def filter(
        self,
        *,
        after: int | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        rule_id: str | None = None,
        operation_id: str | None = None,
        model: str | None = None,
        scenario: str | None = None,
    ) -> list[ServeEvent]:
        """The events that have every given value (`scenario`: a scenario's id, and an id above `after`), oldest
        first."""
        wanted = {
            "method": method.upper() if method else None,
            "path": path,
            "status": status,
            "rule_id": rule_id,
            "operation_id": operation_id,
            "model": model,
        }
        given = {name: value for name, value in wanted.items() if value is not None}
        return [
            event
            for event in self
            if (after is None or event.id > after)
            and all(getattr(event, n) == v for n, v in given.items())
            and (scenario is None or (event.scenario or {}).get("id") == scenario)
        ]

    def clear(self) -> None:
        """Forget every event; ids start again at 1."""
        self._events.clear()
        self._bytes = 0
        self._ids = itertools.count(1)
        self.generation += 1
