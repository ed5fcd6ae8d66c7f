"""The Responses wire format of the generation core's reply: the stream's events, and the response object they build.

`response_events` walks the planned output (a reasoning item, simulated built-in tool calls, the message with its
text or refusal, function calls) and yields the spec's events in the real API's order: `response.created`,
`response.in_progress`, then per item `output_item.added`, its parts' `*.added`/`*.delta`/`*.done`,
`output_item.done`, and last `response.completed` (or `response.incomplete`). The non-streamed body is the
response the last event carries, built by the same walk over the same runs: the deltas join to exactly its text.
Sequence numbers are added by `numbered`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockai.engine.generate import TokenStep
from mockai.engine.reasoning import ReasoningNote
from mockai.engine.reply import ChoicePlan, Usage
from mockai.engine.runs import TextRun

Event = dict[str, Any]
ItemEvents = Generator[Event, None, dict[str, Any]]  # an item's events; returns the finished item


@dataclass
class PlannedOutput:
    """Everything a response says, in output order, with how to name its items."""

    item_id: Callable[[str, int], str]  # (prefix, output index) -> a stable item id
    reasoning: ReasoningNote | None = None
    reasoning_run: TextRun | None = None  # the summary's text as token steps (None: no summary asked for)
    encrypted_reasoning: str | None = None
    builtin_calls: Sequence[dict[str, Any]] = ()  # simulated built-in tool calls, finished items without ids
    choice: ChoicePlan | None = None
    prompt_tokens: int = 0
    reasoning_tokens: int = 0
    logprobs: bool = False
    output: list[dict[str, Any]] = field(default_factory=list)

    def usage(self) -> dict[str, Any]:
        spent = Usage(self.prompt_tokens, self.reasoning_tokens, reasoning_tokens=self.reasoning_tokens)
        if self.choice is not None:
            spent = spent + Usage(0, self.choice.output_tokens)
        return {
            "input_tokens": spent.input_tokens,
            "input_tokens_details": {"cached_tokens": spent.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": spent.output_tokens,
            "output_tokens_details": {"reasoning_tokens": spent.reasoning_tokens},
            "total_tokens": spent.total_tokens,
        }

    @property
    def incomplete_reason(self) -> str | None:
        if self.choice is None:
            return "max_output_tokens" if self.reasoning is not None else None
        return self.choice.incomplete_reason


def response_events(shell: dict[str, Any], planned: PlannedOutput, *, background: bool = False) -> Iterator[Event]:
    """The response's events, without sequence numbers; the last one carries the finished response."""
    opening = {**shell, "status": "queued" if background else "in_progress", "output": []}
    yield {"type": "response.created", "response": copy.deepcopy(opening)}
    if background:
        yield {"type": "response.queued", "response": copy.deepcopy(opening)}
    yield {"type": "response.in_progress", "response": {**copy.deepcopy(opening), "status": "in_progress"}}
    for items in _item_walks(planned):
        index = len(planned.output)
        item = yield from items(index)
        planned.output.append(item)
    reason = planned.incomplete_reason
    final = {
        **shell,
        "status": "incomplete" if reason else "completed",
        "completed_at": None if reason else shell["created_at"],
        "incomplete_details": {"reason": reason} if reason else None,
        "output": planned.output,
        "usage": planned.usage(),
    }
    yield {"type": "response.incomplete" if reason else "response.completed", "response": final}


def numbered(events: Iterator[Event], start: int = 0) -> Iterator[Event]:
    """Every event with its `sequence_number`, counted from `start`."""
    for number, event in enumerate(events, start):
        event["sequence_number"] = number
        yield event


def final_response(events: Iterator[Event]) -> dict[str, Any]:
    """The response the last event carries (the non-streamed body)."""
    last: Event = {}
    for last in events:  # noqa: B007  (only the last one matters)
        pass
    response: dict[str, Any] = last["response"]
    return response


# -- the items --------------------------------------------------------------------------------------------------------


def _item_walks(planned: PlannedOutput) -> Iterator[Callable[[int], ItemEvents]]:
    if planned.reasoning is not None:
        yield functools.partial(_reasoning, planned)
    for builtin in planned.builtin_calls:
        yield functools.partial(_builtin, planned, builtin)
    choice = planned.choice
    if choice is not None and (choice.content is not None or choice.refusal is not None):
        yield functools.partial(_message, planned, choice)
    for call in choice.calls if choice is not None else ():
        yield functools.partial(_function_call, planned, call.call_id, call.name, call.arguments)


def _reasoning(planned: PlannedOutput, index: int) -> ItemEvents:
    item_id = planned.item_id("rs", index)
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    if planned.encrypted_reasoning is not None:
        item["encrypted_content"] = planned.encrypted_reasoning
    yield {"type": "response.output_item.added", "output_index": index, "item": copy.deepcopy(item)}
    if planned.reasoning_run is not None:
        where = {"item_id": item_id, "output_index": index, "summary_index": 0}
        yield {"type": "response.reasoning_summary_part.added", **where, "part": {"type": "summary_text", "text": ""}}
        for step in planned.reasoning_run:
            if step.text:
                yield {"type": "response.reasoning_summary_text.delta", **where, "delta": step.text}
        text = planned.reasoning_run.text
        yield {"type": "response.reasoning_summary_text.done", **where, "text": text}
        part = {"type": "summary_text", "text": text}
        yield {"type": "response.reasoning_summary_part.done", **where, "part": part}
        item["summary"] = [part]
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
    return item


