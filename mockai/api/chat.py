"""`POST /v1/chat/completions`: the chat wire format of the generation core, as a body or as SSE chunks.

The handler translates the request (messages, tools or legacy functions, `response_format`, sampling) into a
`ReplyRequest`, counts the prompt with the documented chat rule, and renders the core's `Reply`: each `ChoicePlan`
becomes a `message` (content, refusal, `tool_calls` or a legacy `function_call`) or a sequence of deltas.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.responses import json_response
from mockai.api.sse import event_stream
from mockai.api.stored_chat import store_completion, store_streamed
from mockai.api.text_generation import (
    answer,
    chat_logprobs,
    check_context,
    check_output_limit,
    created_at,
    generation_model,
    interleave,
    resolve_model,
    response_id,
    sampling,
    system_fingerprint,
    usage,
)
from mockai.engine.chat_format import chat_conversation, count_chat_tokens
from mockai.engine.conversation import NO_TOOLS, TEXT, ForcedTool, FunctionTool, OutputFormat, ToolChoice, Tools
from mockai.engine.generate import TokenStep
from mockai.engine.reply import ChoicePlan, Reply, ReplyRequest
from mockai.engine.runs import GenerationModel
from mockai.engine.structured import SchemaError, check_schema

Delta = tuple[dict[str, Any], TokenStep | None, bool]  # the delta, its token step, whether the step is a refusal's


async def create_chat_completion(request: Request, body: dict[str, Any]) -> Response:
    info = resolve_model(request, body["model"], "chat", "v1/chat/completions")
    check_output_limit(info, body)
    _check_options(body)
    _check_schemas(body)
    model = generation_model(request, info)
    prompt_tokens = count_chat_tokens(body["messages"], model.encoding, model=info.id) + _definition_tokens(body, model)
    budget = check_context(info, prompt_tokens, body.get("max_completion_tokens") or body.get("max_tokens"), chat=True)
    wants_logprobs = bool(body.get("logprobs"))
    top = (body.get("top_logprobs") or 0) if wants_logprobs else 0
    drawn = sampling(request, body, model, max_output_tokens=budget, top_logprobs=top, choices=body.get("n") or 1)
    conversation = chat_conversation(body["messages"])
    core = ReplyRequest(conversation, model, drawn, prompt_tokens, _tools(body), _output_format(body))
    reply = answer(request, core)
    header = {
        "id": response_id("chatcmpl", request, body, drawn.seed),
        "created": created_at(request),
        "model": info.id,
        "system_fingerprint": system_fingerprint(info, drawn.seed),
    }
    legacy = not body.get("tools") and bool(body.get("functions"))
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _chunks(header, reply, legacy=legacy, wants_logprobs=wants_logprobs, include_usage=include_usage)
        if body.get("store"):
            chunks = store_streamed(request, body, chunks, lambda: usage(reply.usage))
        return event_stream(request, chunks, model=info.id)
    plans = [plan.finished() for plan in reply.choices]
    choices = [_choice(index, plan, legacy, wants_logprobs) for index, plan in enumerate(plans)]
    completion = {**header, "object": "chat.completion", "choices": choices, "usage": usage(reply.usage)}
    if body.get("store"):
        store_completion(request, body, completion)
    return json_response(completion, model=info.id)


def _tools(body: Mapping[str, Any]) -> Tools:
    """`tools` (function tools; other kinds are not planned), or the deprecated `functions`/`function_call`."""
    if not body.get("tools") and not body.get("functions"):
        return NO_TOOLS  # nothing to choose from, whatever tool_choice or function_call says
    if body.get("tools"):
        functions = [tool["function"] for tool in body["tools"] if tool.get("type") == "function"]
        choice = body.get("tool_choice")
    else:
        functions, choice = list(body.get("functions") or []), body.get("function_call")
    declared = tuple(
        FunctionTool(str(f["name"]), f.get("description"), f.get("parameters"), f.get("strict")) for f in functions
    )
    return Tools(declared, _tool_choice(choice), body.get("parallel_tool_calls") is not False)


def _tool_choice(choice: object) -> ToolChoice:
    if choice in ("none", "auto", "required"):
        return choice
    if isinstance(choice, Mapping):
        named = choice.get("function", choice)  # {"type": "function", "function": {...}}, or legacy {"name": ...}
        if isinstance(named, Mapping) and isinstance(named.get("name"), str):
            return ForcedTool(named["name"])
    return "auto"  # absent, null, or a kind of choice that names no function


def _output_format(body: Mapping[str, Any]) -> OutputFormat:
    response_format = body.get("response_format")
    if not response_format:
        return TEXT
    kind = response_format.get("type")
    if kind == "json_object":
        return OutputFormat("json_object")
    if kind == "json_schema":
        described = response_format.get("json_schema") or {}
        return OutputFormat(
            "json_schema", described.get("schema"), described.get("name"), bool(described.get("strict"))
        )
    return TEXT


def _check_schemas(body: Mapping[str, Any]) -> None:
    """Every tool's parameters and the response schema must admit a value, checked before anything is generated."""
    for index, tool in enumerate(body.get("tools") or []):
        function = tool.get("function") or {}
        if "parameters" in function:
            _check_parameters(function, f"tools[{index}].function.parameters")
    for index, function in enumerate(body.get("functions") or []):
        if "parameters" in function:
            _check_parameters(function, f"functions[{index}].parameters")
    json_schema = (body.get("response_format") or {}).get("json_schema") or {}
    if json_schema.get("schema") is not None:
        try:
            check_schema(json_schema["schema"])
        except SchemaError as error:
            raise errors.invalid_response_schema(str(json_schema.get("name", "")), error.message) from None


