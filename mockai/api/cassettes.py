"""The cassette in use, at request time: replay a recording, or forward the request upstream and record the answer.

Where it sits: for operations of the endpoint table, after authentication and the control plane (rate limits,
status faults, latency and rules all still apply, and a rule wins over the cassette) and instead of schema validation
and the handler: the recording is the real API's own answer, so mockai's opinion of the request no longer matters.
For paths mockai does not serve, it answers before the 404. A recorded stream is passed to the client chunk by chunk
as the upstream sends it, and the file is written before the client sees the end of the response.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Send

from mockai import __version__, errors, strict_json
from mockai.api.middleware import STAMPED_HEADERS
from mockai.api.scripting import control_request, journal_notes, scripted_content
from mockai.api.services import services
from mockai.api.sse import pace, stream_frames
from mockai.cassettes.bodies import media_type, parse_form
from mockai.cassettes.events import render_event
from mockai.cassettes.model import DEFAULT_IGNORED, CassetteRequest, MatchRule, utc_timestamp
from mockai.cassettes.pacing import delays, paced
from mockai.cassettes.player import Hit, LoadedCassette, Miss, RecordMode
from mockai.cassettes.recorder import HOP_BY_HOP, InteractionRecorder, capture_request
from mockai.cassettes.redaction import REDACTED, Redactor
from mockai.cassettes.upstream import Upstream, UpstreamError

if TYPE_CHECKING:
    from mockai.api.endpoint import Endpoint

logger = logging.getLogger("mockai.cassettes")

# Never sent from a recording: per-connection headers, encodings the stored body no longer has, and what the server
# (uvicorn: date, server) and mockai's own middleware stamp on every response.
_NOT_REPLAYED = HOP_BY_HOP | {"content-length", "content-encoding", "date", "server"} | STAMPED_HEADERS


async def play_cassette(request: Request, endpoint: Endpoint | None, raw: bytes) -> Response | None:
    """The cassette's answer to `request` (whose body is `raw`); None when a rule chose text for the handler."""
    app = services(request)
    loaded = app.cassettes.active
    assert loaded is not None, "the caller checks that a cassette is in use"
    headers = dict(request.headers.items())
    upstream_key = app.upstream.api_key if app.upstream is not None else None
    redactor = Redactor.for_request(headers, patterns=loaded.redact, extra_secrets=[upstream_key])
    match = MatchRule(ignore=tuple(dict.fromkeys((*DEFAULT_IGNORED, *loaded.options.ignore))))
    captured = capture_request(request.method, request.url.path, request.url.query, headers, raw, redactor, match)
    kind, body = _control_view(raw, headers.get("content-type"))
    scripted = await control_request(
        request, body, operation_id=endpoint.operation_id if endpoint else None, body_kind=kind
    )
    if scripted is not None or scripted_content(request) is not None:
        return scripted
    outcome = loaded.lookup(captured)
    if isinstance(outcome, Hit):
        _note(request, loaded, "replayed", outcome.index)
        return await _replay(request, outcome, loaded)
    if loaded.options.record is RecordMode.NONE:
        raise _missed(request, loaded, captured, outcome)
    assert app.upstream is not None, "a cassette records only where an upstream is configured"
    return await _record(request, loaded, app.upstream, captured, redactor, raw)


def _missed(request: Request, loaded: LoadedCassette, captured: CassetteRequest, miss: Miss) -> errors.OpenAIError:
    error = errors.cassette_miss(loaded.options.name, captured.method, captured.path, loaded.describe_miss(miss))
    note = _note(request, loaded, "missed", None)
    note.update(closest=miss.closest.to_json() if miss.closest else None, message=error.message)
    return error


def _note(request: Request, loaded: LoadedCassette, outcome: str, index: int | None) -> dict[str, Any]:
    note: dict[str, Any] = {"name": loaded.options.name, "record": loaded.options.record.value, "outcome": outcome}
    note.update(interaction=index, closest=None)
    journal_notes(request.scope)["cassette"] = note
    return note