def _builtin(planned: PlannedOutput, call: dict[str, Any], index: int) -> ItemEvents:
    kind = str(call["type"]).removesuffix("_call")
    item = {"id": planned.item_id(_BUILTIN_PREFIXES.get(kind, "tc"), index), **call}
    yield {"type": "response.output_item.added", "output_index": index, "item": {**item, "status": "in_progress"}}
    if kind in _BUILTIN_PROGRESS:
        where = {"output_index": index, "item_id": item["id"]}
        for stage in _BUILTIN_PROGRESS[kind]:
            yield {"type": f"response.{kind}_call.{stage}", **where}
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
    return item


# The events a built-in call emits between `added` and `done`, as the spec names them.
_BUILTIN_PROGRESS = {
    "web_search": ("in_progress", "searching", "completed"),
    "file_search": ("in_progress", "searching", "completed"),
    "code_interpreter": ("in_progress", "interpreting", "completed"),
    "image_generation": ("in_progress", "generating", "completed"),
}
_BUILTIN_PREFIXES = {"web_search": "ws", "file_search": "fs", "code_interpreter": "ci", "image_generation": "ig"}


def _message(planned: PlannedOutput, choice: ChoicePlan, index: int) -> ItemEvents:
    item_id = planned.item_id("msg", index)
    item: dict[str, Any] = {
        "id": item_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    yield {"type": "response.output_item.added", "output_index": index, "item": copy.deepcopy(item)}
    where = {"item_id": item_id, "output_index": index}
    parts: list[dict[str, Any]] = []
    if choice.content is not None:
        parts.append((yield from _text_part(planned, choice.content, {**where, "content_index": len(parts)})))
    if choice.refusal is not None:
        parts.append((yield from _refusal_part(choice.refusal, {**where, "content_index": len(parts)})))
    item.update(content=parts, status="incomplete" if choice.incomplete_reason else "completed")
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
    return item


def _text_part(planned: PlannedOutput, run: TextRun, where: dict[str, Any]) -> ItemEvents:
    yield {
        "type": "response.content_part.added",
        **where,
        "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""},
    }
    said: list[dict[str, Any]] = []
    pieces: list[str] = []
    for step in run:
        logprobs = [_logprob(step)] if planned.logprobs else []
        said += logprobs
        if step.text or logprobs:
            pieces.append(step.text)
            yield {"type": "response.output_text.delta", **where, "delta": step.text, "logprobs": logprobs}
    text = "".join(pieces)
    yield {"type": "response.output_text.done", **where, "text": text, "logprobs": said}
    part = {"type": "output_text", "annotations": [], "logprobs": said, "text": text}
    yield {"type": "response.content_part.done", **where, "part": part}
    return part


def _refusal_part(run: TextRun, where: dict[str, Any]) -> ItemEvents:
    yield {"type": "response.content_part.added", **where, "part": {"type": "refusal", "refusal": ""}}
    pieces: list[str] = []
    for step in run:
        if step.text:
            pieces.append(step.text)
            yield {"type": "response.refusal.delta", **where, "delta": step.text}
    refusal = "".join(pieces)
    yield {"type": "response.refusal.done", **where, "refusal": refusal}
    part = {"type": "refusal", "refusal": refusal}
    yield {"type": "response.content_part.done", **where, "part": part}
    return part


def _function_call(planned: PlannedOutput, call_id: str, name: str, arguments: TextRun, index: int) -> ItemEvents:
    item_id = planned.item_id("fc", index)
    item = {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": "",
        "call_id": call_id,
        "name": name,
    }
    yield {"type": "response.output_item.added", "output_index": index, "item": dict(item)}
    where = {"item_id": item_id, "output_index": index}
    pieces: list[str] = []
    for step in arguments:
        if step.text:
            pieces.append(step.text)
            yield {"type": "response.function_call_arguments.delta", **where, "delta": step.text}
    joined = "".join(pieces)
    yield {"type": "response.function_call_arguments.done", **where, "name": name, "arguments": joined}
    status = "incomplete" if arguments.finish_reason == "length" else "completed"
    item.update(arguments=joined, status=status)
    yield {"type": "response.output_item.done", "output_index": index, "item": item}
    return item


def _logprob(step: TokenStep) -> dict[str, Any]:
    return {
        "token": step.token_str,
        "logprob": step.logprob,
        "bytes": step.token_bytes,
        "top_logprobs": [{"token": top.token, "logprob": top.logprob, "bytes": top.bytes} for top in step.top_logprobs],
    }
