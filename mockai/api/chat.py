"""`POST /v1/chat/completions`: the token model answers the conversation, as a body or as SSE chunks.

Each choice is a `ChatReply`: generated text, or a decided text (a tool call's arguments, a `response_format` JSON
answer) cut into the same token steps, so usage, logprobs and streaming work the same for all of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.responses import json_response
from mockai.api.scripting import scripted_content
from mockai.api.sse import event_stream
from mockai.api.stored_chat import store_completion, store_streamed
from mockai.api.text_generation import (
    FixedRun,
    TextJob,
    TextRun,
    chat_logprobs,
    check_context,
    check_output_limit,
    choice_rng,
    collect,
    created_at,
    interleave,
    resolve_model,
    response_id,
    system_fingerprint,
    text_job,
    usage,
)
from mockai.control.rules import ContentReply
from mockai.engine.chat_format import count_chat_tokens, render_chat_prompt
from mockai.engine.generate import TokenStep
from mockai.engine.json_mode import requested_schema
from mockai.engine.structured import Material, SchemaError, check_schema, instance_for_schema
from mockai.engine.tool_calls import plan_tool_call, text_of

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class CallReply:
    """One function call of a reply: its id, the function's name and its arguments as token steps."""

    id: str
    name: str
    arguments: FixedRun


@dataclass(frozen=True)
class ChatReply:
    """One choice: content steps (None: `content` is null), function calls, and how it ended."""

    content: TextRun | None
    calls: tuple[CallReply, ...] = ()
    legacy_function: bool = False  # `functions`/`function_call` (deprecated) rather than `tools`
    scripted_finish: str | None = None

    @property
    def finish_reason(self) -> str | None:
        if self.scripted_finish is not None:
            return self.scripted_finish
        if any(call.arguments.finish_reason == "length" for call in self.calls):
            return "length"
        if self.calls:
            return "function_call" if self.legacy_function else "tool_calls"
        return self.content.finish_reason if self.content is not None else "stop"

    @property
    def completion_tokens(self) -> int:
        content = self.content.completion_tokens if self.content is not None else 0
        return content + sum(call.arguments.completion_tokens for call in self.calls)


async def create_chat_completion(request: Request, body: dict[str, Any]) -> Response:
    model = resolve_model(request, body["model"], "chat", "v1/chat/completions")
    check_output_limit(model, body)
    _check_options(body)
    _check_schemas(body)
    wants_logprobs = bool(body.get("logprobs"))
    job = text_job(request, body, model, top_logprobs=(body.get("top_logprobs") or 0) if wants_logprobs else 0)
    messages = body["messages"]
    prompt_tokens = count_chat_tokens(messages, job.encoding, model=model.id) + _definition_tokens(body, job)
    budget = check_context(model, prompt_tokens, body.get("max_completion_tokens") or body.get("max_tokens"), chat=True)
    prompt_ids = job.encoding.encode(render_chat_prompt(messages), disallowed_special=())
    scripted = scripted_content(request)
    replies = [
        _scripted_reply(scripted, job, budget) if scripted else _reply(job, body, prompt_ids, index, budget)
        for index in range(body.get("n") or 1)
    ]
    header = _header(request, job)
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = _chunks(header, replies, prompt_tokens, wants_logprobs=wants_logprobs, include_usage=include_usage)
        if body.get("store"):
            total = lambda: usage(prompt_tokens, sum(reply.completion_tokens for reply in replies))  # noqa: E731
            chunks = store_streamed(request, body, chunks, total)
        return event_stream(request, chunks, model=model.id)
    choices = [_choice(index, reply, wants_logprobs) for index, reply in enumerate(replies)]
    completion_tokens = sum(reply.completion_tokens for reply in replies)
    completion = {
        **header,
        "object": "chat.completion",
        "choices": choices,
        "usage": usage(prompt_tokens, completion_tokens),
    }
    if body.get("store"):
        store_completion(request, body, completion)
    return json_response(completion, model=model.id)


def _reply(job: TextJob, body: Mapping[str, Any], prompt_ids: list[int], index: int, budget: int) -> ChatReply:
    response_format = body.get("response_format") or {}
    structured = response_format.get("type") in ("json_object", "json_schema")
    functions, choice, legacy = _declared_functions(body)
    if not functions and not structured:
        return ChatReply(job.run(prompt_ids, index=index, max_tokens=budget))
    rng = choice_rng(job.seed, job.fingerprint + b"/decided", index)
    planned = plan_tool_call(functions, choice, body["messages"], rng)
    top = job.params.top_logprobs
    if planned is not None:
        arguments = FixedRun(planned.arguments, job.encoding, "stop", max_tokens=budget, top_logprobs=top)
        call_id = "call_" + "".join(rng.choices(_ID_ALPHABET, k=24))
        return ChatReply(None, (CallReply(call_id, planned.name, arguments),), legacy)
    generated = job.run(prompt_ids, index=index, max_tokens=budget)
    if structured:
        answer = collect(generated).run.text
        content = _structured_answer(response_format, answer, body["messages"], rng)
        return ChatReply(FixedRun(content, job.encoding, "stop", max_tokens=budget, top_logprobs=top))
    return ChatReply(generated)


