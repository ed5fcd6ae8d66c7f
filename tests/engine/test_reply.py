"""The generation core: what each choice says (scripted, revised, called, structured or sampled), how it ends, usage."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockai.engine.conversation import (
    Conversation,
    ForcedTool,
    FunctionTool,
    Message,
    OutputFormat,
    RawPrompt,
    TextPart,
    ToolChoice,
    Tools,
)
from mockai.engine.replay import ReplayCache, ReplayRun
from mockai.engine.reply import (
    ChoicePlan,
    ReplyRequest,
    Revision,
    ScriptedCall,
    ScriptedReply,
    Usage,
    plan_reply,
)
from mockai.engine.runs import FixedRun, GenerationModel, Sampling, TextRun, finished
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding

CL100K = get_encoding("cl100k_base")
MODEL = GenerationModel("gpt-test", CL100K, corpus_model("cl100k_base"))
QUESTION = Conversation((Message("user", (TextPart("What is the weather like in Boston today?"),)),))
STORY = RawPrompt(tuple(CL100K.encode("Once upon a time")), "Once upon a time")
WEATHER = FunctionTool(
    "get_weather",
    "Get the current weather in a city",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def _sampling(*, max_output_tokens: int = 12, top_logprobs: int = 0, **knobs: Any) -> Sampling:
    return Sampling(SamplingParams(top_logprobs=top_logprobs), 7, b"fingerprint", max_output_tokens, **knobs)


def _request(*, max_output_tokens: int = 12, top_logprobs: int = 0, **fields: Any) -> ReplyRequest:
    knobs = {name: fields.pop(name) for name in ("choices", "best_of", "first_choice") if name in fields}
    sampling = _sampling(max_output_tokens=max_output_tokens, top_logprobs=top_logprobs, **knobs)
    return ReplyRequest(fields.pop("prompt", QUESTION), MODEL, sampling, 14, **fields)


def _plans(request: ReplyRequest) -> list[ChoicePlan]:
    return [plan.finished() for plan in plan_reply(request, replays=ReplayCache()).choices]


def _content(plan: ChoicePlan) -> TextRun:
    assert plan.content is not None
    return plan.content


def _text(plan: ChoicePlan) -> str:
    return _content(plan).text


def test_a_sampled_reply_is_the_same_for_the_same_request_and_replayed_the_second_time() -> None:
    replays = ReplayCache()
    first = plan_reply(_request(), replays=replays).choices[0]
    assert first.content is not None
    steps = list(first.content)
    again = plan_reply(_request(), replays=replays).choices[0].content
    assert isinstance(again, ReplayRun) and list(again) == steps
    assert "".join(step.text for step in steps) == first.content.text != ""


def test_choice_i_draws_from_stream_i_whatever_the_number_of_choices() -> None:
    three = _plans(_request(prompt=STORY, choices=3))
    alone = [_plans(_request(prompt=STORY, first_choice=i))[0] for i in range(3)]
    assert [_text(plan) for plan in three] == [_text(plan) for plan in alone]
    assert len({_text(plan) for plan in three}) == 3  # three streams, three different texts


def test_a_reply_cut_by_max_output_tokens_is_incomplete() -> None:
    plan = _plans(_request(max_output_tokens=2))[0]
    assert (plan.finish_reason, plan.incomplete_reason, plan.output_tokens) == ("length", "max_output_tokens", 2)


def test_a_scripted_reply_replaces_the_model_with_calls_numbered_by_position() -> None:
    calls = (ScriptedCall("get_weather", '{"city": "Oslo"}'), ScriptedCall("get_weather", "{}", "call_own"))
    scripted = ScriptedReply("Checking.", calls, finish_reason="tool_calls")
    plan = _plans(_request(scripted=scripted))[0]
    assert _text(plan) == "Checking."
    assert [(call.call_id, call.name, call.arguments.text) for call in plan.calls] == [
        ("call_0", "get_weather", '{"city": "Oslo"}'),
        ("call_own", "get_weather", "{}"),
    ]
    assert (plan.finish_reason, plan.incomplete_reason) == ("tool_calls", None)
    assert plan.output_tokens == sum(len(CL100K.encode(text)) for text in ("Checking.", '{"city": "Oslo"}', "{}"))


def test_a_scripted_refusal_is_its_own_run() -> None:
    plan = _plans(_request(scripted=ScriptedReply(refusal="I can't help with that.")))[0]
    assert plan.content is None and plan.refusal is not None
    assert (plan.refusal.text, plan.finish_reason) == ("I can't help with that.", "stop")


def test_a_scripted_reply_is_cut_like_any_other() -> None:
    plan = _plans(_request(max_output_tokens=2, scripted=ScriptedReply("one two three", finish_reason="stop")))[0]
    assert (_text(plan), plan.finish_reason) == ("one two", "length")


def test_a_text_only_format_takes_a_scripts_text_and_nothing_else() -> None:
    scripted = ScriptedReply("Done.", (ScriptedCall("f", "{}"),), refusal="No.")
    plan = _plans(_request(scripted=scripted, text_only=True))[0]
    assert (_text(plan), plan.calls, plan.refusal) == ("Done.", (), None)
    calls_only = _plans(_request(scripted=ScriptedReply(tool_calls=(ScriptedCall("f", "{}"),)), text_only=True))[0]
    assert calls_only.calls == () and _text(calls_only) == _text(_plans(_request())[0])  # the model answered


@pytest.mark.parametrize(
    ("choice", "calls"), [("auto", True), ("required", True), (ForcedTool("get_weather"), True), ("none", False)]
)
def test_tool_choice_decides_whether_the_reply_calls(choice: ToolChoice, calls: bool) -> None:
    plan = _plans(_request(tools=Tools((WEATHER,), choice), top_logprobs=1))[0]
    assert bool(plan.calls) is calls
    if calls:
        (call,) = plan.calls
        assert call.name == "get_weather" and call.call_id.startswith("call_") and len(call.call_id) == 29
        Draft202012Validator(WEATHER.parameters or {}).validate(json.loads(call.arguments.text))
        assert (plan.content, plan.finish_reason) == (None, "tool_calls")
        assert all(len(step.top_logprobs) == 1 for step in call.arguments)
    else:
        assert plan.content is not None and plan.finish_reason in ("stop", "length")


def test_json_mode_wraps_the_generated_answer_and_is_cut_like_any_reply() -> None:
    plan = _plans(_request(output_format=OutputFormat("json_object"), max_output_tokens=200))[0]
    answer = _text(_plans(_request(max_output_tokens=200))[0])
    assert json.loads(_text(plan)) == {"answer": answer}
    cut = _plans(_request(output_format=OutputFormat("json_object"), max_output_tokens=3))[0]
    assert (_text(cut), cut.finish_reason) == ('{"answer":', "length")


def test_a_json_schema_answer_validates_and_takes_the_questions_words() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    plan = _plans(_request(output_format=OutputFormat("json_schema", schema), max_output_tokens=40))[0]
    assert json.loads(_text(plan)) == {"city": "Boston"}


def test_best_of_returns_the_likeliest_candidates_in_drawing_order_and_bills_them_all() -> None:
    prompt = STORY
    drawn = [
        finished(_content(plan))
        for plan in plan_reply(_request(prompt=prompt, choices=3), replays=ReplayCache()).choices
    ]
    likelihood = [sum(step.logprob for step in run) for run in drawn]
    best = sorted(sorted(range(3), key=lambda i: -likelihood[i])[:2])
    reply = plan_reply(_request(prompt=prompt, choices=2, best_of=3), replays=ReplayCache())
    assert [_text(plan) for plan in reply.choices] == [drawn[i].text for i in best]
    assert reply.usage == Usage(14, sum(run.completion_tokens for run in drawn))


def test_an_edit_corrects_the_source_and_adds_text_unless_only_corrections_are_asked() -> None:
    prompt = RawPrompt(tuple(CL100K.encode("Fix it\n\nthe wek\n\n")), "Fix it\n\nthe wek\n\n")
    fixed = _plans(_request(prompt=prompt, revision=Revision("the wek", "Fix the spelling")))[0]
    assert (_text(fixed), fixed.finish_reason) == ("the week", "stop")
    continued = _plans(_request(prompt=prompt, revision=Revision("the wek", "Continue the story"), max_output_tokens=1))
    assert _text(continued[0]).startswith("the week\n") and continued[0].finish_reason == "stop"


def test_usage_adds_up() -> None:
    total = Usage(10, 5, cached_tokens=2) + Usage(3, 4, reasoning_tokens=1)
    assert (total.input_tokens, total.output_tokens, total.total_tokens) == (13, 9, 22)
    assert (total.cached_tokens, total.reasoning_tokens) == (2, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"choices": 0}, "self.choices=0 must be at least 1"),
        ({"choices": 2, "best_of": 1}, "self.best_of=1 must be at least self.choices=2"),
        ({"max_output_tokens": -1}, "self.max_output_tokens=-1 must not be negative"),
    ],
    ids=["no-choices", "best-of-below-n", "negative-budget"],
)
def test_sampling_refuses_impossible_settings(fields: dict[str, Any], message: str) -> None:
    base = Sampling(SamplingParams(), 0, b"", 1)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        dataclasses.replace(base, **fields)


def test_a_decided_run_lists_itself_as_its_only_alternative() -> None:
    run = FixedRun("Hi there", CL100K, "stop", max_tokens=None, top_logprobs=2)
    assert [[(top.token, top.logprob) for top in step.top_logprobs] for step in run] == [
        [("Hi", 0.0)],
        [(" there", 0.0)],
    ]
