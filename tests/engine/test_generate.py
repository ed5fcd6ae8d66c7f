"""Tests for generation runs: streamed text equals final text, stops, lengths, UTF-8 and logprobs."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.chat_format import render_chat_prompt
from mockai.engine.generate import DEFAULT_MAX_TOKENS, GenerationRun, TokenStep, token_display
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding

CL100K = get_encoding("cl100k_base")
R50K = get_encoding("r50k_base")
GREEDY = SamplingParams(temperature=0)


class Script:
    """A model that proposes a fixed continuation (then the end token) with a decoy runner-up."""

    def __init__(self, tokens: Sequence[int], prompt_length: int, end: int, decoy: int = 0) -> None:
        self.tokens, self.prompt_length, self.end, self.decoy = list(tokens), prompt_length, end, decoy

    def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
        position = len(context) - self.prompt_length
        wanted = self.tokens[position] if position < len(self.tokens) else self.end
        return {wanted: 0.0, self.decoy: -3.0}


def _scripted_run(text: str, *, encoding: object = CL100K, **options: object) -> tuple[GenerationRun, list[TokenStep]]:
    enc = CL100K if encoding is CL100K else R50K
    script = Script(enc.encode(text), prompt_length=1, end=enc.eot_token)
    run = GenerationRun(script, [0], GREEDY, random.Random(0), encoding=enc, end_token=enc.eot_token, **options)  # type: ignore[arg-type]
    return run, list(run)


def test_the_end_token_stops_without_being_text_or_counted() -> None:
    run, steps = _scripted_run("Hello world.", max_tokens=50)
    assert run.finish_reason == "stop"
    assert run.text == "Hello world."
    assert run.completion_tokens == len(steps) == len(CL100K.encode("Hello world."))


def test_max_tokens_ends_with_length() -> None:
    run, steps = _scripted_run("one two three four five six", max_tokens=3)
    assert (run.finish_reason, run.completion_tokens, len(steps)) == ("length", 3, 3)
    assert run.text == "one two three"


def test_zero_max_tokens_yields_nothing() -> None:
    run, steps = _scripted_run("anything", max_tokens=0)
    assert (steps, run.text, run.finish_reason) == ([], "", "length")


def _distinct_words(count: int) -> list[int]:
    """Tokens that are each a whole word (" word"): no repeats, no sentence end, so nothing may end the text."""
    words = (
        token
        for token in range(1000, CL100K.n_vocab)
        if re.fullmatch(rb" [a-z]{3,}", CL100K.decode_single_token_bytes(token))
    )
    return list(itertools.islice(words, count))


def test_no_max_tokens_means_the_documented_cap() -> None:
    script = Script(_distinct_words(DEFAULT_MAX_TOKENS + 10), prompt_length=1, end=CL100K.eot_token)
    run = GenerationRun(script, [0], GREEDY, random.Random(0), encoding=CL100K, max_tokens=None, end_token=100257)
    assert sum(1 for _ in run) == DEFAULT_MAX_TOKENS and run.finish_reason == "length"


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        (["world"], "Hello "),
        (["lo wor"], "Hel"),
        (["xyz", ". B"], "Hello world"),
        (["world!"], "Hello world. Bye now"),  # a prefix that never completes is released
        (["now"], "Hello world. Bye "),
    ],
    ids=["one-token", "spanning-tokens", "second-of-two", "never-completes", "at-the-end"],
)
def test_stop_sequences_cut_the_text(stop: list[str], expected: str) -> None:
    run, steps = _scripted_run("Hello world. Bye now", max_tokens=50, stop=stop)
    assert run.text == expected
    assert "".join(step.text for step in steps) == expected
    assert run.finish_reason == "stop"


def test_text_that_may_become_a_stop_is_held_then_released() -> None:
    _, steps = _scripted_run("Hello world. Bye now", max_tokens=50, stop=["world!"])
    texts = [step.text for step in steps]
    assert texts[CL100K.encode("Hello world. Bye now").index(CL100K.encode(" world")[0])] == " "  # "world" held
    assert "".join(texts) == "Hello world. Bye now"


def test_a_stop_sequence_counts_the_tokens_that_produced_it() -> None:
    run, steps = _scripted_run("Hello world. Bye now", max_tokens=50, stop=["world"])
    assert run.completion_tokens == len(steps) == 2


def test_multi_byte_characters_are_held_until_complete() -> None:
    run, steps = _scripted_run("下雨了", encoding=R50K, max_tokens=50)
    assert run.text == "下雨了"
    assert any(step.text == "" and step.token_str.startswith("bytes:\\x") for step in steps)
    assert [step.text_offset for step in steps] == sorted(step.text_offset for step in steps)


def test_text_offsets_point_into_the_final_text() -> None:
    run, steps = _scripted_run("Say this is a test", max_tokens=50)
    for step in steps:
        assert run.text[step.text_offset : step.text_offset + len(step.text)] == step.text


def test_incomplete_characters_only_take_continuation_tokens() -> None:
    lead = R50K.encode("下")[0]  # r50k splits 下 into byte tokens; its first one leaves the character open
    assert token_display(R50K.decode_single_token_bytes(lead)).startswith("bytes:")
    ascii_token = R50K.encode("A")[0]

    class Eager:
        def next_token_logits(self, context: Sequence[int]) -> dict[int, float]:
            if len(context) == 1:
                return {lead: 0.0}
            continuation = R50K.encode("下")[1]
            return {ascii_token: 0.0, continuation: -4.0} if len(context) == 2 else {R50K.eot_token: 0.0}

    run = GenerationRun(Eager(), [0], GREEDY, random.Random(0), encoding=R50K, max_tokens=5, end_token=R50K.eot_token)
    list(run)
    assert run.text == "下"


def test_a_dangling_byte_at_the_length_limit_becomes_a_replacement_character() -> None:
    run, steps = _scripted_run("下雨", encoding=R50K, max_tokens=1)
    assert run.text == "\ufffd" == "".join(step.text for step in steps)


def test_logprobs_and_alternatives_are_reported() -> None:
    prompt = CL100K.encode("If you forgot your")
    params = SamplingParams(top_logprobs=5)
    model = corpus_model("cl100k_base")
    run = GenerationRun(model, prompt, params, random.Random(2), encoding=CL100K, max_tokens=4, end_token=100257)
    for step in run:
        assert step.logprob <= 0.0
        assert len(step.top_logprobs) == 5
        assert step.top_logprobs[0].logprob >= step.top_logprobs[-1].logprob
        assert all(bytes(alt.bytes).decode("utf-8", "replace") or alt.token for alt in step.top_logprobs)
        assert step.token_bytes == list(CL100K.decode_single_token_bytes(step.token))


def test_a_run_iterates_once_and_rejects_negative_lengths() -> None:
    run, _ = _scripted_run("hi", max_tokens=5)
    with pytest.raises(RuntimeError, match="only once"):
        iter(run)
    with pytest.raises(ValueError, match="max_tokens=-1"):
        _scripted_run("hi", max_tokens=-1)


_PROMPTS = [
    [{"role": "user", "content": "昨天下雨了,我出门没带伞,会怎么样"}],
    [{"role": "user", "content": "I forgot my wallet. Can I still buy food?"}],
    [{"role": "user", "content": "你是什么引擎"}, {"role": "assistant", "content": "我是一个语言模型。"}],
]
_STOPS = st.lists(st.sampled_from(["。", "伞", ".", " the", "\n", "you", "如果", "，您"]), max_size=4)


@given(
    seed=st.integers(min_value=0, max_value=2**32),
    prompt=st.sampled_from(_PROMPTS),
    stop=_STOPS,
    temperature=st.floats(min_value=0.0, max_value=2.0),
    top_p=st.floats(min_value=0.05, max_value=1.0),
    max_tokens=st.integers(min_value=0, max_value=60),
)
def test_streamed_text_is_the_final_text_and_runs_are_reproducible(
    seed: int, prompt: list[dict[str, str]], stop: list[str], temperature: float, top_p: float, max_tokens: int
) -> None:
    model = corpus_model("cl100k_base")
    prompt_ids = CL100K.encode(render_chat_prompt(prompt), disallowed_special=())
    params = SamplingParams(temperature=temperature, top_p=top_p, frequency_penalty=0.3)

    def run_once() -> tuple[GenerationRun, list[TokenStep]]:
        run = GenerationRun(
            model.for_prompt(prompt_ids),
            prompt_ids,
            params,
            random.Random(seed),
            encoding=CL100K,
            max_tokens=max_tokens,
            stop=stop,
            end_token=CL100K.eot_token,
        )
        return run, list(run)

    run, steps = run_once()
    again, steps_again = run_once()
    assert "".join(step.text for step in steps) == run.text
    assert steps == steps_again and run.text == again.text
    assert not any(sequence in run.text for sequence in stop)
    assert run.completion_tokens == len(steps) <= max_tokens
    assert run.finish_reason in ("stop", "length")
