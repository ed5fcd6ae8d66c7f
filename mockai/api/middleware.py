"""Pure ASGI middleware: the request id, the headers the real API puts on every response, the request journal."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockai import strict_json
from mockai.api.scripting import journal_notes
from mockai.api.services import Services
from mockai.control.journal import ServeEvent

OPENAI_VERSION = "2020-10-01"
#: Set on every response by `RequestContextMiddleware` (a replayed recording's own copies are not sent).
STAMPED_HEADERS = frozenset({"x-request-id", "openai-processing-ms", "openai-version", "openai-organization"})


class RequestContextMiddleware:
    """Give each request an id and stamp `x-request-id`, `openai-processing-ms`, `openai-version` and
    `openai-organization` on its response.

    Request ids are derived from the server seed and a counter, so a run is reproducible end to end.
    """

    def __init__(self, app: ASGIApp, *, seed: int, default_organization: str) -> None:
        self.app = app
        self._seed = seed
        self._default_organization = default_organization
        self._counter = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._next_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        organization = self._organization(scope)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                headers: list[Any] = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                    (b"openai-version", OPENAI_VERSION.encode()),
                    (b"openai-organization", organization.encode()),
                ]
                # Set during the request by the control plane (rate-limit headers land on errors too).
                extra: dict[str, str] = scope["state"].get("response_headers", {})
                headers += [(name.encode(), value.encode()) for name, value in extra.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _next_request_id(self) -> str:
        digest = hashlib.blake2b(f"{self._seed}:{next(self._counter)}".encode(), digest_size=16)
        return "req_" + digest.hexdigest()

    def _organization(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"openai-organization" and value:
                return str(value.decode("latin-1"))
        return self._default_organization


_CAPTURE_LIMIT = 1 << 20  # bodies beyond 1 MiB are journaled as a size, not parsed


class JournalMiddleware:
    """Record every request outside the admin API as a `ServeEvent`: request, status, response, timing, rule."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_mockai"):
            await self.app(scope, receive, send)
            return
        app_services: Services = scope["app"].state.services
        event = app_services.journal.new_event(
            scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), _headers(scope)
        )
        event.started_at = app_services.clock.now()
        journal_notes(scope)["id"] = event.id  # so the control plane can name this request in near misses
        request_body = _Capture()
        response = _Capture()
        started = time.perf_counter()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                event.duration_ms = round((time.perf_counter() - started) * 1000, 3)
                _finish(event, scope, request_body, response)
                app_services.journal.record(event, size=len(request_body.data) + len(response.data))

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request_body.add(message.get("body", b""))
            return message

        async def send_and_keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                event.status = message["status"]
                response.content_type = dict(message.get("headers", [])).get(b"content-type", b"").decode()
            elif message["type"] == "http.response.body":
                response.add(message.get("body", b""))
                if not message.get("more_body", False):
                    # Recorded before the last byte leaves: a client that has read the whole response (a test that
                    # checks `requests.last` right after a stream's [DONE]) always finds it in the journal.
                    record()
            await send(message)

        try:
            await self.app(scope, receive_and_keep, send_and_keep)
        finally:
            record()  # responses that never finish (a dropped stream, a crash) are journaled all the same


class _Capture:
    """A body as it passes: the first 1 MiB kept for the journal, and SSE frames counted all the way."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.size = 0
        self.content_type = ""
        self.frames = 0
        self.last_frame = b""

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if len(self.data) < _CAPTURE_LIMIT:
            self.data += chunk
        # The SSE writer sends one frame per body message, so counting messages counts frames at any length.
        if chunk.startswith(b"data: "):
            self.frames += chunk.count(b"\n\ndata: ") + 1
            self.last_frame = chunk

    def decoded(self) -> Any:
        """The body as JSON when it is (strictly) JSON and was kept whole; else `None`."""
        if self.size > _CAPTURE_LIMIT or not self.data:
            return None
        try:
            return strict_json.loads(bytes(self.data))
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
        text = bytes(self.data[:_CAPTURE_LIMIT]).decode("utf-8", "replace")
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
        event.response = response.decoded()


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
