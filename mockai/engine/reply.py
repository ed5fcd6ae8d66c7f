"""The generation core: given a `ReplyRequest`, what does the model say, how does each choice end, what does it cost.

Every API family that generates text is a renderer of this module's answer. Its handler translates the wire request
into a `ReplyRequest` (a neutral conversation or a raw prompt, the model, sampling, tools, output format, and the
control plane's scripted reply if a rule chose one), `plan_reply` returns a `Reply`, and the handler renders the
reply's choices as a JSON body or as stream events. A `ChoicePlan`'s content, refusal and tool-call arguments are
`TextRun`s: the non-streamed body reads them to the end, the stream maps the very same steps to events, so both are
equal by construction. Each choice is decided, in this order, by:

1. a scripted reply (the rule's text, calls, refusal and finish reason, cut by `max_output_tokens` like any reply);
2. an edit's revision of its input (`Revision`);
3. tool planning (`engine/tool_calls.py`) when functions are declared, then the output format: a JSON object, or an
   instance of the caller's JSON Schema (`engine/structured.py`);
4. the token model, sampled from the choice's own random stream (played back from the replay cache when exactly this
   run has finished before).

>>> from mockai.engine.conversation import Conversation, Message, TextPart
>>> from mockai.engine.replay import ReplayCache
>>> from mockai.engine.sampler import SamplingParams
>>> from mockai.engine.token_model import corpus_model
>>> from mockai.engine.tokenizer import get_encoding
>>> model = GenerationModel("gpt-4o-mini", get_encoding("cl100k_base"), corpus_model("cl100k_base"))
>>> sampling = Sampling(SamplingParams(), seed=7, fingerprint=b"request", max_output_tokens=6)
>>> question = Conversation((Message("user", (TextPart("What is the weather in Paris?"),)),))
>>> scripted = ScriptedReply(content="Sunny, 24 degrees.")
>>> reply = plan_reply(ReplyRequest(question, model, sampling, 14, scripted=scripted), replays=ReplayCache())
>>> choice = reply.choices[0]
>>> [step.text for step in choice.content]
['S', 'unny', ',', ' ', '24', ' degrees']
>>> choice.finish_reason, choice.incomplete_reason, reply.usage.total_tokens
('length', 'max_output_tokens', 20)
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from mockai.engine.conversation import (
    NO_TOOLS,
    TEXT,
    Conversation,
    ForcedTool,
    FunctionTool,
    OutputFormat,
    RawPrompt,
    ToolChoice,
    Tools,
    render_prompt,
)
from mockai.engine.edit import CORRECTION_ONLY, corpus_vocabulary
from mockai.engine.json_mode import requested_schema
from mockai.engine.replay import ReplayCache, ReplayRun
from mockai.engine.runs import (
    FixedRun,
    GenerationModel,
    RunSource,
    Sampling,
    TextRun,
    choice_rng,
    finished,
    total_logprob,
)
from mockai.engine.scripted import ScriptedCall, ScriptedReply
from mockai.engine.structured import Material, SchemaError, instance_for_schema
from mockai.engine.tool_calls import plan_tool_call

__all__ = [
    "EDIT_ADDITION_TOKENS",
    "CallPlan",
    "ChoicePlan",
    "Reply",
    "ReplyRequest",
    "Revision",
    "ScriptedCall",
    "ScriptedReply",
    "Usage",
    "plan_reply",
    "structured_answer",
]

#: An edit whose instruction asks for more than corrections gets at most this many model-written tokens added.
EDIT_ADDITION_TOKENS = 64
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#: Finish reasons that leave a Responses response `incomplete`, with their `incomplete_details.reason`.
_INCOMPLETE = {"length": "max_output_tokens", "content_filter": "content_filter"}


# --- input -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """Edits: the reply is `source` revised as `instruction` asks (spelling corrected, see `engine/edit.py`; text added
    by the model unless the instruction asks only for corrections)."""

    source: str
    instruction: str


@dataclass(frozen=True)
class ReplyRequest:
    """Everything the core needs to plan a reply.

    `prompt` is a conversation (chat, Responses) or a raw prompt (completions, edits). `prompt_tokens` is counted by
    the wire format's own documented rule before the core runs, because the API checks it against the context window
    first. `text_only` marks a wire format that shows nothing but text (completions, edits): a scripted reply without
    content does not apply there, and scripted calls and refusals are not given. `sampling.max_output_tokens` cuts
    every reply, scripted ones included.
    """

    prompt: Conversation | RawPrompt
    model: GenerationModel
    sampling: Sampling
    prompt_tokens: int
    tools: Tools = NO_TOOLS
    output_format: OutputFormat = TEXT
    scripted: ScriptedReply | None = None
    revision: Revision | None = None
    text_only: bool = False


# --- output ----------------------------------------------------------------------------------------------------------
# Plans are transient: `plan_reply` builds them for one request and a renderer reads them once. They hold live runs,
# so they are plain (slotted) dataclasses rather than frozen ones, which cost several times more to build, per request.


@dataclass(slots=True)
class CallPlan:
    """A tool call of the reply: its id, the function's name, its JSON arguments as token steps."""

    call_id: str
    name: str
    arguments: TextRun


