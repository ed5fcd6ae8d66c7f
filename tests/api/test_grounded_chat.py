"""Chat replies that answer the question, end where text ends, and never loop, through the official SDK."""

from __future__ import annotations

import re
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockai.engine.guard import natural_end
from tests.conftest import API_KEY


def ask(client: Any, question: str, **options: Any) -> Any:
    completion = client.chat.completions.create(
        model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}], **options
    )
    return completion.choices[0], completion.usage


def test_the_wallet_question_ends_with_stop_in_under_200_tokens(client: Any) -> None:
    choice, usage = ask(client, "我出门没带钱包 怎么买饭", temperature=0)
    assert choice.finish_reason == "stop"
    assert usage.completion_tokens < 200
    assert "钱包" in choice.message.content


def test_the_seed_umbrella_question_is_answered_about_umbrellas_and_rain(client: Any) -> None:
    choice, _ = ask(client, "昨天下雨了,我出门没带伞,会怎么样", temperature=0)
    assert "伞" in choice.message.content and "雨" in choice.message.content
    assert choice.finish_reason == "stop"


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What is the capital of France?", "Paris"),
        ("What's 2 + 2?", "4"),
        ("Say this is a test!", "This is a test"),
        ("Hello!", "How can I help"),
    ],
    ids=["capital", "arithmetic", "docs-test", "docs-hello"],
)
def test_the_questions_people_try_first_get_their_answers(client: Any, question: str, says: str) -> None:
    choice, _ = ask(client, question, temperature=0)
    assert says in choice.message.content
    assert not choice.message.content.startswith((" ", "\n"))  # no stray leading space


def test_a_follow_up_is_answered_in_context(client: Any) -> None:
    messages = [
        {"role": "user", "content": "我出门没带钱包 怎么买饭"},
        {"role": "assistant", "content": "可以先用手机付款。"},
        {"role": "user", "content": "如果带了呢"},
    ]
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=messages, temperature=0)
    assert "带了钱包" in completion.choices[0].message.content


_QUESTIONS = st.sampled_from(
    [
        "我出门没带钱包 怎么买饭",
        "昨天下雨了,我出门没带伞,会怎么样",
        "如果带了呢",
        "What should I eat for lunch?",
        "How do I learn Python?",
        "Tell me about quantum chromodynamics",
        "我想学吉他",
        "往往往往",
        "the the the the the",
        "Hello!",
    ]
)
_LOOP = re.compile(r"(.{1,30}?)\1{2,}", re.DOTALL)


@settings(max_examples=12)
@given(
    question=_QUESTIONS,
    temperature=st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0]),
    seed=st.integers(0, 1000),
)
def test_replies_never_loop_and_end_only_where_text_ends(
    base_url: str, question: str, temperature: float, seed: int
) -> None:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0)
    choice, _ = ask(client, question, temperature=temperature, seed=seed)
    text = choice.message.content
    assert choice.finish_reason == "stop"  # a natural length: nothing cut it
    assert natural_end(text), text
    assert not any(re.search(r"[^\W\d_]", match.group(1)) for match in _LOOP.finditer(text)), text