def _check_parameters(function: Mapping[str, Any], param: str) -> None:
    try:
        check_schema(function["parameters"])
    except SchemaError as error:
        raise errors.invalid_function_parameters(str(function.get("name", "")), error.message, param) from None


def _definition_tokens(body: Mapping[str, Any], model: GenerationModel) -> int:
    """Tool and function definitions are part of the prompt the model reads, so they count as prompt tokens
    (the real API's exact rendering is undocumented; we count the JSON of the definitions)."""
    definitions = body.get("tools") or body.get("functions")
    if not definitions:
        return 0
    return len(model.encoding.encode(json.dumps(definitions, ensure_ascii=False), disallowed_special=()))


def _check_options(body: Mapping[str, Any]) -> None:
    if body.get("top_logprobs") is not None and not body.get("logprobs"):
        raise errors.invalid_request(
            "Invalid value for 'top_logprobs': it can only be set when 'logprobs' is true.",
            param="top_logprobs",
            code="invalid_value",
        )
    if body.get("stream_options") is not None and not body.get("stream"):
        raise errors.invalid_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    if body.get("tool_choice") not in (None, "none", "auto", "required") and not body.get("tools"):
        raise errors.invalid_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
            param="tool_choice",
            code="invalid_value",
        )


def _finish_reason(plan: ChoicePlan, legacy: bool) -> str:
    """The deprecated `functions` API ends a call with `function_call`."""
    finish = plan.finish_reason
    return "function_call" if legacy and plan.calls and finish == "tool_calls" else finish


def _message(plan: ChoicePlan, legacy: bool) -> dict[str, Any]:
    content = plan.content.text if plan.content is not None else None
    refusal = plan.refusal.text if plan.refusal is not None else None
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if legacy and plan.calls:
        message["function_call"] = {"name": plan.calls[0].name, "arguments": plan.calls[0].arguments.text}
    elif plan.calls:
        message["tool_calls"] = [
            {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments.text}}
            for call in plan.calls
        ]
    return message


def _choice(index: int, plan: ChoicePlan, legacy: bool, wants_logprobs: bool) -> dict[str, Any]:
    """A finished plan as `choices[index]`: the message, logprobs of every token it says, the finish reason."""
    logprobs = None
    if wants_logprobs:
        said = [run for run in plan.runs if run is not plan.refusal]
        refusal = list(plan.refusal) if plan.refusal is not None else None
        logprobs = chat_logprobs([step for run in said for step in run], refusal)
    return {
        "index": index,
        "message": _message(plan, legacy),
        "logprobs": logprobs,
        "finish_reason": _finish_reason(plan, legacy),
    }


def _deltas(plan: ChoicePlan, legacy: bool) -> Iterator[Delta]:
    """A choice's deltas in the real API's order: the role, content or refusal pieces, then each call's head and
    arguments."""
    yield {"role": "assistant", "content": "" if plan.content is not None else None, "refusal": None}, None, False
    for step in plan.content or ():
        yield {"content": step.text}, step, False
    for step in plan.refusal or ():
        yield {"refusal": step.text}, step, True
    for position, call in enumerate(plan.calls):
        if legacy:
            yield {"function_call": {"name": call.name, "arguments": ""}}, None, False
        else:
            function = {"name": call.name, "arguments": ""}
            yield (
                {"tool_calls": [{"index": position, "id": call.call_id, "type": "function", "function": function}]},
                None,
                False,
            )
        for step in call.arguments:
            piece = {"arguments": step.text}
            delta = {"function_call": piece} if legacy else {"tool_calls": [{"index": position, "function": piece}]}
            yield delta, step, False


def _chunks(
    header: dict[str, Any], reply: Reply, *, legacy: bool, wants_logprobs: bool, include_usage: bool
) -> Iterator[dict[str, Any]]:
    """The real API's chunk sequence: a role delta per choice, content deltas (n > 1 interleaved), an empty delta
    with the finish_reason, then (with `include_usage`) one usage chunk whose `choices` is empty."""
    base = {**header, "object": "chat.completion.chunk"}
    extra = {"usage": None} if include_usage else {}

    def chunk(index: int, delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        return {**base, "choices": [choice], **extra}

    streams = [_deltas(plan, legacy) for plan in reply.choices]
    for index, stream in enumerate(streams):  # every choice opens with its role delta
        delta, _, _ = next(stream)
        yield chunk(index, delta)
    for index, item in interleave(streams):
        if item is None:
            yield chunk(index, {}, finish=_finish_reason(reply.choices[index], legacy))
            continue
        delta, step, refused = item
        if step is None or step.text or wants_logprobs:
            logprobs = None
            if wants_logprobs and step is not None:
                logprobs = chat_logprobs([], [step]) if refused else chat_logprobs([step])
            yield chunk(index, delta, logprobs)
    if include_usage:
        yield {**base, "choices": [], "usage": usage(reply.usage)}
