"""The control plane at request time: rate limits, injected faults and scripted replies, applied after validation.

The endpoint wrapper calls `apply_controls()` once a body has been read and validated, so a bad request still gets
the real 400. Raw JSON and error replies short-circuit the handler here; a content reply is left for the handler:
text-generating handlers hand it to the generation core (`scripted_reply`, applied by `text_generation.answer`), which
plans it like any reply, so scripted text looks exactly like generated text on every wire format; the audio handlers
read the text with `scripted_content`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.auth import bearer_token, organization
from mockai.api.responses import json_response
from mockai.api.services import Services, services
from mockai.api.sse import pace
from mockai.control.faults import Strikes
from mockai.control.matching import RequestView
from mockai.control.ratelimit import estimate_tokens, format_duration, retry_after_header
from mockai.control.rules import ContentReply, ErrorReply, JsonReply, Reply
from mockai.engine.scripted import ScriptedCall, ScriptedReply

if TYPE_CHECKING:
    from mockai.api.endpoint import Endpoint

__all__ = [
    "ContentReply",
    "apply_controls",
    "bind_response",
    "control_request",
    "journal_notes",
    "scripted_content",
    "scripted_reply",
    "stream_strikes",
]

# Endpoints whose handlers turn a content reply into their own response; elsewhere content rules never match.
CONTENT_OPERATIONS = frozenset(
    {
        "createChatCompletion",
        "createCompletion",
        "createEdit",
        "createTranscription",
        "createTranslation",
        "createResponse",
    }
)
_NO_MODEL_BUCKET = "default"  # requests that name no model share one per-key window


def scripted_content(request: Request) -> ContentReply | None:
    """The scripted text (or tool calls) a rule chose for this request; None: generate as usual."""
    reply: ContentReply | None = request.scope.get("state", {}).get("mockai.reply")
    return reply


def scripted_reply(request: Request) -> ScriptedReply | None:
    """The content rule's reply as the generation core takes it (`ReplyRequest.scripted`); None: the model decides."""
    reply = scripted_content(request)
    if reply is None:
        return None
    calls = tuple(_scripted_call(call) for call in reply.tool_calls or () if isinstance(call, Mapping))
    return ScriptedReply(reply.content, calls, reply.refusal, reply.finish_reason)


def _scripted_call(call: Mapping[str, Any]) -> ScriptedCall:
    """A rule's call in chat's form (`{"id", "function": {"name", "arguments"}}`) or flat (`{"name", "arguments"}`, as
    legacy function calls and Responses function_call items are written); arguments given as a JSON value are encoded,
    so the client always receives a JSON string."""
    nested = call.get("function")
    function = nested if isinstance(nested, Mapping) else call
    arguments = function.get("arguments", "")
    call_id = call.get("id") or call.get("call_id")
    return ScriptedCall(
        str(function.get("name", "")),
        arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False),
        str(call_id) if call_id else None,
    )


def stream_strikes(request: Request) -> Strikes | None:
    """The stream faults (drop, malformed chunk, pacing) that hit this request, if any."""
    strikes: Strikes | None = request.scope.get("state", {}).get("mockai.strikes")
    return strikes


