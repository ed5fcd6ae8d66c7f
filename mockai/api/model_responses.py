"""`/v1/responses`: the Responses wire format of the generation core, and its stored responses.

Create translates the request (its checked context, function tools, `tool_choice`, `text.format`, sampling) into a
`ReplyRequest`, plans the reply with the same core chat uses, and renders it with `response_events`: as SSE events, or
as the response the last event carries. Reasoning models think first (`engine/reasoning.py`); declared built-in tools
are simulated (`engine/builtin_tools.py`). With `store` (the default) the response is kept, so it can be retrieved,
continued, listed and deleted; with `background` it runs on the world clock (`state/responses.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.auth import organization
from mockai.api.pagination import page_query, page_response
from mockai.api.response_context import ResponseContext, request_context
from mockai.api.response_events import PlannedOutput, final_response, numbered, response_events
from mockai.api.responses import json_response
from mockai.api.scripting import bind_response
from mockai.api.services import services
from mockai.api.sse import event_stream
from mockai.api.text_generation import (
    DEFAULT_REPLY_BUDGET,
    answer,
    check_output_limit,
    generation_model,
    resolve_model,
    sampling,
)
from mockai.engine.builtin_tools import builtin_calls
from mockai.engine.conversation import NO_TOOLS, TEXT, ForcedTool, FunctionTool, OutputFormat, ToolChoice, Tools
from mockai.engine.reasoning import reasoning_note
from mockai.engine.reply import ChoicePlan, ReplyRequest
from mockai.engine.responses_format import count_input_tokens, responses_conversation
from mockai.engine.runs import FixedRun, GenerationModel
from mockai.engine.sealed import seal, sealing_key
from mockai.engine.structured import SchemaError, check_schema
from mockai.state.catalog import ModelInfo
from mockai.state.items import new_item_id, stored_item
from mockai.state.pagination import paginate
from mockai.state.responses import QUEUED_SECONDS, RUNNING_SECONDS, Phase, StoredRecord

#: Fields that do not change what the model says: a streamed, stored, background or shorter request says the same.
_NOT_SAMPLED = frozenset(
    {
        "stream",
        "stream_options",
        "store",
        "background",
        "metadata",
        "max_output_tokens",
        "include",
        "user",
        "service_tier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
        "truncation",
        "reasoning",
        "parallel_tool_calls",
        "top_logprobs",
    }
)
_ENCRYPTED_REASONING = "reasoning.encrypted_content"
_OUTPUT_LOGPROBS = "message.output_text.logprobs"


async def create_response(request: Request, body: dict[str, Any]) -> Response:
    info = resolve_model(request, _model_of(body), "responses", "v1/responses")
    if body.get("max_output_tokens") is not None:
        check_output_limit(info, {"max_output_tokens": body["max_output_tokens"]})
    _check_options(body)
    _check_schemas(body)
    context = request_context(request, body)
    model = generation_model(request, info)
    planned, shell = _plan(request, body, info, model, context)
    bind_response(request, shell["id"])
    background = bool(body.get("background"))
    events = numbered(response_events(shell, planned, background=background))
    if background:
        record = _store(request, body, context, shell["id"], list(events), background=True)
        if body.get("stream"):
            return event_stream(request, _timed_events(request, record, -1), done=False, model=info.id, named=True)
        return json_response(record.view(services(request).clock.now()), model=info.id)
    if body.get("stream"):
        return event_stream(
            request, _stored_at_end(request, body, context, events), done=False, model=info.id, named=True
        )
    final = final_response(events)
    _keep(request, body, context, final)
    return json_response(final, model=info.id)


async def retrieve_response(request: Request, _body: None) -> Response:
    app, response_id = services(request), request.path_params["response_id"]
    record = _record(request, response_id)
    if request.query_params.get("stream") in ("true", "1"):
        if not record.background:
            raise errors.stream_requires_background(response_id)
        after = int(request.query_params.get("starting_after") or -1)
        return event_stream(
            request, _timed_events(request, record, after), done=False, model=record.final["model"], named=True
        )
    return json_response(record.view(app.clock.now()), model=record.final["model"])


async def delete_response(request: Request, _body: None) -> Response:
    response_id = request.path_params["response_id"]
    if not services(request).responses.delete(organization(request), response_id):
        raise errors.response_not_found(response_id)
    return json_response({"id": response_id, "object": "response", "deleted": True})


async def cancel_response(request: Request, _body: None) -> Response:
    app, response_id = services(request), request.path_params["response_id"]
    record = _record(request, response_id)
    if not record.background:
        raise errors.cannot_cancel_synchronous_response()
    now = app.clock.now()
    if not record.finished(now):
        app.responses.cancel(organization(request), response_id, now)
        record = _record(request, response_id)
    return json_response(record.view(now), model=record.final["model"])


async def list_input_items(request: Request, _body: None) -> Response:
    """The response's input items, newest first unless `order=asc`, paginated like every list."""
    record = _record(request, request.path_params["response_id"])
    page = paginate(record.input, _item_key, page_query(request, default_limit=20))
    return page_response(page, dict)


