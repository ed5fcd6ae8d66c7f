"""`/app/v1/ask` and `/app/v1/history`: the seed's context dialogue, in its own `{code, msg, data}` envelope.

These routes are not OpenAI-shaped, so their rows take no body and no API key from the endpoint wrapper: the
handlers read and validate the envelope themselves (against `schemas/mockai/ask.json`), and every refusal, including
an unparsable body, is answered in the dialogue's envelope with the status from `mockai.dialogue.errors`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from starlette.requests import Request
from starlette.responses import Response

from mockai import strict_json
from mockai.api.auth import organization
from mockai.api.endpoint import read_limited
from mockai.api.responses import json_response
from mockai.api.scripting import journal_notes
from mockai.api.services import services
from mockai.api.sse import event_stream
from mockai.dialogue import errors
from mockai.dialogue.backends import ChatBackend, in_process_backend
from mockai.dialogue.errors import DialogueError
from mockai.dialogue.service import AnswerDelta, Answered, AskEvent, Question
from mockai.state.dialogue_history import ConversationKey

ASK_SCHEMA = "mockai/ask"
#: The key the in-process backend presents when the server accepts any key (`--api-key` not given).
IN_PROCESS_KEY = "sk-mockai-dialogue"

Handler = Callable[[Request, Any], Awaitable[Response]]


def enveloped(handler: Handler) -> Handler:
    """Answer a `DialogueError` in the dialogue's envelope, with its status and headers."""

    @functools.wraps(handler)
    async def answer(request: Request, body: Any) -> Response:
        try:
            return await handler(request, body)
        except DialogueError as exc:
            return json_response(exc.envelope(), status=exc.status, headers=exc.headers)

    return answer


@enveloped
async def ask(request: Request, _: None) -> Response:
    envelope = await _read_json(request)
    journal_notes(request.scope)["json"] = envelope
    question, stream = _question(request, envelope)
    app_services = services(request)
    backend = app_services.dialogue.upstream or _in_process(request)
    events = app_services.dialogue.ask(question, backend, stream=stream)
    if not stream:
        final = [event async for event in events][-1]  # read to the end: the generator finishes, nothing dangles
        assert isinstance(final, Answered)
        return _ok(final.to_json())
    # Wait for the first event before answering, so a refusal still gets its own status instead of a frame.
    first = await anext(events)
    return event_stream(request, _frames(first, events))


@enveloped
async def read_history(request: Request, _: None) -> Response:
    key = _conversation(request)
    turns = services(request).dialogue.history(key)
    return _ok({"user_id": key.user_id, "group_id": key.group_id, "turns": [turn.to_json() for turn in turns]})


@enveloped
async def delete_history(request: Request, _: None) -> Response:
    key = _conversation(request)
    deleted = services(request).dialogue.forget(key)
    return _ok({"user_id": key.user_id, "group_id": key.group_id, "deleted_turns": deleted})


def _ok(data: dict[str, Any]) -> Response:
    return json_response({"code": int(errors.Code.OK), "msg": "ok", "data": data})


async def _frames(first: AskEvent, rest: AsyncGenerator[AskEvent, None]) -> AsyncIterator[dict[str, Any]]:
    try:
        yield _frame(first)
        async for event in rest:
            yield _frame(event)
    except DialogueError as exc:
        yield exc.envelope()
    finally:
        await rest.aclose()  # a client gone mid-stream releases the conversation's lock now, not at GC


def _frame(event: AskEvent) -> dict[str, Any]:
    if isinstance(event, AnswerDelta):
        return {"question_id": event.question_id, "delta": event.text}
    return {"code": int(errors.Code.OK), "msg": "ok", "data": event.to_json()}


def _in_process(request: Request) -> ChatBackend:
    keys = services(request).settings.api_keys
    return in_process_backend(
        request.app, api_key=keys[0] if keys else IN_PROCESS_KEY, organization=organization(request)
    )


async def _read_json(request: Request) -> Any:
    limit = services(request).settings.max_json_bytes
    raw = await read_limited(request, limit, lambda: errors.body_too_large(limit))
    try:
        return strict_json.loads(raw)
    except strict_json.RefusedJSON as refusal:
        raise errors.invalid_body(f"it is {refusal}") from None


def _question(request: Request, envelope: Any) -> tuple[Question, bool]:
    if not isinstance(envelope, dict):
        raise errors.invalid_body(f"got {type(envelope).__name__}")
    problems = list(services(request).registry.iter_errors(ASK_SCHEMA, envelope))
    if problems:
        raise _refusal(envelope, problems)
    pars: dict[str, Any] = envelope["pars"]
    key = ConversationKey(organization(request), pars["user_id"], pars.get("group_id", ""))
    stream = bool(pars.get("stream")) or "text/event-stream" in request.headers.get("accept", "")
    return Question(key, pars["question"], pars.get("question_id", "")), stream


def _refusal(envelope: dict[str, Any], problems: list[ValidationError]) -> DialogueError:
    # A version this server does not speak explains every other problem, so it is reported first.
    if any(_field(problem) == "version" for problem in problems):
        return errors.unsupported_version(envelope.get("version"))
    problem: ValidationError = best_match(problems)
    return errors.invalid_field(_field(problem), _explain(problem))


def _field(problem: ValidationError) -> str:
    path = [str(part) for part in problem.absolute_path]
    # jsonschema types these attributes as "maybe unset"; on a reported error they are always set.
    instance: Any = problem.instance
    schema: Any = problem.schema
    required: Any = problem.validator_value
    if problem.validator == "required":
        path.append(str(next(name for name in required if name not in instance)))
    elif problem.validator == "additionalProperties":
        known = schema.get("properties", {})
        path.append(next(str(name) for name in instance if name not in known))
    return ".".join(path) or "body"


_TYPE_WORDS = {"string": "a string", "object": "an object", "boolean": "a boolean (true or false)"}


def _explain(problem: ValidationError) -> str:
    keyword = problem.validator
    if keyword == "required":
        return "it is required"
    if keyword == "additionalProperties":
        return "it is not a known field"
    if keyword == "type":
        return f"it must be {_TYPE_WORDS.get(str(problem.validator_value), str(problem.validator_value))}"
    if keyword in ("minLength", "pattern"):
        return "it must not be empty or blank"
    if keyword == "maxLength":
        return f"it must be at most {problem.validator_value} characters long"
    return problem.message


def _conversation(request: Request) -> ConversationKey:
    query = request.query_params
    user_id = query.get("user_id", "")
    if not user_id.strip():
        raise errors.invalid_field("user_id", "it is required and must not be empty or blank")
    return ConversationKey(organization(request), user_id, query.get("group_id", ""))
