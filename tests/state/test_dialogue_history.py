"""Dialogue history in the store: exchanges per key, oldest first; idempotent ids; reset; durable across reopening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockai.state.dialogue_history import ConversationKey, DialogueHistory, DuplicateQuestion, Exchange, _derived_id
from mockai.state.store import Store

KEY = ConversationKey("org-a", "123", "456")


@pytest.fixture
def conversations() -> Iterator[DialogueHistory]:
    store = Store()
    yield DialogueHistory(store)
    store.close()


def test_exchanges_come_back_oldest_first_as_alternating_turns(conversations: DialogueHistory) -> None:
    conversations.add(KEY, Exchange("q1", "first?", "one", {"total_tokens": 3}, 1, 0))
    conversations.add(KEY, Exchange("q2", "second?", "two", None, 3, 0))
    assert [e.question_id for e in conversations.exchanges(KEY)] == ["q1", "q2"]
    assert [(t.role, t.content, t.question_id) for t in conversations.turns(KEY)] == [
        ("user", "first?", "q1"),
        ("assistant", "one", "q1"),
        ("user", "second?", "q2"),
        ("assistant", "two", "q2"),
    ]
    assert conversations.find(KEY, "q1") == Exchange("q1", "first?", "one", {"total_tokens": 3}, 1, 0)


def test_conversations_are_separate_per_org_user_and_group(conversations: DialogueHistory) -> None:
    conversations.add(KEY, Exchange("q1", "mine", "a"))
    for other in (ConversationKey("org-b", "123", "456"), ConversationKey("org-a", "124", "456")):
        assert conversations.exchanges(other) == []
    assert conversations.find(ConversationKey("org-a", "123", "457"), "q1") is None


def test_a_question_id_is_stored_once(conversations: DialogueHistory) -> None:
    conversations.add(KEY, Exchange("q1", "once", "a"))
    with pytest.raises(DuplicateQuestion, match="q1"):
        conversations.add(KEY, Exchange("q1", "once", "b"))
    assert len(conversations.turns(KEY)) == 2


def test_assigned_ids_are_reproducible_and_fresh_within_a_conversation(conversations: DialogueHistory) -> None:
    first = conversations.new_question_id(KEY, "same")
    assert first == conversations.new_question_id(KEY, "same")
    assert first.startswith("q-") and len(first) == 26
    conversations.add(KEY, Exchange(first, "same", "a"))
    assert conversations.new_question_id(KEY, "same") != first


def test_an_assigned_id_skips_one_a_client_already_chose(conversations: DialogueHistory) -> None:
    # The id the server would derive next (one exchange asked, first attempt), taken by a client beforehand.
    clash = _derived_id(KEY.org, KEY.user_id, KEY.group_id, 1, 0, "q")
    conversations.add(KEY, Exchange(clash, "client's own", "a"))
    assigned = conversations.new_question_id(KEY, "q")
    assert assigned != clash
    assert assigned == _derived_id(KEY.org, KEY.user_id, KEY.group_id, 1, 1, "q")


def test_delete_forgets_one_conversation_and_reports_its_turns(conversations: DialogueHistory) -> None:
    other = ConversationKey("org-a", "123", "other")
    conversations.add(KEY, Exchange("q1", "a", "b"))
    conversations.add(KEY, Exchange("q2", "c", "d"))
    conversations.add(other, Exchange("q1", "e", "f"))
    assert conversations.delete(KEY) == 4
    assert conversations.exchanges(KEY) == []
    assert len(conversations.exchanges(other)) == 1
    conversations.reset()
    assert conversations.exchanges(other) == []


def test_conversations_survive_reopening_a_data_dir(tmp_path: Path) -> None:
    store = Store(tmp_path)
    DialogueHistory(store).add(KEY, Exchange("q1", "如果带了呢", "那就不会淋湿。", {"total_tokens": 9}, 1, 0))
    store.close()
    reopened = Store(tmp_path)
    try:
        assert DialogueHistory(reopened).find(KEY, "q1") == Exchange(
            "q1", "如果带了呢", "那就不会淋湿。", {"total_tokens": 9}, 1, 0
        )
    finally:
        reopened.close()