@dataclass(slots=True)
class Usage:
    """What a reply cost, in tokens of the model's encoding.

    `cached_tokens` are prompt tokens served from a prompt cache and `reasoning_tokens` output tokens spent on
    reasoning; mockai keeps no prompt cache and its replies have no reasoning yet, so both are 0 for now.
    """

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_tokens + other.cached_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(slots=True)
class ChoicePlan:
    """One choice: content (None: the model said no text), a refusal, tool calls, and how it ended.

    Read `finish_reason`, `incomplete_reason` and `output_tokens` once its runs are consumed (a stream reads them at
    its end, a body after collecting).
    """

    content: TextRun | None = None
    refusal: TextRun | None = None
    calls: tuple[CallPlan, ...] = ()
    scripted_finish: str | None = None

    @property
    def runs(self) -> tuple[TextRun, ...]:
        """Every run of the choice, in output order: content, refusal, each call's arguments."""
        if not self.calls and self.refusal is None:
            return () if self.content is None else (self.content,)  # the common case, kept cheap
        texts = tuple(run for run in (self.content, self.refusal) if run is not None)
        return texts + tuple(call.arguments for call in self.calls)

    @property
    def finish_reason(self) -> str:
        """`length` when max_output_tokens cut any part (a scripted reply included), else the rule's finish reason,
        else `tool_calls` when the reply calls tools, else how the content ended (`stop`)."""
        for run in self.runs:
            if run.finish_reason == "length":
                return "length"
        if self.scripted_finish is not None:
            return self.scripted_finish
        if self.calls:
            return "tool_calls"
        return (self.content.finish_reason if self.content is not None else None) or "stop"

    @property
    def incomplete_reason(self) -> str | None:
        """Why a Responses response is `incomplete` (`max_output_tokens`, `content_filter`); None: `completed`."""
        return _INCOMPLETE.get(self.finish_reason)

    @property
    def output_tokens(self) -> int:
        total = 0
        for run in self.runs:
            total += run.completion_tokens
        return total

    def finished(self) -> ChoicePlan:
        """The same plan with every run readable again (live runs read to their end and kept), for a body that reads
        steps and texts more than once."""
        for run in self.runs:
            if not isinstance(run, FixedRun | ReplayRun):
                break
        else:
            return self  # decided or played back: readable again already (the common case of a repeated request)
        content = _kept(self.content) if self.content is not None else None
        refusal = _kept(self.refusal) if self.refusal is not None else None
        calls = tuple(CallPlan(call.call_id, call.name, _kept(call.arguments)) for call in self.calls)
        return ChoicePlan(content, refusal, calls, self.scripted_finish)


@dataclass(slots=True)
class Reply:
    """The choices the model gives, and what they cost (`usage`, exact once the choices' runs are consumed).

    Candidates drawn for `best_of` but not returned are billed too (`discarded_tokens`), as the real API bills them.
    """

    choices: tuple[ChoicePlan, ...]
    prompt_tokens: int
    discarded_tokens: int = 0

    @property
    def usage(self) -> Usage:
        output = self.discarded_tokens
        for choice in self.choices:
            output += choice.output_tokens
        return Usage(self.prompt_tokens, output)


# --- planning --------------------------------------------------------------------------------------------------------


def plan_reply(request: ReplyRequest, *, replays: ReplayCache) -> Reply:
    """Plan every choice of the reply (content runs stay lazy unless `best_of` has to rank finished candidates).

    `replays` keeps finished sampled runs: a run is a pure function of its inputs, so a repeat is played back.
    """
    prompt = request.prompt
    runs = RunSource(
        request.model, request.sampling, prompt.ids if isinstance(prompt, RawPrompt) else render_prompt(prompt), replays
    )
    sampling = request.sampling
    first = sampling.first_choice
    plans = [_plan_choice(request, runs, index) for index in range(first, first + sampling.candidates)]
    if sampling.candidates == sampling.choices:
        return Reply(tuple(plans), request.prompt_tokens)
    candidates = [plan.finished() for plan in plans]
    ranked = sorted(range(len(candidates)), key=lambda i: (-_choice_logprob(candidates[i]), i))
    chosen = sorted(ranked[: sampling.choices])  # the best, in the order they were drawn
    discarded = sum(candidates[i].output_tokens for i in range(len(candidates)) if i not in chosen)
    return Reply(tuple(candidates[i] for i in chosen), request.prompt_tokens, discarded)


def _plan_choice(request: ReplyRequest, runs: RunSource, index: int) -> ChoicePlan:
    scripted = request.scripted
    if scripted is not None and (scripted.content is not None or not request.text_only):
        return _scripted(scripted, runs, text_only=request.text_only)
    if request.revision is not None:
        return ChoicePlan(_revised(request.revision, runs, index))
    return _decided(request, runs, index)