async def _replay(request: Request, hit: Hit, loaded: LoadedCassette) -> Response:
    response = hit.interaction.response
    times = [float(event["at_ms"]) for event in response.events or ()]
    first, gaps = delays(latency_ms=response.latency_ms, event_times_ms=times, speed=loaded.options.replay_speed)
    await pace(first)
    headers = {name: value for name, value in _sendable(response.headers, request).items() if value != REDACTED}
    if response.events is None:
        return Response(response.content(), response.status, headers)
    frames = [render_event(event) for event in response.events]
    return stream_frames(request, paced(frames, gaps, pace), status=response.status, headers=headers)


async def _record(
    request: Request,
    loaded: LoadedCassette,
    upstream: Upstream,
    captured: CassetteRequest,
    redactor: Redactor,
    raw: bytes,
) -> Response:
    recorder = InteractionRecorder(
        captured,
        redactor,
        recorded_at=utc_timestamp(datetime.now(UTC)),
        recorded_with=f"mockai {__version__}",
    )
    try:
        # The path as the client encoded it (`%2F` stays `%2F`), so the upstream sees exactly what was sent.
        path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
        answer = await upstream.open(request.method, path, request.url.query, dict(request.headers.items()), raw)
    except UpstreamError as exc:
        raise errors.record_upstream_failed(upstream.base_url, str(exc)) from None
    recorder.begin(answer.status, answer.headers)
    note = _note(request, loaded, "forwarded", None)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.chunks():
                recorder.add(chunk)
                yield chunk
            # Written before the response ends: once a client has the whole answer, the cassette has it too.
            note.update(outcome="recorded", interaction=await loaded.record(recorder.finish()))
        finally:
            await answer.aclose()

    return _PassThrough(relay(), status_code=answer.status, headers=_sendable(answer.headers, request))


class _PassThrough(StreamingResponse):
    """The upstream's answer as it arrives. If the upstream breaks off, or the cassette cannot be written, the
    client's connection is dropped (no clean end it could mistake for a whole, recorded response)."""

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.body_iterator:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamError as exc:
            logger.warning("the upstream broke off a recorded response (%s); nothing was recorded", exc)
            return
        except OSError as exc:  # the answer passed whole, but the cassette could not be written
            logger.error("could not write the cassette (%s); the client's connection is dropped", exc)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _sendable(headers: Mapping[str, str], request: Request) -> dict[str, str]:
    """Recorded or upstream headers minus those the server sets itself for this response."""
    extra: dict[str, str] = request.scope.get("state", {}).get("response_headers", {})
    return {
        name: value
        for name, value in headers.items()
        if name.lower() not in _NOT_REPLAYED and name.lower() not in extra
    }


def _control_view(raw: bytes, content_type: str | None) -> tuple[str, Any]:
    """The body as rules and faults see it: a JSON object, or form fields with files as uploads; else nothing."""
    media = media_type(content_type)
    if media == "multipart/form-data":
        parts = parse_form(raw, content_type or "")
        return ("multipart", _form_fields(parts)) if parts is not None else ("none", None)
    try:
        body = strict_json.loads(raw) if raw else None
    except strict_json.RefusedJSON:  # the endpoint refuses it in its own words once no cassette answers
        return "none", None
    return ("json", body) if isinstance(body, dict) else ("none", None)


def _form_fields(parts: list[dict[str, Any]]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in parts:
        data = part["text"].encode("utf-8") if "text" in part else base64.b64decode(part["base64"])
        if "filename" not in part:
            fields[part["name"]] = data.decode("utf-8", errors="replace")
            continue
        headers = Headers({"content-type": part["content_type"]}) if "content_type" in part else None
        fields[part["name"]] = UploadFile(io.BytesIO(data), filename=part["filename"], headers=headers)
    return fields
