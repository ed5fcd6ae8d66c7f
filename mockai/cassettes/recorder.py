"""One interaction captured as it passes: the request as received, then the response head and its body chunks.

Nothing here waits for anything: the HTTP layer forwards each chunk to its client the moment it arrives and hands it
to `add()` too, so recording never holds a stream back. Stream events are timed when their blank line arrives.
Everything stored goes through the `Redactor` first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from mockai.cassettes.bodies import StoredBody, encode_body, media_type
from mockai.cassettes.events import EventSplitter, StoredEvent, event_from_block
from mockai.cassettes.model import CassetteRequest, CassetteResponse, Interaction, MatchRule
from mockai.cassettes.redaction import Redactor

# Per-connection headers, and the ones that describe an encoding the stored (decoded) body no longer has.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
)
_NOT_STORED_REQUEST = HOP_BY_HOP | {"host", "content-length"}
_NOT_STORED_RESPONSE = HOP_BY_HOP | {"content-length", "content-encoding"}


def capture_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    raw: bytes,
    redactor: Redactor,
    match: MatchRule,
) -> CassetteRequest:
    """A received request in its stored (redacted) form; replayed requests are captured alike before matching."""
    kept = {name: value for name, value in headers.items() if name.lower() not in _NOT_STORED_REQUEST}
    body = redact_body(encode_body(raw, _header(headers, "content-type")), redactor)
    return CassetteRequest(method.upper(), path, redactor.query(query), redactor.headers(kept), body, match)


def redact_body(body: StoredBody | None, redactor: Redactor) -> StoredBody | None:
    if body is None or not redactor.active:
        return body
    if "json" in body:
        return {**body, "json": redactor.value(body["json"])}
    if "text" in body:
        return {**body, "text": redactor.text(body["text"])}
    if "form" in body:
        return {"form": [redact_body(part, redactor) for part in body["form"]]}
    return body  # base64: bytes, not text


def redact_event(event: StoredEvent, redactor: Redactor) -> StoredEvent:
    if not redactor.active:
        return event
    redacted = {name: redactor.text(value) if isinstance(value, str) else value for name, value in event.items()}
    if "data" in event:
        redacted["data"] = redactor.value(event["data"])
    return redacted


class InteractionRecorder:
    """Builds the interaction of one forwarded request from what passes by.

    >>> from mockai.cassettes.redaction import Redactor
    >>> times = iter([0.0, 0.1, 0.15, 0.2])
    >>> recorder = InteractionRecorder(CassetteRequest("GET", "/v1/models"), Redactor(), clock=lambda: next(times),
    ...                                recorded_at="2026-01-01T00:00:00Z", recorded_with="mockai test")
    >>> recorder.begin(200, {"content-type": "text/event-stream"})
    >>> recorder.add(b'data: {"a":1}\\n\\nda')
    >>> recorder.add(b'ta: [DONE]\\n\\n')
    >>> response = recorder.finish().response
    >>> response.latency_ms, [event["at_ms"] for event in response.events]
    (100.0, [50.0, 100.0])
    """

    def __init__(
        self,
        request: CassetteRequest,
        redactor: Redactor,
        *,
        recorded_at: str,
        recorded_with: str,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._request = request
        self._redactor = redactor
        self._recorded_at = recorded_at
        self._recorded_with = recorded_with
        self._clock = clock
        self._started = clock()
        self._head_at = self._started
        self._status = 0
        self._headers: dict[str, str] = {}
        self._content_type: str | None = None
        self._body = bytearray()
        self._splitter: EventSplitter | None = None
        self._events: list[StoredEvent] = []

    def begin(self, status: int, headers: Mapping[str, str]) -> None:
        """The response head arrived."""
        self._head_at = self._clock()
        self._status = status
        kept = {name: value for name, value in headers.items() if name.lower() not in _NOT_STORED_RESPONSE}
        self._headers = self._redactor.headers(kept, response=True)
        self._content_type = _header(headers, "content-type")
        if media_type(self._content_type) == "text/event-stream":
            self._splitter = EventSplitter()

    def add(self, chunk: bytes) -> None:
        """Body bytes (decoded), as they arrived."""
        if self._splitter is None:
            self._body += chunk
            return
        blocks = self._splitter.feed(chunk)
        if blocks:
            at_ms = self._elapsed_ms()
            self._events += [event_from_block(block, at_ms=at_ms) for block in blocks]

    def finish(self) -> Interaction:
        """The whole interaction (call once the response has ended)."""
        if self._splitter is not None:
            rest = self._splitter.rest()
            if rest:
                self._events.append({"at_ms": self._elapsed_ms(), "raw": rest.decode("utf-8", errors="replace")})
            events = tuple(redact_event(event, self._redactor) for event in self._events)
            response = CassetteResponse(self._status, self._headers, None, events, self._latency_ms())
        else:
            body = redact_body(encode_body(bytes(self._body), self._content_type), self._redactor)
            response = CassetteResponse(self._status, self._headers, body, None, self._latency_ms())
        return Interaction(self._request, response, self._recorded_at, self._recorded_with)

    def _latency_ms(self) -> float:
        return round((self._head_at - self._started) * 1000, 1)

    def _elapsed_ms(self) -> float:
        return round((self._clock() - self._head_at) * 1000, 1)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
