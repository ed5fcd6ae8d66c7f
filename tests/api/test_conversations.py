"""`/v1/conversations` and its items through the official SDK with strict validation, and its errors over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY

HELLO = {"role": "user", "content": "Hello!"}
CALL = {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}


def test_create_retrieve_update_delete(client: Any) -> None:
    created = client.conversations.create(items=[HELLO], metadata={"topic": "demo"})
    assert created.object == "conversation" and created.id.startswith("conv_")
    assert created.metadata == {"topic": "demo"} and created.created_at == 1_700_000_000
    assert client.conversations.retrieve(created.id) == created

    updated = client.conversations.update(created.id, metadata={"topic": "other"})
    assert updated.metadata == {"topic": "other"} and updated.id == created.id
    assert client.conversations.retrieve(created.id).metadata == {"topic": "other"}

    deleted = client.conversations.delete(created.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (created.id, "conversation.deleted", True)


def test_a_conversation_without_metadata_has_an_empty_object(client: Any) -> None:
    assert client.conversations.create().metadata == {}


def test_items_are_stored_with_ids_of_their_type_and_listed_newest_first(client: Any) -> None:
    conversation = client.conversations.create(items=[HELLO])
    added = client.conversations.items.create(conversation.id, items=[CALL, OUTPUT])
    assert [item.type for item in added.data] == ["function_call", "function_call_output"]
    assert added.data[0].id.startswith("fc_") and added.data[1].id.startswith("fco_")
    assert (added.first_id, added.last_id, added.has_more) == (added.data[0].id, added.data[1].id, False)

    listed = client.conversations.items.list(conversation.id)
    assert [item.type for item in listed.data] == ["function_call_output", "function_call", "message"]
    message = listed.data[-1]
    assert message.id.startswith("msg_") and message.role == "user" and message.status == "completed"
    assert [(part.type, part.text) for part in message.content] == [("input_text", "Hello!")]
    ascending = client.conversations.items.list(conversation.id, order="asc")
    assert [item.id for item in ascending.data] == [item.id for item in reversed(listed.data)]


def test_items_list_pages_with_after_and_the_sdk_auto_paginates(client: Any) -> None:
    conversation = client.conversations.create(items=[{"role": "user", "content": str(n)} for n in range(5)])
    first = client.conversations.items.list(conversation.id, limit=2, order="asc")
    assert [item.content[0].text for item in first.data] == ["0", "1"] and first.has_more
    assert [item.content[0].text for item in first.get_next_page().data] == ["2", "3"]
    everything = client.conversations.items.list(conversation.id, limit=2, order="asc")
    assert [item.content[0].text for item in everything] == ["0", "1", "2", "3", "4"]


def test_an_empty_conversation_lists_an_empty_page(client: Any, http: httpx.Client) -> None:
    conversation = client.conversations.create()
    assert client.conversations.items.list(conversation.id).data == []
    page = http.get(f"/v1/conversations/{conversation.id}/items").json()
    assert page == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_item_retrieve_and_delete(client: Any) -> None:
    conversation = client.conversations.create(items=[HELLO, {"role": "assistant", "content": "Hi there."}])
    newest = client.conversations.items.list(conversation.id).data[0]
    fetched = client.conversations.items.retrieve(newest.id, conversation_id=conversation.id)
    assert fetched == newest and fetched.role == "assistant"
    assert [(part.type, part.text, part.annotations) for part in fetched.content] == [("output_text", "Hi there.", [])]
    answered = client.conversations.items.delete(newest.id, conversation_id=conversation.id)
    assert answered.id == conversation.id and answered.object == "conversation"
    assert [item.role for item in client.conversations.items.list(conversation.id).data] == ["user"]


def test_include_is_accepted_on_every_item_operation(client: Any) -> None:
    include = ["message.output_text.logprobs", "reasoning.encrypted_content"]
    conversation = client.conversations.create()
    added = client.conversations.items.create(conversation.id, items=[HELLO], include=include)
    assert client.conversations.items.list(conversation.id, include=include).data == added.data
    assert client.conversations.items.retrieve(added.first_id, conversation_id=conversation.id, include=include)


def test_an_item_reference_adds_a_copy_of_the_item(client: Any) -> None:
    source = client.conversations.create(items=[HELLO])
    [quoted] = client.conversations.items.list(source.id).data
    target = client.conversations.create(items=[{"type": "item_reference", "id": quoted.id}])
    assert client.conversations.items.list(target.id).data == [quoted]


def test_conversations_belong_to_their_organization(base_url: str, client: Any) -> None:
    conversation = client.conversations.create(items=[HELLO])
    other = httpx.get(
        f"{base_url}/v1/conversations/{conversation.id}",
        headers={"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": "org-other"},
    )
    assert other.status_code == 404


def test_the_sdk_raises_not_found_for_a_deleted_conversation(client: Any) -> None:
    import openai

    conversation = client.conversations.create(items=[HELLO])
    client.conversations.delete(conversation.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.conversations.items.list(conversation.id)
    assert caught.value.body == {
        "message": f"Conversation with id '{conversation.id}' not found.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


@pytest.fixture(scope="module")
def known(base_url: str) -> dict[str, str]:
    """A conversation with one item, and one deleted conversation, for the error table."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    live = httpx.post(f"{base_url}/v1/conversations", json={"items": [HELLO]}, headers=headers).json()["id"]
    item = httpx.get(f"{base_url}/v1/conversations/{live}/items", headers=headers).json()["first_id"]
    gone = httpx.post(f"{base_url}/v1/conversations", json={}, headers=headers).json()["id"]
    httpx.delete(f"{base_url}/v1/conversations/{gone}", headers=headers)
    return {"live": live, "item": item, "gone": gone}