def _scripted(scripted: ScriptedReply, runs: RunSource, *, text_only: bool) -> ChoicePlan:
    """A rule's reply, cut into token steps like generated text (so it streams and counts the same way)."""
    content = runs.decided(scripted.content) if scripted.content is not None else None
    if text_only:
        return ChoicePlan(content, scripted_finish=scripted.finish_reason)
    refusal = runs.decided(scripted.refusal) if scripted.refusal is not None else None
    calls = tuple(
        CallPlan(call.call_id or f"call_{position}", call.name, runs.decided(call.arguments))
        for position, call in enumerate(scripted.tool_calls)
    )
    return ChoicePlan(content, refusal, calls, scripted.finish_reason)


def _decided(request: ReplyRequest, runs: RunSource, index: int) -> ChoicePlan:
    """Tool planning and the output format decide the reply when the request has either; otherwise the model talks."""
    output_format = request.output_format
    if not request.tools.declared and not output_format.structured:
        return ChoicePlan(runs.generated(index))  # the common case: nothing to decide
    functions = [tool.definition() for tool in request.tools.declared if isinstance(tool, FunctionTool)]
    if not functions and not output_format.structured:
        return ChoicePlan(runs.generated(index))
    sampling = request.sampling
    rng = choice_rng(sampling.seed, sampling.fingerprint + b"/decided", index)
    planned = plan_tool_call(functions, _wire_choice(request.tools.choice), _chat_messages(request.prompt), rng)
    if planned is not None:
        call_id = "call_" + "".join(rng.choices(_ID_ALPHABET, k=24))
        return ChoicePlan(calls=(CallPlan(call_id, planned.name, runs.decided(planned.arguments)),))
    generated = runs.generated(index)
    if output_format.structured:
        answer = finished(generated).text
        return ChoicePlan(runs.decided(structured_answer(output_format, answer, request.prompt, rng)))
    return ChoicePlan(generated)


def structured_answer(
    output_format: OutputFormat, answer: str, conversation: Conversation | RawPrompt, rng: random.Random
) -> str:
    """A JSON schema gets a valid instance of it; JSON mode an instance of the shape the messages ask for (an
    embedded JSON Schema or named keys), else an object around the generated text. Values come from the last user
    message and the generated answer."""
    question = conversation.last_user_text() if isinstance(conversation, Conversation) else conversation.text
    material = Material.from_texts(question, answer)
    if output_format.kind == "json_object":
        requested = requested_schema(_chat_messages(conversation))
        if requested is None:
            return json.dumps({"answer": answer}, ensure_ascii=False)
        try:
            return json.dumps(instance_for_schema(requested, rng, material), ensure_ascii=False)
        except SchemaError:  # a schema quoted in a message is text, not a parameter: fall back, never refuse
            return json.dumps({"answer": answer}, ensure_ascii=False)
    schema = output_format.schema or {"type": "object"}
    return json.dumps(instance_for_schema(schema, rng, material), ensure_ascii=False)


def _wire_choice(choice: ToolChoice) -> object:
    """`tool_choice` as `plan_tool_call` reads it (the chat wire form)."""
    return {"type": "function", "function": {"name": choice.name}} if isinstance(choice, ForcedTool) else choice


def _chat_messages(prompt: Conversation | RawPrompt) -> list[dict[str, Any]]:
    """The conversation as chat messages (role, text, calls), the form tool planning reads."""
    if isinstance(prompt, RawPrompt):
        return [{"role": "user", "content": prompt.text}]
    messages: list[dict[str, Any]] = []
    for role, text, calls in prompt.turns():
        message: dict[str, Any] = {"role": role, "content": text}
        if calls:
            message["tool_calls"] = [
                {"id": call.call_id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call in calls
            ]
        messages.append(message)
    return messages


def _choice_logprob(plan: ChoicePlan) -> float:
    return sum(total_logprob(run) for run in plan.runs)


def _kept(run: TextRun) -> TextRun:
    """A decided or played-back run can already be read again; only a live run needs keeping."""
    return run if isinstance(run, FixedRun | ReplayRun) else finished(run)


def _revised(revision: Revision, runs: RunSource, index: int) -> FixedRun:
    """The edit: the source with its spelling corrected, then (unless only corrections were asked for) up to
    `EDIT_ADDITION_TOKENS` tokens the model writes. An edit is never cut: the endpoint has no `max_tokens`."""
    corrected = corpus_vocabulary().correct_text(revision.source)
    text = corrected
    if not CORRECTION_ONLY.search(revision.instruction) or not revision.source:
        limit = min(runs.sampling.max_output_tokens, EDIT_ADDITION_TOKENS)
        addition = finished(runs.generated(index, max_tokens=limit)).text.strip()
        text = f"{corrected.rstrip()}\n{addition}".strip() if addition else corrected
    return FixedRun(text, runs.model.encoding, "stop", max_tokens=None)
