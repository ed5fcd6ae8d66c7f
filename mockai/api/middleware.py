"""Pure ASGI middleware: the request id, the headers the real API puts on every response, the request journal."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockai import strict_json
from mockai.api.auth import organization_in
from mockai.api.scripting import journal_notes
from mockai.api.services import SERVICES_KEY, Services
from mockai.control.journal import ServeEvent

OPENAI_VERSION = "2020-10-01"
#: Set on every response by `RequestMiddleware` (a replayed recording's own copies are not sent).
STAMPED_HEADERS = frozenset({"x-request-id", "openai-processing-ms", "openai-version", "openai-organization"})
_VERSION_HEADER = (b"openai-version", OPENAI_VERSION.encode())


class RequestMiddleware:
    """Give each request an id, stamp `x-request-id`, `openai-processing-ms`, `openai-version` and
    `openai-organization` on its response, put the app's services in its scope (`SERVICES_KEY`), journal every
    request outside the admin API (`_JournalEntry`), and count them all (`Traffic`).

    One layer with one `send` wrapper, because every message of every response passes through it (each frame of a
    stream). Request ids are derived from the server seed and a counter, so a run is reproducible end to end.
    """

    def __init__(self, app: ASGIApp, *, services: Services) -> None:
        self.app = app
        self._services = services
        self._traffic = services.traffic
        self._seed = services.settings.seed
        self._counter = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traffic = self._traffic
        traffic.arrived += 1
        traffic.in_flight += 1
        try:
            await self._serve(scope, receive, send)
        finally:
            traffic.in_flight -= 1

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SERVICES_KEY] = self._services  # what `services(request)` reads, a dict lookup on every call
        request_id = self._next_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["organization"] = organization = organization_in(scope)  # what `auth.organization()` reads
        stamps = _Stamps(request_id, organization, state)
        if scope["path"].startswith("/_mockai"):

            async def send_stamped(message: Message) -> None:
                await send(stamps.on(message) if message["type"] == "http.response.start" else message)

            await self.app(scope, receive, send_stamped)
            return
        entry = _JournalEntry(self._services, scope)

        async def send_journaled(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.started(message)
                message = stamps.on(message)
            elif message["type"] == "http.response.body":
                entry.response.add(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves: a client that has read the whole response (a test that
                    # checks `requests.last` right after a stream's [DONE]) always finds it in the journal.
                    entry.record()
            await send(message)

        async def receive_kept() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                entry.request.add(message.get("body", b""))
            return message

        try:
            await self.app(scope, receive_kept, send_journaled)
        finally:
            entry.record()  # responses that never finish (a dropped stream, a crash) are journaled all the same

    def _next_request_id(self) -> str:
        digest = hashlib.blake2b(f"{self._seed}:{next(self._counter)}".encode(), digest_size=16)
        return "req_" + digest.hexdigest()


class _Stamps:
    """The headers stamped on one request's response, in the order the real API sends them."""

    def __init__(self, request_id: str, organization: str, state: dict[str, Any]) -> None:
        self._request_id = (b"x-request-id", request_id.encode())
        self._organization = (b"openai-organization", organization.encode())
        self._state = state
        self._started = time.perf_counter()

    def on(self, start: Message) -> Message:
        """The `http.response.start` message with the stamps added."""
        elapsed_ms = int((time.perf_counter() - self._started) * 1000)
        headers: list[Any] = list(start.get("headers", ()))
        headers += (
            self._request_id,
            (b"openai-processing-ms", str(elapsed_ms).encode()),
            _VERSION_HEADER,
            self._organization,
        )
        # Set during the request by the control plane (rate-limit headers land on errors too).
        extra: dict[str, str] | None = self._state.get("response_headers")
        if extra:
            headers += [(name.encode(), value.encode()) for name, value in extra.items()]
        return {**start, "headers": headers}


