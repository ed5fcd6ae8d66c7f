"""One row of the endpoint table, and the single wrapper that authenticates, reads and validates a request.

The wrapper is the only code that reads a body, so no handler can forget validation and there is one place to get
401, 413, 415 and 400 right. Handlers receive the validated body: a dict for JSON, a dict of form fields (files as
`UploadFile`) for multipart, `None` for bodiless operations. Query parameters are validated against the row's query
schema before the body is read; handlers still read them from `request.query_params`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from mockai import errors, strict_json
from mockai.api.auth import authenticate
from mockai.api.cassettes import play_cassette
from mockai.api.fields import decode_fields
from mockai.api.responses import error_response
from mockai.api.scripting import apply_controls
from mockai.api.services import PARSED_BODY, scope_services, services
from mockai.contract.validation import ValidationMemo, describe_type, validate_body
from mockai.settings import Settings

Handler = Callable[[Request, Any], Awaitable[Response]]
BodyKind = Literal["json", "multipart", "none"]
AuthKind = Literal["openai", "admin", "none"]


@dataclass(frozen=True)
class Endpoint:
    """A documented operation: where it lives, who handles it, and the schemas that describe it."""

    method: str
    path: str
    handler: Handler
    operation_id: str
    tag: str  # the endpoint family (`mockai contract --endpoints chat,...`)
    body: BodyKind = "none"
    request_schema: str | None = None  # short name under schemas/, e.g. "openai/createEmbedding.request"
    response_schema: str | None = None
    auth: AuthKind = "openai"
    stream_schema: str | None = None  # may answer with Server-Sent Events, each payload valid under this schema
    query_schema: str | None = None  # the query parameters, validated (and typed) before the handler runs
    model_from_path: str | None = None  # engine-routed twins: the path parameter that names the model

    def as_route(self) -> Route:
        return Route(self.path, _EndpointApp(self), methods=[self.method], name=self.operation_id)

    def body_limit(self, request: Request) -> int:
        return self._body_limit(services(request).settings)

    def _body_limit(self, settings: Settings) -> int:
        return settings.max_json_bytes if self.body == "json" else settings.max_upload_bytes

    async def respond(self, scope: Scope, receive: Receive) -> Response:
        """The response to one request: authenticated, its body read and validated, controls applied, handled."""
        body_stream = None
        if self.body != "none":
            body_stream = receive = _BoundedBody(receive, self._body_limit(scope_services(scope).settings))
            if self.body == "multipart":
                boundary = _boundary(Headers(scope=scope).get("content-type", ""))
                if boundary:
                    receive = _ClosedMultipart(body_stream, boundary)
        request = Request(scope, receive)
        try:
            # Inside the try: a form that fails validation still has its spooled files closed.
            authenticate(request, self.auth)
            if self.query_schema is not None:
                validate_query(request, self.query_schema)
            if self.auth == "openai" and services(request).cassettes.active is not None:
                return await self._answer_with_cassette(request)
            body = await read_body(request, self)
            scripted = await apply_controls(request, self, body)
            return scripted if scripted is not None else await self.handler(request, body)
        except errors.OpenAIError as refusal:
            if body_stream is None:
                raise
            raise await body_stream.finish(refusal) from None
        finally:
            if self.body == "multipart":
                await request.close()

    async def _answer_with_cassette(self, request: Request) -> Response:
        limit = self.body_limit(request)
        raw = await read_limited(request, limit, lambda: errors.body_too_large(limit))
        answered = await play_cassette(request, self, raw)
        if answered is not None:
            return answered
        # A rule chose text: the handler renders it, from the same body read again and validated as usual.
        again = Request(request.scope, _body_then(raw, request.receive))
        try:
            return await self.handler(again, await read_body(again, self))
        finally:
            await again.close()


class _EndpointApp:
    """An endpoint as an ASGI app: its response, or its failure rendered by the app's exception handlers.

    One layer where Starlette's `request_response` would put two (a request wrapper, and an exception wrapper around
    `send`). Nothing is sent until `respond` returns, so whatever it raises is answered here, by the handler the
    app registered for it (the same one Starlette's middleware would call): the endpoint needs no middleware around
    it to fail well, which lets `TableFirst` call it directly. What fails while a response is being sent (a stream's
    generator) goes on up, as it would from Starlette's own route.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self.endpoint.respond(scope, receive)
        except errors.OpenAIError as refusal:
            response = error_response(refusal)
        except Exception as failure:
            response = await _rendered(scope, receive, failure)
        await response(scope, receive, send)


async def _rendered(scope: Scope, receive: Receive, failure: Exception) -> Response:
    """`failure` answered by the app's handler for the nearest class in its MRO (the app registers `Exception`)."""
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = scope["app"].exception_handlers
    handler = next(handlers[kind] for kind in type(failure).__mro__ if kind in handlers)
    return await handler(Request(scope, receive), failure)


class _BoundedBody:
    """The request's ASGI `receive`, counting body bytes as they arrive and refusing (413) past `limit`.

    Counting what arrives is what bounds a chunked upload (it has no Content-Length) and the spool of a multipart
    parser (whose temporary files are closed, and so removed, when the refusal unwinds it). `finish()` reads and
    drops what is left of a refused body, so a client that sends everything before reading (most do) gets the
    answer instead of a reset connection; past the limit it asks for the connection to be closed instead.
    """

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._received = 0
        self._complete = False

    async def __call__(self) -> Message:
        if self._received > self._limit:
            raise errors.body_too_large(self._limit)
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            self._complete = not message.get("more_body", False)
            if self._received > self._limit:
                raise errors.body_too_large(self._limit)
        else:
            self._complete = True  # the client is gone: nothing more will arrive
        return message

    async def finish(self, refusal: errors.OpenAIError) -> errors.OpenAIError:
        """`refusal`, once the rest of the body is read; with `Connection: close` when it cannot be (too large)."""
        try:
            while not self._complete:
                await self()
        except errors.OpenAIError:
            return dataclasses.replace(refusal, headers={**refusal.headers, "connection": "close"})
        return refusal


class _ClosedMultipart:
    """The receive of a multipart body that refuses (400) a body ending before its closing boundary.

    python-multipart parses a cut body without complaint, and Starlette then returns a form without the part it was
    writing, whose spooled temporary file nobody closes (a missing field is reported, the spool lingers until
    garbage collection). Refused as the body ends, the parse unwinds through the path that closes every spool.
    """

    def __init__(self, receive: Receive, boundary: bytes) -> None:
        self._receive = receive
        self._delimiter = b"--" + boundary + b"--"
        self._tail = b""
        self._closed = False

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            body: bytes = message.get("body", b"")
            edge = self._tail + body[: len(self._delimiter)]
            self._closed = self._closed or self._delimiter in edge or self._delimiter in body
            self._tail = (self._tail + body)[-len(self._delimiter) :]
            if not message.get("more_body", False) and not self._closed:
                raise errors.invalid_multipart("the body ends before its closing boundary.")
        return message


def _boundary(content_type: str) -> bytes | None:
    found = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    return found.group(1).encode("latin-1") if found else None


def _body_then(raw: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `raw` as the whole body, then whatever the connection says (a disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replayed


def validate_query(request: Request, schema_name: str) -> None:
    """Refuse query parameters their schema refuses (`?limit=abc`), in the same words as a body's fields."""
    registry = services(request).registry
    query = decode_fields(request.query_params.multi_items(), registry.document(schema_name), registry.lookup)
    validate_body(registry, schema_name, query)


async def read_body(request: Request, endpoint: Endpoint) -> Any:
    if endpoint.body == "none":
        return None
    app = services(request)
    raw = b""
    if endpoint.body == "json":
        body, raw = await _read_json(request, app.settings.max_json_bytes)
    else:
        body = await _read_multipart(request, endpoint, app.settings.max_upload_bytes)
    path_model = None
    if endpoint.model_from_path is not None:
        # The 0.28 SDK's `engine="davinci"` posts to /v1/engines/davinci/... without a `model` field.
        path_model = request.path_params[endpoint.model_from_path]
        body.setdefault("model", path_model)
    if endpoint.request_schema is None:
        return body
    if raw:
        app.validated.validate(app.registry, endpoint.request_schema, body, (raw, path_model))
        body = app.integers.normalise(endpoint.request_schema, body)
        if len(raw) <= ValidationMemo.MAX_BODY_BYTES:
            request.scope["state"][PARSED_BODY] = (body, (endpoint.request_schema, raw, path_model))
        return body
    validate_body(app.registry, endpoint.request_schema, _for_validation(body))
    return body


async def _read_json(request: Request, limit: int) -> tuple[dict[str, Any], bytes]:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    # A missing Content-Type is tolerated (as the real API does); any other non-JSON type is refused.
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.unsupported_content_type(content_type, "application/json")
    _check_declared_length(request, limit)
    raw = await request.body()  # bounded: the route's receive refuses a body past the limit as it arrives
    try:
        body = strict_json.loads(raw)
    except strict_json.RefusedJSON:
        raise errors.invalid_json() from None
    if not isinstance(body, dict):
        raise errors.body_not_object(describe_type(body))
    return body, raw


async def read_limited(request: Request, limit: int, too_large: Callable[[], Exception]) -> bytes:
    """The whole body, refused with `too_large()` as soon as it passes `limit` bytes (never buffered beyond)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise too_large()
    return bytes(raw)


async def _read_multipart(request: Request, endpoint: Endpoint, limit: int) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise errors.unsupported_content_type(content_type, "multipart/form-data")
    _check_declared_length(request, limit)
    try:
        # Bounded like a JSON body: past the limit the receive raises 413 and the parser removes its spool.
        form = await request.form(max_files=16, max_fields=256)
    except MultiPartException as exc:
        raise errors.invalid_multipart(exc.message) from None
    except HTTPException as exc:  # Starlette reports a MultiPartException as a 400 when it runs inside an app
        raise errors.invalid_multipart(str(exc.detail)) from None
    registry = services(request).registry
    schema = registry.document(endpoint.request_schema) if endpoint.request_schema else {}
    return decode_fields(form.multi_items(), schema, registry.lookup)


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)


def _for_validation(body: Any) -> Any:
    """Uploaded files validate as their file names (the schemas describe them as binary strings)."""
    if not isinstance(body, dict):
        return body
    return {key: _as_name(value) for key, value in body.items()}


def _as_name(value: Any) -> Any:
    if isinstance(value, list):
        return [_as_name(item) for item in value]
    return (value.filename or "") if isinstance(value, UploadFile) else value
