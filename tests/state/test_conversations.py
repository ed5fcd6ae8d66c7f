"""The Conversations API's state: items stored in their resource shape, oldest first, per organization, durable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mockai.errors import OpenAIError
from mockai.state.clock import SimulatedClock
from mockai.state.conversations import Conversations
from mockai.state.history import StoredHistory
from mockai.state.ids import IdFactory
from mockai.state.items import stored_item
from mockai.state.store import Store

ORG = "org-a"
CALL = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}


@pytest.fixture
def conversations() -> Iterator[Conversations]:
    store = Store()
    yield Conversations(store, IdFactory(seed=3), SimulatedClock(time_scale=0, start=1_700_000_000))
    store.close()


def test_create_returns_the_conversation_object_and_stores_its_items(conversations: Conversations) -> None:
    created = conversations.create(ORG, [{"role": "user", "content": "Hi"}], {"topic": "demo"})
    assert created == {
        "id": created["id"],
        "object": "conversation",
        "created_at": 1_700_000_000,
        "metadata": {"topic": "demo"},
    }
    assert created["id"].startswith("conv_") and len(created["id"]) == len("conv_") + 48
    assert conversations.retrieve(ORG, created["id"]) == created
    [item] = conversations.items(ORG, created["id"])
    assert item["id"].startswith("msg_")
    assert item == stored_item({"role": "user", "content": "Hi"}, item["id"])


def test_append_gives_each_item_an_id_of_its_type_and_keeps_given_ids(conversations: Conversations) -> None:
    conversation = conversations.create(ORG)["id"]
    given = {"type": "message", "id": "msg_given", "role": "assistant", "content": "Hello", "status": "completed"}
    appended = conversations.append(ORG, conversation, [CALL, OUTPUT, given])
    assert [item["id"][: item["id"].index("_") + 1] for item in appended] == ["fc_", "fco_", "msg_"]
    assert appended[2]["id"] == "msg_given"
    assert appended[2]["content"] == [{"type": "output_text", "text": "Hello", "annotations": [], "logprobs": []}]
    assert [item["status"] for item in appended] == ["completed"] * 3
    assert conversations.items(ORG, conversation) == appended


def test_items_come_back_oldest_first_across_appends(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{"role": "user", "content": "one"}])["id"]
    conversations.append(ORG, conversation, [{"role": "assistant", "content": "two"}])
    conversations.append(ORG, conversation, [{"role": "user", "content": "three"}])
    texts = [item["content"][0]["text"] for item in conversations.items(ORG, conversation)]
    assert texts == ["one", "two", "three"]


@pytest.mark.parametrize("deleted", [False, True], ids=["unknown", "deleted"])
def test_an_unknown_or_deleted_conversation_is_refused_naming_conversation(
    conversations: Conversations, deleted: bool
) -> None:
    conversation = conversations.create(ORG)["id"] if deleted else "conv_unknown"
    if deleted:
        assert conversations.delete(ORG, conversation) == {
            "id": conversation,
            "object": "conversation.deleted",
            "deleted": True,
        }
    for read in (conversations.items, lambda org, cid: conversations.append(org, cid, [OUTPUT])):
        with pytest.raises(OpenAIError) as caught:
            read(ORG, conversation)
        assert (caught.value.status, caught.value.param, caught.value.type) == (
            404,
            "conversation",
            "invalid_request_error",
        )
        assert caught.value.message == f"Conversation with id '{conversation}' not found."
    assert conversations.conversation_items(conversation) is None


def test_another_organization_cannot_see_a_conversation(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{"role": "user", "content": "secret"}])["id"]
    with pytest.raises(OpenAIError):
        conversations.retrieve("org-b", conversation)
    with pytest.raises(OpenAIError):
        conversations.items("org-b", conversation)


def test_update_replaces_metadata(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, metadata={"a": "1"})["id"]
    assert conversations.update(ORG, conversation, {"b": "2"})["metadata"] == {"b": "2"}
    assert conversations.retrieve(ORG, conversation)["metadata"] == {"b": "2"}


def test_list_items_pages_newest_first_by_default(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{"role": "user", "content": str(n)} for n in range(5)])["id"]
    ids = [item["id"] for item in conversations.items(ORG, conversation)]
    first = conversations.list_items(ORG, conversation, limit=2)
    assert [item["id"] for item in first.data] == ids[::-1][:2] and first.has_more
    rest = conversations.list_items(ORG, conversation, limit=10, after=first.data[-1]["id"])
    assert [item["id"] for item in rest.data] == ids[::-1][2:] and not rest.has_more
    ascending = conversations.list_items(ORG, conversation, order="asc", limit=5)
    assert [item["id"] for item in ascending.data] == ids and not ascending.has_more
    assert ascending.to_api()["first_id"] == ids[0] and ascending.to_api()["last_id"] == ids[-1]


def test_delete_item_removes_only_that_item(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [CALL, OUTPUT])
    call_id, output_id = (item["id"] for item in conversations.items(ORG, conversation["id"]))
    assert conversations.delete_item(ORG, conversation["id"], call_id) == conversation
    assert [item["id"] for item in conversations.items(ORG, conversation["id"])] == [output_id]
    with pytest.raises(OpenAIError) as caught:
        conversations.item(ORG, conversation["id"], call_id)
    assert caught.value.status == 404 and caught.value.message == f"Item with id '{call_id}' not found."


def test_an_item_reference_copies_the_item_it_names(conversations: Conversations) -> None:
    source = conversations.create(ORG, [{"role": "user", "content": "quoted"}])["id"]
    [quoted] = conversations.items(ORG, source)
    target = conversations.create(ORG, [{"type": "item_reference", "id": quoted["id"]}])["id"]
    assert conversations.items(ORG, target) == [quoted]
    with pytest.raises(OpenAIError) as caught:
        conversations.create("org-b", [{"type": "item_reference", "id": quoted["id"]}])
    assert (caught.value.status, caught.value.param) == (404, "items[0]")


def test_a_duplicate_item_id_is_refused_and_nothing_is_stored(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{**CALL, "id": "fc_1"}])["id"]
    with pytest.raises(OpenAIError) as caught:
        conversations.append(ORG, conversation, [OUTPUT, {**CALL, "id": "fc_1"}])
    assert (caught.value.status, caught.value.param) == (400, "items[1]")
    assert [item["id"] for item in conversations.items(ORG, conversation)] == ["fc_1"]


def test_stored_history_serves_conversation_items_by_id(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{"role": "user", "content": "Hi"}])["id"]
    history = StoredHistory(conversations)
    assert history.conversation_items(conversation) == conversations.items(ORG, conversation)
    assert history.response_chain("resp_1") is None


def test_reset_forgets_everything(conversations: Conversations) -> None:
    conversation = conversations.create(ORG, [{"role": "user", "content": "Hi"}])["id"]
    conversations.reset()
    assert conversations.conversation_items(conversation) is None


def test_conversations_survive_reopening_a_data_dir(tmp_path: Path) -> None:
    store = Store(tmp_path)
    created = Conversations(store, IdFactory(seed=1), SimulatedClock(time_scale=0)).create(ORG, [CALL], {"k": "v"})
    store.close()
    reopened = Store(tmp_path)
    try:
        again = Conversations(reopened, IdFactory(seed=1, epoch=reopened.epoch), SimulatedClock(time_scale=0))
        assert again.retrieve(ORG, created["id"]) == created
        assert [item["call_id"] for item in again.items(ORG, created["id"])] == ["call_1"]
    finally:
        reopened.close()


def test_a_compaction_trigger_adds_no_item_and_an_empty_id_gets_a_fresh_one(conversations: Conversations) -> None:
    conversation = conversations.create(ORG)["id"]
    added = conversations.append(ORG, conversation, [{"type": "compaction_trigger"}, {**OUTPUT, "id": ""}])
    assert [item["type"] for item in added] == ["function_call_output"] and added[0]["id"].startswith("fco_")