def _scripted_reply(scripted: ContentReply, job: TextJob, budget: int) -> ChatReply:
    """A rule's reply, cut into token steps like generated text (so it streams and counts the same way)."""
    top = job.params.top_logprobs
    content = None
    if scripted.content is not None:
        content = FixedRun(scripted.content, job.encoding, "stop", max_tokens=budget, top_logprobs=top)
    calls = tuple(
        CallReply(
            str(call.get("id") or f"call_{position}"),
            str(call["function"]["name"]),
            FixedRun(str(call["function"].get("arguments", "")), job.encoding, "stop", max_tokens=budget),
        )
        for position, call in enumerate(scripted.tool_calls or ())
    )
    return ChatReply(content, calls, scripted_finish=scripted.finish_reason)


def _declared_functions(body: Mapping[str, Any]) -> tuple[list[Mapping[str, Any]], object, bool]:
    if body.get("tools"):
        functions = [tool["function"] for tool in body["tools"] if tool.get("type") == "function"]
        return functions, body.get("tool_choice", "auto"), False
    return list(body.get("functions") or []), body.get("function_call", "auto"), True


def _structured_answer(
    response_format: Mapping[str, Any], answer: str, messages: Sequence[Mapping[str, Any]], rng: Any
) -> str:
    """A JSON schema gets a valid instance of it; JSON mode an instance of the shape the messages ask for (an
    embedded JSON Schema or named keys), else an object around the generated text. Values come from the last user
    message and the generated answer."""
    last_user: Mapping[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    material = Material.from_texts(text_of(last_user), answer)
    if response_format["type"] == "json_object":
        schema = requested_schema(messages)
        if schema is None:
            return json.dumps({"answer": answer}, ensure_ascii=False)
        try:
            return json.dumps(instance_for_schema(schema, rng, material), ensure_ascii=False)
        except SchemaError:  # a schema quoted in a message is text, not a parameter: fall back, never refuse
            return json.dumps({"answer": answer}, ensure_ascii=False)
    schema = (response_format.get("json_schema") or {}).get("schema") or {"type": "object"}
    return json.dumps(instance_for_schema(schema, rng, material), ensure_ascii=False)


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


def _definition_tokens(body: Mapping[str, Any], job: TextJob) -> int:
    """Tool and function definitions are part of the prompt the model reads, so they count as prompt tokens
    (the real API's exact rendering is undocumented; we count the JSON of the definitions)."""
    definitions = body.get("tools") or body.get("functions")
    if not definitions:
        return 0
    return len(job.encoding.encode(json.dumps(definitions, ensure_ascii=False), disallowed_special=()))


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


def _header(request: Request, job: TextJob) -> dict[str, Any]:
    return {
        "id": response_id("chatcmpl", job, request),
        "created": created_at(request),
        "model": job.model.id,
        "system_fingerprint": system_fingerprint(job.model, job.seed),
    }


def _message(reply: ChatReply, content: str | None, arguments: Sequence[str]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if reply.legacy_function and reply.calls:
        message["function_call"] = {"name": reply.calls[0].name, "arguments": arguments[0]}
    elif reply.calls:
        message["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": text}}
            for call, text in zip(reply.calls, arguments, strict=True)
        ]
    return message


def _choice(index: int, reply: ChatReply, wants_logprobs: bool) -> dict[str, Any]:
    content = collect(reply.content) if reply.content is not None else None
    arguments = [collect(call.arguments) for call in reply.calls]
    steps = (content.steps if content else []) + [step for done in arguments for step in done.steps]
    return {
        "index": index,
        "message": _message(reply, content.run.text if content else None, [done.run.text for done in arguments]),
        "logprobs": chat_logprobs(steps) if wants_logprobs else None,
        "finish_reason": reply.finish_reason,
    }


def _deltas(reply: ChatReply) -> Iterator[tuple[dict[str, Any], TokenStep | None]]:
    """A choice's deltas in the real API's order: the role, content pieces, then each call's head and arguments."""
    yield {"role": "assistant", "content": "" if reply.content is not None else None, "refusal": None}, None
    for step in reply.content or ():
        yield {"content": step.text}, step
    for position, call in enumerate(reply.calls):
        if reply.legacy_function:
            yield {"function_call": {"name": call.name, "arguments": ""}}, None
        else:
            head = {
                "index": position,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            yield {"tool_calls": [head]}, None
        for step in call.arguments:
            piece = {"arguments": step.text}
            yield (
                (
                    {"function_call": piece}
                    if reply.legacy_function
                    else {"tool_calls": [{"index": position, "function": piece}]}
                ),
                step,
            )


def _chunks(
    header: dict[str, Any],
    replies: Sequence[ChatReply],
    prompt_tokens: int,
    *,
    wants_logprobs: bool,
    include_usage: bool,
) -> Iterator[dict[str, Any]]:
    """The real API's chunk sequence: a role delta per choice, content deltas (n > 1 interleaved), an empty delta
    with the finish_reason, then (with `include_usage`) one usage chunk whose `choices` is empty."""
    base = {**header, "object": "chat.completion.chunk"}
    extra = {"usage": None} if include_usage else {}

    def chunk(index: int, delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish}
        return {**base, "choices": [choice], **extra}

    streams = [_deltas(reply) for reply in replies]
    for index, stream in enumerate(streams):  # every choice opens with its role delta
        delta, _ = next(stream)
        yield chunk(index, delta)
    for index, item in interleave(streams):
        if item is None:
            yield chunk(index, {}, finish=replies[index].finish_reason)
            continue
        delta, step = item
        if step is None or step.text or wants_logprobs:
            yield chunk(index, delta, chat_logprobs([step]) if wants_logprobs and step else None)
    if include_usage:
        completion_tokens = sum(reply.completion_tokens for reply in replies)
        yield {**base, "choices": [], "usage": usage(prompt_tokens, completion_tokens)}