def _item_key(item: Mapping[str, Any]) -> str:
    return str(item["id"])


async def get_input_token_counts(request: Request, body: dict[str, Any]) -> Response:
    info = resolve_model(request, body.get("model") or "gpt-4o", "responses", "v1/responses/input_tokens")
    context = request_context(request, body)
    model = generation_model(request, info)
    tokens = count_input_tokens(context.conversation, model.encoding, _tool_definitions(body))
    return json_response({"object": "response.input_tokens", "input_tokens": tokens})


async def compact_conversation(request: Request, body: dict[str, Any]) -> Response:
    """The context with everything but the user's messages sealed into one `compaction` item, which the model reads
    back whole when it is sent as input (`engine/sealed.py`)."""
    info = resolve_model(request, _model_of(body), "responses", "v1/responses/compact")
    context = request_context(request, body)
    model = generation_model(request, info)
    items = [*context.history, *context.input]
    kept = [item for item in items if item.get("role") == "user"]
    sealed = [item for item in items if item.get("role") != "user"]
    tokens = count_input_tokens(context.conversation, model.encoding)
    digest = hashlib.blake2b(json.dumps(items, sort_keys=True).encode(), digest_size=24).hexdigest()
    # The user's messages come back as stored items (id, status, content parts), as the compaction schema wants.
    ids = services(request).ids
    output = [stored_item(item, item.get("id") or new_item_id(ids, item)) for item in kept]
    if sealed:
        key = sealing_key(services(request).settings.seed)
        output.append({"id": f"cmp_{digest}", "type": "compaction", "encrypted_content": seal(sealed, key)})
    usage = {
        "input_tokens": tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 0,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": tokens,
    }
    created = int(services(request).clock.now())
    compacted = {"id": f"resp_{digest}", "object": "response.compaction", "created_at": created, "output": output}
    return json_response({**compacted, "usage": usage}, model=info.id)


def _model_of(body: dict[str, Any]) -> str:
    """The request's model: the spec leaves it optional (a stored prompt may name one), the real API requires it."""
    model = body.get("model")
    if not isinstance(model, str):
        raise errors.missing_parameter("model")
    return model


# -- planning ---------------------------------------------------------------------------------------------------------