# (method, path, json body or query, expected status, type, param, code); {live}, {item}, {gone} are filled in.
ERRORS = [
    ("GET", "/v1/conversations/conv_unknown", None, 404, "invalid_request_error", None, None),
    ("GET", "/v1/conversations/{gone}", None, 404, "invalid_request_error", None, None),
    ("POST", "/v1/conversations/{gone}", {"metadata": {}}, 404, "invalid_request_error", None, None),
    ("DELETE", "/v1/conversations/{gone}", None, 404, "invalid_request_error", None, None),
    ("GET", "/v1/conversations/{gone}/items", None, 404, "invalid_request_error", None, None),
    ("POST", "/v1/conversations/{gone}/items", {"items": [HELLO]}, 404, "invalid_request_error", None, None),
    ("GET", "/v1/conversations/{live}/items/msg_unknown", None, 404, "invalid_request_error", None, None),
    ("DELETE", "/v1/conversations/{live}/items/msg_unknown", None, 404, "invalid_request_error", None, None),
    ("GET", "/v1/conversations/{gone}/items/{item}", None, 404, "invalid_request_error", None, None),
    ("POST", "/v1/conversations", {"items": [{"type": "bogus"}]}, 400, "invalid_request_error", "items[0].type",
     "invalid_value"),
    ("POST", "/v1/conversations", {"items": "Hello"}, 400, "invalid_request_error", "items", "invalid_type"),
    ("POST", "/v1/conversations", {"items": [HELLO] * 21}, 400, "invalid_request_error", "items",
     "array_above_max_length"),
    ("POST", "/v1/conversations", {"metadata": {"k": 1}}, 400, "invalid_request_error", "metadata.k",
     "invalid_type"),
    ("POST", "/v1/conversations", {"messages": []}, 400, "invalid_request_error", "messages", "unknown_parameter"),
    ("POST", "/v1/conversations", {"metadata": {f"k{n}": "v" for n in range(17)}}, 400, "invalid_request_error",
     "metadata", "object_above_max_size"),
    ("POST", "/v1/conversations", {"metadata": {"k" * 65: "v"}}, 400, "invalid_request_error", "metadata",
     "string_above_max_length"),
    ("POST", "/v1/conversations/{live}", {"metadata": {"k": "v" * 513}}, 400, "invalid_request_error",
     "metadata.k", "string_above_max_length"),
    ("POST", "/v1/conversations", {"items": [{"type": "item_reference", "id": "msg_unknown"}]}, 404,
     "invalid_request_error", "items[0]", None),
    ("POST", "/v1/conversations/{live}/items", {"items": []}, 400, "invalid_request_error", "items", "empty_array"),
    ("POST", "/v1/conversations/{live}/items", {}, 400, "invalid_request_error", "items",
     "missing_required_parameter"),
    ("POST", "/v1/conversations/{live}/items", {"items": [{**CALL, "id": "{item}"}]}, 400, "invalid_request_error",
     "items[0]", None),
    ("POST", "/v1/conversations/{live}", {}, 400, "invalid_request_error", "metadata", "missing_required_parameter"),
    ("GET", "/v1/conversations/{live}/items?limit=0", None, 400, "invalid_request_error", "limit",
     "integer_below_min_value"),
    ("GET", "/v1/conversations/{live}/items?limit=101", None, 400, "invalid_request_error", "limit",
     "integer_above_max_value"),
    ("GET", "/v1/conversations/{live}/items?limit=many", None, 400, "invalid_request_error", "limit",
     "invalid_type"),
    ("GET", "/v1/conversations/{live}/items?order=sideways", None, 400, "invalid_request_error", "order",
     "invalid_value"),
    ("GET", "/v1/conversations/{live}/items?after=msg_unknown", None, 404, "invalid_request_error", "after", None),
    ("GET", "/v1/conversations/{live}/items?include[]=everything", None, 400, "invalid_request_error",
     "include[0]", "invalid_value"),
    ("PUT", "/v1/conversations/{live}", None, 405, "invalid_request_error", None, "method_not_allowed"),
]  # fmt: skip
ERROR_IDS = [
    "unknown-conversation", "deleted-conversation", "update-deleted", "delete-deleted", "list-items-of-deleted",
    "add-items-to-deleted", "unknown-item", "delete-unknown-item", "item-of-deleted", "bad-item-type",
    "items-not-a-list", "too-many-items", "metadata-not-strings", "unknown-parameter", "metadata-17-pairs",
    "metadata-key-too-long", "metadata-value-too-long", "unknown-item-reference",
    "no-items-to-add", "items-missing", "duplicate-item-id", "update-without-metadata", "limit-0", "limit-101",
    "limit-not-a-number", "bad-order", "unknown-after-cursor", "bad-include", "wrong-method",
]  # fmt: skip


