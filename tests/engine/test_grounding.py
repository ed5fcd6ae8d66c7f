"""Tests for grounded generation: covered questions get their answer, follow-ups use the conversation."""

from __future__ import annotations

import json
import random

import pytest

from mockai._paths import resource_dir
from mockai.engine.chat_format import render_chat_prompt
from mockai.engine.corpus import read_corpus
from mockai.engine.generate import GenerationRun
from mockai.engine.grounding import language_of
from mockai.engine.sampler import SamplingParams
from mockai.engine.token_model import corpus_model
from mockai.engine.tokenizer import get_encoding

ENCODING = get_encoding("cl100k_base")
MODEL = corpus_model("cl100k_base")
ANSWERS = {question: pair.answer for pair in read_corpus() for question in pair.questions}


def reply(*turns: str, temperature: float = 0.0, seed: int = 0) -> str:
    roles = ["user", "assistant"]
    messages = [{"role": roles[index % 2], "content": text} for index, text in enumerate(turns)]
    prompt = ENCODING.encode(render_chat_prompt(messages), disallowed_special=())
    run = GenerationRun(
        MODEL.for_prompt(prompt),
        prompt,
        SamplingParams(temperature=temperature),
        random.Random(seed),
        encoding=ENCODING,
        max_tokens=400,
        end_token=ENCODING.eot_token,
    )
    list(run)
    return run.text


@pytest.mark.parametrize(
    ("asked", "corpus_question"),
    [
        ("What is the capital of France?", "What is the capital of France?"),
        ("Which city is the capital of Japan?", "What is the capital of Japan?"),
        ("我出门没带钱包 怎么买饭", "我出门没带钱包，怎么买饭？"),
        ("Say this is a test!", "Say this is a test!"),
    ],
    ids=["exact", "paraphrase", "seed-wallet", "docs-example"],
)
def test_at_temperature_zero_a_covered_question_gets_its_answer(asked: str, corpus_question: str) -> None:
    assert reply(asked) == ANSWERS[corpus_question]


def test_higher_temperatures_vary_the_answer_and_stay_on_it() -> None:
    replies = {reply("How do I cook rice?", temperature=1.0, seed=seed) for seed in range(5)}
    assert len(replies) > 1
    assert all("rice" in text.lower() or "water" in text.lower() for text in replies)


def test_simple_arithmetic_is_answered_exactly() -> None:
    assert reply("What's 2 + 2?") == "2 + 2 = 4."


def test_a_follow_up_is_answered_with_the_conversation_as_context() -> None:
    assert "Berlin" in reply("What is the capital of France?", "The capital of France is Paris.", "And Germany?")
    umbrella = reply("昨天下雨了,我出门没带伞,会怎么样", "您可能会被淋湿。", "如果带了呢")
    wallet = reply("我出门没带钱包 怎么买饭", "可以用手机付款。", "如果带了呢")
    assert umbrella == ANSWERS["如果带了伞呢？"]
    assert wallet == ANSWERS["如果带了钱包呢？"]


def test_every_question_of_the_seed_dialogue_gets_the_answer_to_it() -> None:
    seed = json.loads((resource_dir("fixtures") / "seed_conversation.json").read_text(encoding="utf-8"))
    messages = seed["chat_request"]["messages"]
    expected = {  # the user turn (by position) → a phrase its answer must hold
        0: "没有带伞",
        2: "带了伞，就可以避免被雨淋湿",
        5: "在下雨前把伞弄丢了",
        7: "引擎",
        9: "大型模型",
        12: "又及时买了一把新的",
        14: "伞坏了",
    }
    for position, phrase in expected.items():
        turns = [message["content"] for message in messages[: position + 1]]
        roles = [message["role"] for message in messages[: position + 1]]
        prompt = ENCODING.encode(
            render_chat_prompt([{"role": r, "content": c} for r, c in zip(roles, turns, strict=True)]),
            disallowed_special=(),
        )
        run = GenerationRun(
            MODEL.for_prompt(prompt), prompt, SamplingParams(temperature=0), random.Random(0),
            encoding=ENCODING, max_tokens=400, end_token=ENCODING.eot_token,
        )  # fmt: skip
        list(run)
        assert phrase in run.text, (messages[position]["content"], run.text)


@pytest.mark.parametrize("question", ["How do I care for a bonsai tree?", "怎样养金鱼？"], ids=["en", "zh"])
def test_an_uncovered_question_gets_text_in_its_language(question: str) -> None:
    text = reply(question)
    assert text and language_of(text) == language_of(question)


def test_a_fine_tuned_model_keeps_the_corpus_knowledge() -> None:
    assert MODEL.adapted([[1, 2, ENCODING.eot_token]]).knowledge is MODEL.knowledge