def _plan(
    request: Request, body: Mapping[str, Any], info: ModelInfo, model: GenerationModel, context: ResponseContext
) -> tuple[PlannedOutput, dict[str, Any]]:
    """The core's reply to the context, with the reasoning before it and the simulated built-in calls."""
    tools = _tools(body)
    window = info.context_window or 128_000
    context, prompt_tokens = _fitted(context, body, model, window)
    requested = body.get("max_output_tokens")
    left = window - prompt_tokens
    budget = min(requested, left) if requested is not None else min(left, DEFAULT_REPLY_BUDGET)
    question = context.conversation.last_user_text()
    builtins = builtin_calls(
        body.get("tools") or (), body.get("tool_choice"), question, has_functions=bool(tools.declared)
    )
    note = _reasoning(body, info, question, tools)
    reasoning_tokens = len(model.encoding.encode(note.text, disallowed_special=())) if note is not None else 0
    top = int(body.get("top_logprobs") or 0)
    choice: ChoicePlan | None = None
    if budget - reasoning_tokens > 0:
        sampled = {key: value for key, value in body.items() if key not in _NOT_SAMPLED}
        drawn = sampling(request, sampled, model, max_output_tokens=budget - reasoning_tokens, top_logprobs=top)
        core = ReplyRequest(context.conversation, model, drawn, prompt_tokens, tools, _output_format(body))
        choice = answer(request, core).choices[0]
    response_id = _response_id(request, body)
    include = set(body.get("include") or ())
    summary = (body.get("reasoning") or {}).get("summary")
    planned = PlannedOutput(
        item_id=lambda prefix, index: _item_id(prefix, response_id, index),
        reasoning=note,
        reasoning_run=FixedRun(note.summary, model.encoding, "stop", max_tokens=None) if note and summary else None,
        encrypted_reasoning=_sealed_note(request, note) if note and _ENCRYPTED_REASONING in include else None,
        builtin_calls=builtins,
        choice=choice,
        prompt_tokens=prompt_tokens,
        reasoning_tokens=reasoning_tokens,
        logprobs=_OUTPUT_LOGPROBS in include,
    )
    return planned, _shell(request, body, info, response_id, context)


def _fitted(
    context: ResponseContext, body: Mapping[str, Any], model: GenerationModel, window: int
) -> tuple[ResponseContext, int]:
    """The context and its token count, within the model's window: `truncation: "auto"` drops items from the start
    of the conversation until the input fits (keeping the last one); `disabled` (the default) refuses the request."""
    definitions = _tool_definitions(body)
    tokens = count_input_tokens(context.conversation, model.encoding, definitions)
    if tokens <= window:
        return context, tokens
    if body.get("truncation") == "auto":
        items = [*context.history, *context.input]
        instructions = context.conversation.instructions
        while tokens > window and len(items) > 1:
            items = items[1:]
            conversation = responses_conversation(items, instructions=instructions)
            tokens = count_input_tokens(conversation, model.encoding, definitions)
        if tokens <= window:
            return dataclasses.replace(context, conversation=conversation), tokens
    raise errors.input_exceeds_context_window(window)


def _reasoning(body: Mapping[str, Any], info: ModelInfo, question: str, tools: Tools) -> Any:
    if not info.reasoning:
        return None
    effort = str((body.get("reasoning") or {}).get("effort") or "medium")
    if tools.declared and tools.choice != "none":
        plan = "decide whether one of the declared tools answers it, and call it with the arguments it needs"
    elif _output_format(body).structured:
        plan = "answer with JSON in the requested format"
    else:
        plan = "answer it directly in text"
    return reasoning_note(effort, question=question, plan=plan)


def _sealed_note(request: Request, note: Any) -> str:
    return seal({"summary": [note.summary], "text": note.text}, sealing_key(services(request).settings.seed))


def _tools(body: Mapping[str, Any]) -> Tools:
    functions = [tool for tool in body.get("tools") or () if tool.get("type") == "function"]
    if not functions:
        return NO_TOOLS
    declared = tuple(
        FunctionTool(str(f["name"]), f.get("description"), f.get("parameters"), f.get("strict")) for f in functions
    )
    return Tools(declared, _tool_choice(body.get("tool_choice")), body.get("parallel_tool_calls") is not False)


def _tool_choice(choice: object) -> ToolChoice:
    if choice in ("none", "auto", "required"):
        return choice
    if isinstance(choice, Mapping):
        if choice.get("type") == "function" and isinstance(choice.get("name"), str):
            return ForcedTool(choice["name"])
        if choice.get("type") == "allowed_tools":
            return "required" if choice.get("mode") == "required" else "auto"
        return "none"  # a built-in tool is forced: the functions are not called
    return "auto"


