"""One row of the endpoint table, and the single wrapper that authenticates, reads and validates a request body.

The wrapper is the only code that reads a body, so no handler can forget validation and there is one place to get
401, 413, 415 and 400 right. Handlers receive the validated body: a dict for JSON, a dict of form fields (files as
`UploadFile`) for multipart, `None` for bodiless operations.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive

from mockai import errors, strict_json
from mockai.api.auth import authenticate
from mockai.api.scripting import apply_controls
from mockai.api.services import services
from mockai.contract.validation import describe_type, validate_body

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
    streams: bool = False  # may answer with Server-Sent Events
    model_from_path: str | None = None  # engine-routed twins: the path parameter that names the model

    def as_route(self) -> Route:
        async def endpoint(request: Request) -> Response:
            body_stream = None
            if self.body != "none":
                body_stream = _BoundedBody(request.receive, self.body_limit(request))
                receive: Receive = body_stream
                boundary = _boundary(request.headers.get("content-type", ""))
                if self.body == "multipart" and boundary:
                    receive = _ClosedMultipart(body_stream, boundary)
                request = Request(request.scope, receive)
            try:
                # Inside the try: a form that fails validation still has its spooled files closed.
                authenticate(request, self.auth)
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

        return Route(self.path, endpoint, methods=[self.method], name=self.operation_id)

    def body_limit(self, request: Request) -> int:
        settings = services(request).settings
        return settings.max_json_bytes if self.body == "json" else settings.max_upload_bytes


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
        return app.integers.normalise(endpoint.request_schema, body)
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
    schema = services(request).registry.document(endpoint.request_schema) if endpoint.request_schema else {}
    properties: dict[str, Any] = schema.get("properties", {})
    fields: dict[str, Any] = {}
    for key, value in form.multi_items():
        name = key[:-2] if key.endswith("[]") else key
        spec = properties.get(name, {})
        if spec.get("type") == "array":
            fields.setdefault(name, []).append(_coerce(value, spec.get("items", {})))
        else:
            fields[name] = _coerce(value, spec)
    return fields


def _check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise errors.body_too_large(limit)


def _coerce(value: str | UploadFile, spec: dict[str, Any]) -> Any:
    """Form fields arrive as strings; give them the JSON type their schema declares so validation is uniform."""
    if isinstance(value, UploadFile):
        return value
    wanted = spec.get("type")
    if isinstance(wanted, list):  # nullable fields declare ["integer", "null"]; a form string is never null
        wanted = next((kind for kind in wanted if kind != "null"), None)
    try:
        if wanted == "integer":
            return int(value)
        if wanted == "number":
            return float(value)
    except ValueError:
        return value  # left as a string, the schema reports the wrong type with the field's name
    if wanted == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _for_validation(body: Any) -> Any:
    """Uploaded files validate as their file names (the schemas describe them as binary strings)."""
    if not isinstance(body, dict):
        return body
    return {key: (value.filename or "") if isinstance(value, UploadFile) else value for key, value in body.items()}