def journal_notes(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    """Per-request notes for the journal (rule id, near misses, faults, parsed body), kept in the ASGI scope."""
    notes: dict[str, Any] = scope.setdefault("state", {}).setdefault("mockai.journal", {})
    return notes


async def apply_controls(request: Request, endpoint: Endpoint, body: Any) -> Response | None:
    """Charge rate limits, strike faults and pick a scripted reply; a Response here short-circuits the handler."""
    return await control_request(
        request, body, operation_id=endpoint.operation_id, body_kind=endpoint.body, enforced=endpoint.auth == "openai"
    )


async def control_request(
    request: Request, body: Any, *, operation_id: str | None, body_kind: str, enforced: bool = True
) -> Response | None:
    """`apply_controls` for any request, including paths outside the endpoint table (answered by a cassette)."""
    app = services(request)
    notes = journal_notes(request.scope)
    kept = await _journal_body(body, body_kind)
    notes.update(operation_id=operation_id, model=_model_named(request, body), json=kept)
    if not enforced:
        return None
    if not (app.rate_limits.enabled or len(app.faults) or len(app.rules) or len(app.scenarios)):
        return None  # nothing to apply: skip building the view (the common case, on every request)
    view = _view(request, body_kind, body)
    if app.rate_limits.enabled:
        _charge(request, app, view, estimate_tokens(body, operation_id=operation_id))
    strikes = app.faults.strike(view)
    notes["faults"] = strikes.names
    await pace(strikes.delay)
    if strikes.status is not None:
        raise errors.injected_status(strikes.status, strikes.error, strikes.headers)
    if strikes.affects_stream() or strikes.ttft:
        request.scope["state"]["mockai.strikes"] = strikes
    return _scripted(request, app, view, operation_id in CONTENT_OPERATIONS)


def bind_response(request: Request, response_id: str) -> None:
    """Record that this request's answer was stored as `response_id`, so a request that continues it
    (`previous_response_id`) reaches the same conversation-keyed scenario instance. The Responses handler calls it
    once its response has an id; it does nothing when no scenario was consulted."""
    conversation = request.scope.get("state", {}).get("mockai.conversation")
    if conversation is not None:
        services(request).scenarios.bind(response_id, conversation)


def _scripted(request: Request, app: Services, view: RequestView, accepts_content: bool) -> Response | None:
    """Scenarios first (a step that answers ends here), then rules; misses of both go to the journal."""
    notes = journal_notes(request.scope)
    if len(app.scenarios):
        conversation = app.scenarios.conversation_key(view)
        request.scope["state"]["mockai.conversation"] = conversation
        step = app.scenarios.take(view, conversation=conversation, accepts_content=accepts_content)
        if step is not None:
            notes["scenario"] = step.to_json()
            if step.reply is not None:
                return _answer(request, step.reply)
        else:
            missed = app.scenarios.near_misses(view, conversation=conversation, accepts_content=accepts_content)
            notes["scenario_misses"] = [miss.to_json() for miss in missed]
    taken = app.rules.take(view, accepts_content=accepts_content)
    if taken is None:
        if len(app.rules):
            misses = app.rules.near_misses(view, accepts_content=accepts_content)
            notes["near_misses"] = [miss.to_json() for miss in misses]
        return None
    rule, reply = taken
    notes["rule_id"] = rule.id
    return _answer(request, reply)


def _answer(request: Request, reply: Reply) -> Response | None:
    """Raw JSON and errors answer here; a content reply is left for the handler (`scripted_content`)."""
    if isinstance(reply, JsonReply):
        return json_response(reply.body, status=reply.status, headers=reply.headers)
    if isinstance(reply, ErrorReply):
        raise errors.injected_status(reply.status, reply.error, reply.headers)
    request.scope["state"]["mockai.reply"] = reply
    return None


def _charge(request: Request, app: Services, view: RequestView, tokens: int) -> None:
    key = bearer_token(request) or ""
    model = view.model or _NO_MODEL_BUCKET
    decision = app.rate_limits.charge(key, model, tokens, now=app.clock.now())
    request.scope["state"].setdefault("response_headers", {}).update(decision.headers)
    exceeded = decision.exceeded
    if exceeded is None:
        return
    org = organization(request)
    if exceeded.requested > exceeded.limit:
        raise errors.request_too_large_for_limit(model, org, exceeded.kind, exceeded.limit, exceeded.requested)
    raise errors.rate_limit_exceeded(
        model,
        org,
        exceeded.kind,
        exceeded.limit,
        exceeded.used,
        exceeded.requested,
        format_duration(exceeded.retry_after),
        retry_after_header(exceeded.retry_after),
    )


def _model_named(request: Request, body: Any) -> str | None:
    """The model a request names: its body's `model`, or the path's for bodiless operations."""
    if isinstance(body, dict):
        model = body.get("model")
        return model if isinstance(model, str) else None
    found = request.path_params.get("model") or request.path_params.get("engine_id")
    return str(found) if found is not None else None


def _view(request: Request, body_kind: str, body: Any) -> RequestView:
    fields = body if isinstance(body, dict) else None
    model = None
    if fields is None:
        # Bodiless operations that name a model in the path (`GET /v1/models/{model}`) match on it too.
        found = request.path_params.get("model") or request.path_params.get("engine_id")
        model = str(found) if found is not None else None
    readable = {key: _readable(value) for key, value in (fields or {}).items()}
    app = services(request)
    return RequestView(
        method=request.method,
        path=request.url.path,
        headers={name.lower(): value for name, value in request.headers.items()},
        body=readable if fields is not None else None,
        body_kind=body_kind,
        model=model,
        history=app.history,
        number=journal_notes(request.scope).get("id"),
    )


def _readable(value: Any) -> Any:
    """Uploaded files are matched by their file names (lists of them too)."""
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value.filename if isinstance(value, UploadFile) else value


async def _journal_body(body: Any, body_kind: str) -> Any:
    """The body as the journal keeps it: a copy (the handler may add members the client did not send), with a form's
    uploads summarised. Only forms hold uploads, so a JSON body's copy is shallow and skips the scan."""
    if not isinstance(body, dict):
        return body
    if body_kind != "multipart":
        return dict(body)
    summary: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, list):
            summary[key] = [await _file_summary(item) if isinstance(item, UploadFile) else item for item in value]
        else:
            summary[key] = await _file_summary(value) if isinstance(value, UploadFile) else value
    return summary


async def _file_summary(upload: UploadFile) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    while chunk := await upload.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    await upload.seek(0)
    return {"filename": upload.filename, "size": size, "sha256": digest.hexdigest()}