def _filled(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, filled in known.items():
            value = value.replace("{" + name + "}", filled)
        return value
    if isinstance(value, list):
        return [_filled(item, known) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, known) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "status", "kind", "param", "code"), ERRORS, ids=ERROR_IDS)
def test_bad_requests_get_the_real_status_type_param_and_code(
    http: httpx.Client,
    known: dict[str, str],
    method: str,
    path: str,
    body: Any,
    status: int,
    kind: str,
    param: str | None,
    code: str | None,
) -> None:
    answer = http.request(method, _filled(path, known), json=_filled(body, known))
    error = answer.json()["error"]
    assert (answer.status_code, error["type"], error["param"], error["code"]) == (status, kind, param, code)


def test_a_response_in_a_conversation_appends_its_input_and_output(client: Any) -> None:
    conversation = client.conversations.create(items=[{"role": "developer", "content": "Answer briefly."}])
    response = client.responses.create(model="gpt-4o-mini", input="Hello!", conversation=conversation.id)
    items = client.conversations.items.list(conversation.id, order="asc").data
    assert [(item.type, item.role) for item in items] == [
        ("message", "developer"),
        ("message", "user"),
        ("message", "assistant"),
    ]
    assert items[-1].id == response.output[0].id
    assert items[-1].content[0].text == response.output_text


def test_a_response_naming_a_deleted_conversation_is_refused_naming_conversation(client: Any) -> None:
    import openai

    conversation = client.conversations.create()
    client.conversations.delete(conversation.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-4o-mini", input="Hello!", conversation=conversation.id)
    assert caught.value.body["param"] == "conversation"


def test_an_unknown_item_type_is_refused_listing_the_item_types(http: httpx.Client) -> None:
    error = http.post("/v1/conversations", json={"items": [{"type": "bogus"}]}).json()["error"]
    assert error["message"].startswith("Invalid value: 'bogus'. Supported values are: 'message', 'file_search_call'")
    assert "'function_call_output'" in error["message"] and "'item_reference'" in error["message"]
    assert "null" not in error["message"]


def test_rules_see_the_conversation_a_response_continues() -> None:
    from mockai.testing import MockAI
    from tests.conftest import start_server
    from tests.response_guard import ResponseGuard

    server = start_server()  # its own server: the rule must not answer other tests' requests
    guard = ResponseGuard()
    try:
        mockai = MockAI(server.base_url, api_key=API_KEY)
        rule = mockai.responses.reply(
            "Sunny in Paris, as the tool said.", when=mockai.match(called="get_weather", last_role="tool")
        )
        client = guard.openai(server.base_url, api_key=API_KEY)
        conversation = client.conversations.create(items=[HELLO, CALL, OUTPUT])
        response = client.responses.create(model="gpt-4o-mini", input=[], conversation=conversation.id)
        assert response.output_text == "Sunny in Paris, as the tool said." and rule.call_count == 1
        mockai.close()
    finally:
        guard.close()
        server.stop()
    guard.assert_clean()
