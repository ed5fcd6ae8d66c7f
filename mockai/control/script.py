"""Scenario scripts: lines that check a request or answer it, compiled into steps, one per request.

Check lines: `user_says` (a regex on the last user message), `expect` (a tool result not yet answered, `of` a tool or
call, with `content`, `contains` or `regex`) and `when` (any request pattern). Answer lines: `reply` (text, or a reply
document) and `call` (one tool call, or a list of them). Each answer closes a step with the checks written since the
previous answer; checks after the last answer make a final step with no answer. A step's calls get their ids and any
missing arguments (generated from the tool's declared schema) when a request reaches it: `completed_answer()`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mockai.control.matching import Condition, Pattern, RequestView, ToolResultCondition
from mockai.control.rules import ContentReply, Reply, describe_reply, reply_from_json
from mockai.control.transcript import declared_tools
from mockai.engine.structured import Material, SchemaError, instance_for_schema

_EXPECT_OPS = {"content": "eq", "contains": "contains", "regex": "regex"}


@dataclass(frozen=True)
class Step:
    """One request's worth of script: the checks it must pass and its answer (None: rules or the model answer)."""

    checks: tuple[Pattern, ...]
    reply: Reply | None
    description: str

    def mismatches(self, request: RequestView) -> list[str]:
        return [line for check in self.checks for line in check.mismatches(request)]


def compile_script(lines: Sequence[Mapping[str, Any]]) -> tuple[Step, ...]:
    """The steps of a script: each answer closes a step with the checks written since the previous answer.

    >>> [step.description for step in compile_script([
    ...     {"user_says": "weather"}, {"call": {"name": "get_weather"}},
    ...     {"expect": {"contains": "sunny"}}, {"reply": "It is sunny."},
    ... ])]
    ["the user says 'weather' -> call get_weather", "a result of get_weather contains 'sunny' -> reply 'It is sunny.'"]
    """
    steps: list[Step] = []
    checks: list[Pattern] = []
    words: list[str] = []
    called: tuple[str, ...] = ()
    for line in lines:
        for pattern, described in _checks(line, called):
            checks.append(pattern)
            words.append(described)
        reply = _answer(line)
        if reply is not None:
            steps.append(Step(tuple(checks), reply, f"{' and '.join(words) or 'any request'} -> {_said(reply)}"))
            called = (
                tuple(_call_name(call) for call in reply.tool_calls or ()) if isinstance(reply, ContentReply) else ()
            )
            checks, words = [], []
    if checks:
        steps.append(Step(tuple(checks), None, f"{' and '.join(words)} -> rules or the model answer"))
    return tuple(steps)


def _checks(line: Mapping[str, Any], called: tuple[str, ...]) -> Iterator[tuple[Pattern, str]]:
    if "user_says" in line:
        condition = Condition.from_json({"op": "regex", "value": line["user_says"]})
        yield Pattern(last_user=condition), f"the user says {line['user_says']!r}"
    if "expect" in line:
        expectation = _expectation(line["expect"], called)
        yield Pattern(tool_result=(expectation,)), _expected(expectation)
    if "when" in line:
        pattern = Pattern.from_json(line["when"])
        yield pattern, pattern.describe()


def _expectation(raw: Mapping[str, Any], called: tuple[str, ...]) -> ToolResultCondition:
    """`expect` of a tool result: `of` a tool or call (by default the one tool the previous answer called), with at
    most one of `content` (equal), `contains`, `regex`; none of them: that such a result came back at all."""
    given = [name for name in _EXPECT_OPS if name in raw]
    if len(given) > 1:
        raise ValueError(f"expect takes one of content, contains or regex, got {' and '.join(given)}")
    of = raw.get("of") or (called[0] if len(set(called)) == 1 else None)
    if not given:
        return ToolResultCondition(of, Condition("exists", True))
    return ToolResultCondition(of, Condition.from_json({"op": _EXPECT_OPS[given[0]], "value": raw[given[0]]}))


def _expected(expectation: ToolResultCondition) -> str:
    subject = "a result" if expectation.of is None else f"a result of {expectation.of}"
    condition = expectation.condition
    return f"{subject} came back" if condition.op == "exists" else f"{subject} {condition.describe()}"


def _answer(line: Mapping[str, Any]) -> Reply | None:
    """The answer a line gives: `reply` text (or a reply document) and/or `call` one tool or a list of them."""
    text, calls = line.get("reply"), line.get("call")
    if text is None and calls is None:
        return None
    tool_calls = [_tool_call(call) for call in (calls if isinstance(calls, list) else [calls])] if calls else None
    if text is None or isinstance(text, str):
        return ContentReply(text, tool_calls, "tool_calls" if tool_calls else "stop")
    reply = reply_from_json(text)
    if tool_calls is None:
        return reply
    if not isinstance(reply, ContentReply) or reply.tool_calls:
        raise ValueError("a line that calls a tool replies with text or nothing beside the call")
    return ContentReply(reply.content, tool_calls, reply.finish_reason or "tool_calls")


def _tool_call(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A `call` as chat spells a tool call; a missing id or missing arguments are filled in when the step is reached."""
    function: dict[str, Any] = {"name": str(raw["name"])}
    arguments = raw.get("arguments")
    if arguments is not None:
        function["arguments"] = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return {"id": raw.get("id"), "type": "function", "function": function}


def completed_answer(reply: Reply | None, request: RequestView, *, seed: str) -> Reply | None:
    """The step's answer with every call given an id and arguments: arguments a call leaves out are generated to
    validate against the parameters schema the request declares for that tool (deterministically, from `seed`)."""
    if not isinstance(reply, ContentReply) or not reply.tool_calls:
        return reply
    declared = declared_tools(request.body)
    transcript = request.transcript
    material = Material.from_texts((transcript.last_user_text if transcript is not None else None) or "")
    calls = []
    for position, call in enumerate(reply.tool_calls):
        function = dict(call["function"])
        if "arguments" not in function:
            schema = declared.get(function["name"], {"type": "object"})
            function["arguments"] = _generated_arguments(schema, random.Random(f"{seed}/{position}"), material)
        call_id = call.get("id") or "call_" + hashlib.sha256(f"{seed}/{position}".encode()).hexdigest()[:24]
        calls.append({"id": call_id, "type": "function", "function": function})
    return replace(reply, tool_calls=calls)


def _generated_arguments(schema: Mapping[str, Any], rng: random.Random, material: Material) -> str:
    try:
        return json.dumps(instance_for_schema(schema, rng, material), ensure_ascii=False)
    except SchemaError:
        # No value satisfies the declared parameters: the handler refuses the request with the real API's 400
        # (invalid_function_parameters) before this answer is sent, so any placeholder will do here.
        return "{}"


def _said(reply: Reply) -> str:
    if not isinstance(reply, ContentReply):
        return describe_reply(reply)
    parts = [] if reply.content is None else [f"reply {reply.content!r}"]
    if reply.tool_calls:
        parts.append(f"call {', '.join(_call_name(call) for call in reply.tool_calls)}")
    return " and ".join(parts)


def _call_name(call: Mapping[str, Any]) -> str:
    return str(call["function"]["name"])
