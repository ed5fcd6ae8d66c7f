"""Trimming to the context window: prompt plus reply budget always fits; newest history first, whole exchanges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.dialogue.context import Window, build_context
from mockai.dialogue.errors import Code, DialogueError
from mockai.engine.chat_format import count_chat_tokens
from mockai.engine.tokenizer import get_encoding
from mockai.state.dialogue_history import Exchange
from tests.dialogue.conftest import seed_questions

CL100K = get_encoding("cl100k_base")


def window(context_window: int, reply_tokens: int = 16, model: str = "gpt-3.5-turbo") -> Window:
    return Window(model, CL100K, context_window, reply_tokens)


def history(*pairs: tuple[str, str]) -> list[Exchange]:
    return [Exchange(f"q{i}", question, answer) for i, (question, answer) in enumerate(pairs)]


def test_a_roomy_window_keeps_the_whole_conversation_in_order() -> None:
    questions = seed_questions()
    past = history(*[(q, f"回答{i}") for i, q in enumerate(questions[:-1])])
    context = build_context(past, questions[-1], window(16385, 512), system_prompt="你是一个助手。")
    expected = [{"role": "system", "content": "你是一个助手。"}]
    for exchange in past:
        expected += [{"role": "user", "content": exchange.question}, {"role": "assistant", "content": exchange.answer}]
    assert context.messages == [*expected, {"role": "user", "content": questions[-1]}]
    assert (context.kept_turns, context.dropped_turns) == (2 * len(past), 0)
    assert context.prompt_tokens == count_chat_tokens(context.messages, CL100K, model="gpt-3.5-turbo")


def test_the_oldest_exchanges_go_first_and_whole() -> None:
    past = history(("one " * 20, "uno " * 20), ("two", "dos"), ("three", "tres"))
    tight = window(60, reply_tokens=16)
    context = build_context(past, "four?", tight)
    assert [m["content"] for m in context.messages] == ["two", "dos", "three", "tres", "four?"]
    assert context.dropped_turns == 2
    assert context.prompt_tokens + 16 <= 60


def test_the_system_prompt_and_the_question_are_never_dropped() -> None:
    past = history(("long " * 50, "reply " * 50))
    context = build_context(past, "q", window(40, reply_tokens=8), system_prompt="Be brief.")
    assert context.messages == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "q"}]
    assert context.dropped_turns == 2


def test_a_question_that_alone_cannot_fit_is_refused_with_its_code() -> None:
    with pytest.raises(DialogueError) as refused:
        build_context([], "word " * 100, window(64, reply_tokens=16))
    assert refused.value.code == Code.QUESTION_TOO_LONG
    assert refused.value.status == 400
    assert "context window is 64 tokens and 16 are kept for the answer" in refused.value.message


@pytest.mark.parametrize(
    ("context_window", "reply_tokens", "message"),
    [(100, 0, "reply_tokens=0 must be positive"), (100, 100, "must exceed")],
    ids=["no-reply-budget", "budget-fills-window"],
)
def test_impossible_windows_are_refused_eagerly(context_window: int, reply_tokens: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window(context_window, reply_tokens)


texts = st.text(st.sampled_from("ab 雨伞你好,。\n"), min_size=0, max_size=40)


@given(
    pairs=st.lists(st.tuples(texts, texts), max_size=8),
    question=texts.filter(str.strip),
    system_prompt=st.none() | texts.filter(str.strip),
    context_window=st.integers(60, 400),
    model=st.sampled_from(["gpt-3.5-turbo", "gpt-3.5-turbo-0301"]),
)
def test_what_is_sent_always_fits_and_is_the_newest_history_that_does(
    pairs: list[tuple[str, str]], question: str, system_prompt: str | None, context_window: int, model: str
) -> None:
    limits = window(context_window, reply_tokens=20, model=model)
    past = history(*pairs)
    try:
        context = build_context(past, question, limits, system_prompt=system_prompt)
    except DialogueError as refused:
        assert refused.code == Code.QUESTION_TOO_LONG
        alone = [{"role": "system", "content": system_prompt}] if system_prompt else []
        alone.append({"role": "user", "content": question})
        assert count_chat_tokens(alone, CL100K, model=model) + 20 > context_window
        return
    counted = count_chat_tokens(context.messages, CL100K, model=model)
    assert counted == context.prompt_tokens
    assert counted + 20 <= context_window
    assert context.messages[-1] == {"role": "user", "content": question}
    assert (context.messages[0]["role"] == "system") == bool(system_prompt)
    kept = len(past) - context.dropped_turns // 2
    newest = past[len(past) - kept :]
    body = context.messages[1 if system_prompt else 0 : -1]
    assert body == [
        m for e in newest for m in ({"role": "user", "content": e.question}, {"role": "assistant", "content": e.answer})
    ]
    if kept < len(past):  # the next older exchange really would not have fit
        older = past[len(past) - kept - 1]
        extra = [{"role": "user", "content": older.question}, {"role": "assistant", "content": older.answer}]
        bigger = [*context.messages[: 1 if system_prompt else 0], *extra, *body, context.messages[-1]]
        assert count_chat_tokens(bigger, CL100K, model=model) + 20 > context_window
