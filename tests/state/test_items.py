"""Items in their stored shape: every input item the spec allows becomes an item the spec and the strict SDK accept."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from openai.types.conversations.conversation_item import ConversationItem

from mockai.contract import strategies
from mockai.contract.registry import default_registry
from mockai.state.ids import IdFactory
from mockai.state.items import item_type, new_item_id, stored_item

REGISTRY = default_registry()
SDK_ITEM: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ConversationItem)
NOT_STORED = ("item_reference", "compaction_trigger")  # resolved to another item, or an instruction


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(strategies.requests("createConversationItems", registry=REGISTRY))
def test_every_valid_input_item_is_stored_as_a_valid_conversation_item(body: dict[str, Any]) -> None:
    ids = IdFactory(seed=0)
    stored = [stored_item(item, new_item_id(ids, item)) for item in body["items"] if item_type(item) not in NOT_STORED]
    page = {"object": "list", "data": stored, "first_id": None, "last_id": None, "has_more": False}
    assert [error.message for error in REGISTRY.iter_errors("openai/listConversationItems.response", page)] == []
    for item in stored:
        SDK_ITEM.validate_python(item)


@pytest.mark.parametrize(
    ("item", "prefix"),
    [
        ({"role": "user", "content": "Hi"}, "msg_"),
        ({"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}, "fc_"),
        ({"type": "function_call_output", "call_id": "c", "output": "ok"}, "fco_"),
        ({"type": "reasoning", "summary": []}, "rs_"),
        ({"type": "custom_tool_call", "call_id": "c", "name": "f", "input": ""}, "ctc_"),
        ({"type": "additional_tools", "role": "developer", "tools": []}, "item_"),
    ],
    ids=["message", "function-call", "function-call-output", "reasoning", "custom-tool-call", "other-types"],
)
def test_new_ids_carry_the_prefix_of_the_item_type(item: dict[str, Any], prefix: str) -> None:
    assert new_item_id(IdFactory(seed=0), item).startswith(prefix)


def test_a_message_string_becomes_one_text_part_of_the_speaker() -> None:
    assert stored_item({"role": "assistant", "content": "Hi"}, "msg_1")["content"] == [
        {"type": "output_text", "text": "Hi", "annotations": [], "logprobs": []}
    ]
    assert stored_item({"role": "developer", "content": "Be brief"}, "msg_2")["content"] == [
        {"type": "input_text", "text": "Be brief"}
    ]


def test_an_item_without_type_or_role_is_a_reference() -> None:
    assert item_type({"id": "msg_1"}) == "item_reference"
    assert item_type({"role": "user", "content": "Hi"}) == "message"
