"""`DialogueService.ask`: context from history, idempotent question ids, one question at a time per conversation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai._paths import resource_dir
from mockai.dialogue import errors
from mockai.dialogue.errors import Code, DialogueError
from mockai.dialogue.service import AnswerDelta, Answered, AskEvent, DialogueConfig, DialogueService, Question
from mockai.state.catalog import ModelCatalog
from mockai.state.dialogue_history import ConversationKey, DialogueHistory
from mockai.state.store import Store
from tests.dialogue.conftest import ScriptedBackend, seed_questions

KEY = ConversationKey("org-a", "123", "456")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store()
    yield store
    store.close()


def make_service(store: Store, **config: object) -> DialogueService:
    catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json")
    return DialogueService(DialogueHistory(store), catalog, DialogueConfig(**config))  # type: ignore[arg-type]


@pytest.fixture
def service(store: Store) -> DialogueService:
    return make_service(store)


async def events(service: DialogueService, question: Question, backend: ScriptedBackend) -> list[AskEvent]:
    return [event async for event in service.ask(question, backend, stream=True)]


async def answer(service: DialogueService, question: Question, backend: ScriptedBackend) -> Answered:
    final = (await events(service, question, backend))[-1]
    assert isinstance(final, Answered)
    return final


def test_the_seed_replayed_question_by_question_sends_the_whole_context_once(
    service: DialogueService, backend: ScriptedBackend
) -> None:
    questions = seed_questions()

    async def replay() -> None:
        for question in questions:
            await answer(service, Question(KEY, question), backend)

    asyncio.run(replay())
    assert len(backend.calls) == len(questions)
    for asked, call in enumerate(backend.calls):
        expected = []
        for question in questions[:asked]:
            expected += [{"role": "user", "content": question}, {"role": "assistant", "content": f"answer:{question}"}]
        assert call["messages"] == [*expected, {"role": "user", "content": questions[asked]}]
        assert call["model"] == "gpt-3.5-turbo" and call["max_tokens"] == 512
    # The seed's logged request repeated user turns (retries); here roles strictly alternate, each question once.
    turns = service.history(KEY)
    assert [t.role for t in turns] == ["user", "assistant"] * len(questions)
    assert [t.content for t in turns if t.role == "user"] == questions


def test_deltas_carry_the_question_id_and_add_up_to_the_answer(
    service: DialogueService, backend: ScriptedBackend
) -> None:
    got = asyncio.run(events(service, Question(KEY, "如果带了呢"), backend))
    deltas, final = got[:-1], got[-1]
    assert isinstance(final, Answered)
    assert all(isinstance(d, AnswerDelta) and d.question_id == final.exchange.question_id for d in deltas)
    assert "".join(d.text for d in deltas if isinstance(d, AnswerDelta)) == "answer:如果带了呢"
    assert final.to_json() == {
        "question_id": final.exchange.question_id,
        "answer": "answer:如果带了呢",
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        "turns": 1,
        "trimmed_turns": 0,
        "replayed": False,
    }


def test_a_repeated_question_id_replays_the_stored_answer_without_asking_again(
    service: DialogueService, backend: ScriptedBackend
) -> None:
    async def twice() -> tuple[Answered, Answered]:
        first = await answer(service, Question(KEY, "你俩哪里不一样", "retry-1"), backend)
        return first, await answer(service, Question(KEY, "你俩哪里不一样", "retry-1"), backend)

    first, again = asyncio.run(twice())
    assert len(backend.calls) == 1
    assert again.replayed and again.exchange == first.exchange
    assert [t.content for t in service.history(KEY)] == ["你俩哪里不一样", "answer:你俩哪里不一样"]


def test_a_question_id_reused_for_another_question_is_a_conflict(
    service: DialogueService, backend: ScriptedBackend
) -> None:
    asyncio.run(answer(service, Question(KEY, "first", "q"), backend))
    with pytest.raises(DialogueError) as refused:
        asyncio.run(answer(service, Question(KEY, "second", "q"), backend))
    assert refused.value.code == Code.QUESTION_ID_CONFLICT and refused.value.status == 409


def test_assigned_question_ids_are_the_same_in_every_run() -> None:
    def run_once() -> list[str]:
        store = Store()
        try:
            service = make_service(store)
            backend = ScriptedBackend()
            return [asyncio.run(answer(service, Question(KEY, q), backend)).exchange.question_id for q in ("a", "a")]
        finally:
            store.close()

    first = run_once()
    assert first == run_once()
    assert len(set(first)) == 2


def test_two_concurrent_questions_do_not_interleave(service: DialogueService) -> None:
    gate = asyncio.Event()
    backend = ScriptedBackend(gate=gate)

    async def overlap() -> None:
        first = asyncio.create_task(answer(service, Question(KEY, "one"), backend))
        await backend.entered.wait()
        second = asyncio.create_task(answer(service, Question(KEY, "two"), backend))
        for _ in range(5):  # let the second task run as far as it can: it must wait for the conversation
            await asyncio.sleep(0)
        assert len(backend.calls) == 1
        gate.set()
        await asyncio.gather(first, second)

    asyncio.run(overlap())
    assert [call["messages"][-1]["content"] for call in backend.calls] == ["one", "two"]
    assert [m["content"] for m in backend.calls[1]["messages"]] == ["one", "answer:one", "two"]
    assert [t.content for t in service.history(KEY)] == ["one", "answer:one", "two", "answer:two"]


def test_other_conversations_are_not_held_up(service: DialogueService) -> None:
    gate = asyncio.Event()
    held = ScriptedBackend(gate=gate)
    free = ScriptedBackend()

    async def side_by_side() -> None:
        slow = asyncio.create_task(answer(service, Question(KEY, "slow"), held))
        await held.entered.wait()
        other = ConversationKey("org-a", "999", "456")
        assert (await answer(service, Question(other, "fast"), free)).exchange.answer == "answer:fast"
        gate.set()
        await slow

    asyncio.run(side_by_side())
    assert len(service.history(KEY)) == 2


def test_a_failed_backend_stores_nothing_and_a_retry_works(service: DialogueService) -> None:
    failing = ScriptedBackend(fail_with=errors.upstream_unreachable("connection refused"))
    with pytest.raises(DialogueError) as refused:
        asyncio.run(answer(service, Question(KEY, "q", "id-1"), failing))
    assert refused.value.code == Code.UPSTREAM_UNREACHABLE
    assert service.history(KEY) == []
    assert asyncio.run(answer(service, Question(KEY, "q", "id-1"), ScriptedBackend())).exchange.question_id == "id-1"


def test_a_client_leaving_mid_answer_releases_the_conversation(service: DialogueService) -> None:
    async def leave_then_ask() -> Answered:
        stream = service.ask(Question(KEY, "gone"), ScriptedBackend(), stream=True)
        assert isinstance(await anext(stream), AnswerDelta)
        await stream.aclose()
        return await asyncio.wait_for(answer(service, Question(KEY, "back"), ScriptedBackend()), timeout=5)

    assert asyncio.run(leave_then_ask()).exchange.answer == "answer:back"
    assert [t.content for t in service.history(KEY)] == ["back", "answer:back"]


def test_the_system_prompt_leads_and_the_reply_budget_is_the_max_tokens(store: Store) -> None:
    service = make_service(store, system_prompt="用中文回答。", reply_tokens=64, model="gpt-4")
    backend = ScriptedBackend()
    asyncio.run(answer(service, Question(KEY, "hi"), backend))
    assert backend.calls[0]["messages"][0] == {"role": "system", "content": "用中文回答。"}
    assert (backend.calls[0]["model"], backend.calls[0]["max_tokens"]) == ("gpt-4", 64)


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"model": "no-such-model"}, "not a chat model"),
        ({"model": "text-embedding-ada-002"}, "not a chat model"),
        ({"model": "gpt-3.5-turbo-0301", "reply_tokens": 5000}, "no room beside the reply budget"),
    ],
    ids=["unknown", "not-chat", "window-too-small"],
)
def test_an_unusable_model_is_reported_not_crashed_on(store: Store, config: dict[str, object], reason: str) -> None:
    service = make_service(store, **config)
    with pytest.raises(DialogueError) as refused:
        asyncio.run(answer(service, Question(KEY, "hi"), ScriptedBackend()))
    assert refused.value.code == Code.MODEL_UNAVAILABLE and reason in refused.value.message


def test_a_long_conversation_is_trimmed_and_says_so(store: Store) -> None:
    service = make_service(store, model="gpt-3.5-turbo-0301", reply_tokens=4000)
    backend = ScriptedBackend()

    async def chat() -> Answered:
        for index in range(6):
            await answer(service, Question(KEY, f"question {index} " + "雨" * 10), backend)
        return await answer(service, Question(KEY, "last"), backend)

    final = asyncio.run(chat())
    assert final.exchange.trimmed_turns > 0
    assert final.exchange.context_turns == len(backend.calls[-1]["messages"])
    assert backend.calls[-1]["messages"][-1]["content"] == "last"


@pytest.mark.parametrize("question_id", ["shared", ""], ids=["client-chosen", "server-assigned"])
def test_an_answer_stored_meanwhile_by_another_process_wins(store: Store, question_id: str) -> None:
    # Two servers on one data dir have separate locks; the second to finish replays the first one's answer.
    first, second = make_service(store), make_service(store)
    backend = ScriptedBackend()

    async def race() -> Answered:
        stream = second.ask(Question(KEY, "q", question_id), backend, stream=True)
        assert isinstance(await anext(stream), AnswerDelta)
        await answer(first, Question(KEY, "q", question_id), ScriptedBackend())
        rest = [event async for event in stream]
        final = rest[-1]
        assert isinstance(final, Answered)
        return final

    final = asyncio.run(race())
    assert final.replayed
    assert len(second.history(KEY)) == 2


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["下雨了", "如果带了呢", "你是什么引擎"]), st.sampled_from(["", "id-1", "id-2"])),
        max_size=10,
    )
)
def test_any_run_of_asks_and_retries_keeps_one_exchange_per_question_id(steps: list[tuple[str, str]]) -> None:
    store = Store()
    try:
        service, backend = make_service(store), ScriptedBackend()
        asked: dict[str, str] = {}  # question_id → question: what a correct server has stored
        expected: list[str] = []
        for question, question_id in steps:
            if question_id and asked.get(question_id, question) != question:
                with pytest.raises(DialogueError):
                    asyncio.run(answer(service, Question(KEY, question, question_id), backend))
                continue
            final = asyncio.run(answer(service, Question(KEY, question, question_id), backend))
            assert final.replayed == (question_id in asked)
            if not final.replayed:
                asked[final.exchange.question_id] = question
                expected.append(question)
        turns = service.history(KEY)
        assert [t.content for t in turns if t.role == "user"] == expected
        assert [t.role for t in turns] == ["user", "assistant"] * len(expected)
        assert len(backend.calls) == len(expected)
        assert len({t.question_id for t in turns}) == len(expected)
    finally:
        store.close()