class _JournalEntry:
    """One request's `ServeEvent` as it is served: opened when the request arrives, recorded once as it ends."""

    def __init__(self, services: Services, scope: Scope) -> None:
        self._services = services
        self._scope = scope
        self.event = services.journal.new_event(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            raw_headers=scope.get("headers", []),
        )
        self.event.started_at = services.clock.now()
        journal_notes(scope)["id"] = self.event.id  # so the control plane can name this request in near misses
        self.request = _Capture()
        self.response = _Capture()
        self._started = time.perf_counter()
        self._recorded = False

    def started(self, message: Message) -> None:
        self.event.status = message["status"]
        for name, value in message.get("headers", ()):
            if name == b"content-type":
                self.response.content_type = value.decode()  # the last one, as a dict of the headers would say

    def record(self) -> None:
        if self._recorded:
            return
        self._recorded = True
        event = self.event
        event.duration_ms = round((time.perf_counter() - self._started) * 1000, 3)
        _finish(event, self._scope, self.request, self.response)
        self._services.journal.record(event, size=self.request.kept + self.response.kept)


_CAPTURE_LIMIT = 1 << 20  # bodies beyond 1 MiB are journaled as a size, not parsed


class _Capture:
    """A body as it passes: the first 1 MiB kept for the journal, and SSE frames counted all the way."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []  # what is kept: the parts that began within the first 1 MiB
        self.kept = 0
        self.size = 0
        self.content_type = ""
        self.frames = 0
        self.last_frame = b""

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.kept < _CAPTURE_LIMIT:
            self.parts.append(chunk)  # a reference, not a copy: the journal joins them when it records
            self.kept += len(chunk)
        # The SSE writer sends one frame per body message, so counting messages counts frames at any length.
        if chunk.startswith(b"data: "):
            self.frames += chunk.count(b"\n\ndata: ") + 1
            self.last_frame = chunk

    def whole(self) -> bytes | None:
        """The body, if there was one and all of it was kept."""
        return b"".join(self.parts) if self.kept and self.size <= _CAPTURE_LIMIT else None

    def decoded(self) -> Any:
        """The body as JSON when it is (strictly) JSON and was kept whole; else `None`."""
        whole = self.whole()
        if whole is None:
            return None
        try:
            return strict_json.loads(whole)
        except strict_json.RefusedJSON:
            return None

    def recorded(self) -> Any:
        """A request body for the journal: its JSON, or what arrived, as text (a client's mistakes are evidence).

        Anything a request can carry must be storable and renderable: bytes that are not UTF-8 become U+FFFD, and
        only the first 1 MiB is kept.
        """
        found = self.decoded()
        if found is not None or not self.size:
            return found
        text = b"".join(self.parts)[:_CAPTURE_LIMIT].decode("utf-8", "replace")
        return {"size": self.size, "text": text, "truncated": self.size > _CAPTURE_LIMIT}

    def stream_summary(self) -> dict[str, Any]:
        done = self.last_frame.endswith(b"data: [DONE]\n\n")
        return {"stream": True, "chunks": self.frames - done, "done": done, "bytes": self.size}


def _finish(event: ServeEvent, scope: Scope, request_body: _Capture, response: _Capture) -> None:
    notes = journal_notes(scope)
    event.request_id = scope.get("state", {}).get("request_id")
    event.operation_id = notes.get("operation_id")
    event.model = notes.get("model")
    event.model_inferred = notes.get("model_inferred")
    event.rule_id = notes.get("rule_id")
    event.near_misses = notes.get("near_misses", [])
    event.scenario = notes.get("scenario")
    event.scenario_misses = notes.get("scenario_misses", [])
    event.faults = notes.get("faults", [])
    event.cassette = notes.get("cassette")
    # The wrapper's parsed body (form files summarised) when it got that far; else what arrived, if it was JSON.
    event.json = notes["json"] if "json" in notes else request_body.recorded()
    if response.content_type.startswith("text/event-stream"):
        event.response = response.stream_summary()
    else:
        event.response_body = response.whole()  # parsed when the journal is read (ServeEvent.to_json)
