"""One row of the endpoint table, and the single wrapper that authenticates, reads and validates a request.

The wrapper is the only code that reads a body, so no handler can forget validation and there is one place to get
401, 413, 415 and 400 right. Handlers receive the validated body: a dict for JSON, a dict of form fields (files as
`UploadFile`) for multipart, `None` for bodiless operations. Query parameters are validated against the row's query
schema before the body is read; handlers still read them from `request.query_params`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive

from mockai import errors
from mockai.api.auth import authenticate
from mockai.api.cassettes import play_cassette
from mockai.api.fields import decode_fields
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
    stream_schema: str | None = None  # may answer with Server-Sent Events, each payload valid under this schema
    query_schema: str | None = None  # the query parameters, validated (and typed) before the handler runs
    model_from_path: str | None = None  # engine-routed twins: the path parameter that names the model

    def as_route(self) -> Route:
        async def endpoint(request: Request) -> Response:
            authenticate(request, self.auth)
            if self.query_schema is not None:
                validate_query(request, self.query_schema)
            if self.auth == "openai" and services(request).cassettes.active is not None:
                return await self._answer_with_cassette(request)
            try:
                # Inside the try: a form that fails validation still has its spooled files closed.
                body = await read_body(request, self)
                scripted = await apply_controls(request, self, body)
                return scripted if scripted is not None else await self.handler(request, body)
            finally:
                if self.body == "multipart":
                    await request.close()

        return Route(self.path, endpoint, methods=[self.method], name=self.operation_id)

    async def _answer_with_cassette(self, request: Request) -> Response:
        settings = services(request).settings
        limit = settings.max_upload_bytes if self.body == "multipart" else settings.max_json_bytes
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
    else:
        validate_body(app.registry, endpoint.request_schema, _for_validation(body))
    return body


async def _read_json(request: Request, limit: int) -> tuple[dict[str, Any], bytes]:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    # A missing Content-Type is tolerated (as the real API does); any other non-JSON type is refused.
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.unsupported_content_type(content_type, "application/json")
    _check_declared_length(request, limit)
    raw = await read_limited(request, limit, lambda: errors.body_too_large(limit))
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
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
        form = await request.form(max_files=16, max_fields=256)
    except MultiPartException as exc:
        raise errors.invalid_multipart(exc.message) from None
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