def _tool_definitions(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [tool for tool in body.get("tools") or () if tool.get("type") == "function"]


def _output_format(body: Mapping[str, Any]) -> OutputFormat:
    described = (body.get("text") or {}).get("format") or {}
    kind = described.get("type")
    if kind == "json_object":
        return OutputFormat("json_object")
    if kind == "json_schema":
        return OutputFormat(
            "json_schema", described.get("schema"), described.get("name"), bool(described.get("strict"))
        )
    return TEXT


def _check_options(body: Mapping[str, Any]) -> None:
    if body.get("background") and body.get("store") is False:
        raise errors.background_requires_store()
    if body.get("stream_options") is not None and not body.get("stream"):
        raise errors.invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        declared = {tool.get("name") for tool in body.get("tools") or () if tool.get("type") == "function"}
        if choice.get("name") not in declared:
            raise errors.tool_choice_not_in_tools(str(choice.get("name")))


def _check_schemas(body: Mapping[str, Any]) -> None:
    """Every function's parameters and the `text.format` schema must admit a value, before anything is generated."""
    for index, tool in enumerate(body.get("tools") or ()):
        if tool.get("type") == "function" and tool.get("parameters") is not None:
            try:
                check_schema(tool["parameters"])
            except SchemaError as error:
                raise errors.invalid_function_parameters(
                    str(tool.get("name", "")), error.message, f"tools[{index}].parameters"
                ) from None
    described = (body.get("text") or {}).get("format") or {}
    if described.get("type") == "json_schema":
        try:
            check_schema(described.get("schema") or {})
        except SchemaError as error:
            raise errors.invalid_text_format_schema(str(described.get("name", "")), error.message) from None


# -- the response object ----------------------------------------------------------------------------------------------


def _shell(
    request: Request, body: Mapping[str, Any], info: ModelInfo, response_id: str, context: ResponseContext
) -> dict[str, Any]:
    """The response's fields other than its status, output and usage: what the request set, echoed back."""
    reasoning = body.get("reasoning") or {}
    text = {
        "format": (body.get("text") or {}).get("format") or {"type": "text"},
        "verbosity": (body.get("text") or {}).get("verbosity") or "medium",
    }
    shell: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": int(services(request).clock.now()),
        "status": "in_progress",
        "background": bool(body.get("background")),
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": info.id,
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {
            "effort": reasoning.get("effort") or ("medium" if info.reasoning else None),
            "summary": reasoning.get("summary"),
        },
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": body.get("service_tier") or "default",
        "store": body.get("store") is not False,
        "temperature": 1.0 if body.get("temperature") is None else body["temperature"],
        "text": text,
        "tool_choice": body.get("tool_choice") or "auto",
        "tools": [_echoed_tool(tool) for tool in body.get("tools") or ()],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": 1.0 if body.get("top_p") is None else body["top_p"],
        "truncation": body.get("truncation") or "disabled",
        "metadata": body.get("metadata") or {},
    }
    if body.get("user") is not None:
        shell["user"] = body["user"]
    if context.conversation_id is not None:
        shell["conversation"] = {"id": context.conversation_id}
    return shell


def _echoed_tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    """A function tool as the response lists it: `strict` defaults to true on the Responses API."""
    if tool.get("type") != "function":
        return dict(tool)
    return {"description": None, "parameters": None, "strict": True, **tool}


def _response_id(request: Request, body: Mapping[str, Any]) -> str:
    """Derived from the server's seed and the request, counted per repeat: the same first request on a fresh server
    gets the same id, and a repeat a new one."""
    app = services(request)
    base = hashlib.blake2b(
        f"{app.settings.seed}:{app.store.epoch}:{organization(request)}:{json.dumps(body, sort_keys=True)}".encode(),
        digest_size=16,
    ).hexdigest()
    repeat = app.responses.next_repeat(base)
    return "resp_" + hashlib.blake2b(f"{base}:{repeat}".encode(), digest_size=24).hexdigest()


def _item_id(prefix: str, response_id: str, index: int) -> str:
    return f"{prefix}_" + hashlib.blake2b(f"{response_id}:{index}".encode(), digest_size=24).hexdigest()


# -- storage ----------------------------------------------------------------------------------------------------------


def _record(request: Request, response_id: str) -> StoredRecord:
    found = services(request).responses.get(organization(request), response_id)
    if found is None:
        raise errors.response_not_found(response_id)
    return found


def _input_with_ids(response_id: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as the API lists them: each with an id (messages `msg_…`) and, for messages, a status."""
    listed = []
    for index, item in enumerate(items):
        found = {"type": "message", **item} if "role" in item and "type" not in item else dict(item)
        if isinstance(found.get("content"), str) and found.get("type") == "message":
            kind = "output_text" if found.get("role") == "assistant" else "input_text"
            part = {"type": kind, "text": found["content"]}
            found["content"] = [{**part, "annotations": [], "logprobs": []} if kind == "output_text" else part]
        if found.get("type") == "message":
            found.setdefault("status", "completed")
        found.setdefault("id", _item_id("msg" if found.get("type") == "message" else "item", response_id, -1 - index))
        listed.append(found)
    return listed


def _keep(request: Request, body: Mapping[str, Any], context: ResponseContext, final: dict[str, Any]) -> None:
    """Store a finished response (unless `store: false`) and append it to its conversation."""
    if body.get("store") is not False:
        _store(request, body, context, final["id"], [{"response": final}], background=False)
    if context.conversation_id is not None:
        inputs = _input_with_ids(final["id"], context.input)
        services(request).conversations.append(
            organization(request), context.conversation_id, [*inputs, *final["output"]]
        )


def _store(
    request: Request,
    body: Mapping[str, Any],
    context: ResponseContext,
    response_id: str,
    events: list[dict[str, Any]],
    *,
    background: bool,
) -> StoredRecord:
    app = services(request)
    final = events[-1]["response"]
    if background and final["status"] == "completed":
        final["completed_at"] = int(app.clock.now() + QUEUED_SECONDS + RUNNING_SECONDS)  # when it will be done
    record = StoredRecord(
        id=response_id,
        org=organization(request),
        final=final,
        input=_input_with_ids(response_id, context.input),
        previous_id=body.get("previous_response_id"),
        background=background,
        created_at=app.clock.now(),
        events=[(_phase(event), event) for event in events] if background else [],
    )
    app.responses.save(record)
    return record


def _phase(event: Mapping[str, Any]) -> Phase:
    kind = event.get("type")
    if kind in ("response.created", "response.queued"):
        return Phase.QUEUED
    return Phase.IN_PROGRESS if kind == "response.in_progress" else Phase.DONE


def _stored_at_end(
    request: Request, body: Mapping[str, Any], context: ResponseContext, events: Iterator[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """The stream's events; the response is stored once its last event has been built. An error after the stream
    started (the conversation it belongs to was deleted meanwhile) is the stream's `error` event, as the real API
    sends it."""
    number = 0
    for event in events:
        number = event["sequence_number"]
        if event["type"] in ("response.completed", "response.incomplete"):
            try:
                _keep(request, body, context, event["response"])
            except errors.OpenAIError as exc:
                found = exc.envelope()["error"]
                yield {
                    "type": "error",
                    "code": found.get("code"),
                    "message": found["message"],
                    "param": found.get("param"),
                    "sequence_number": number,
                }
                return
        yield event


async def _timed_events(request: Request, record: StoredRecord, after: int) -> AsyncIterator[dict[str, Any]]:
    """A background response's events after `after`, each once world time reaches its phase; a cancelled response's
    stream ends where it was cancelled."""
    app = services(request)
    sent = after
    while True:
        current = app.responses.get(record.org, record.id) or record
        now = app.clock.now()
        for event in current.visible_events(now):
            if event["sequence_number"] > sent:
                sent = event["sequence_number"]
                yield event
        if current.finished(now):
            return
        await app.clock.wait_until(min(now + 1.0, current.done_at()))
