"""Stored chat completions (`store: true`) through the official SDK: list, retrieve, update, delete, messages."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY
from tests.response_guard import ResponseGuard

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def sdk(server: ServerThread, guard: ResponseGuard, org: str, *, strict: bool = True) -> Any:
    return guard.openai(server.base_url, api_key=API_KEY, organization=org, _strict_response_validation=strict)


def ask(client: Any, text: str, **options: Any) -> Any:
    return client.chat.completions.create(
        model=options.pop("model", "gpt-4o-mini"), messages=[{"role": "user", "content": text}], **options
    )


def test_a_stored_completion_is_retrieved_as_it_was_sent(server: ServerThread, response_guard: ResponseGuard) -> None:
    client = sdk(server, response_guard, "org-store-retrieve")
    created = ask(client, "Say this is a test!", store=True, metadata={"team": "qa"}, temperature=0.5)
    stored = client.chat.completions.retrieve(created.id)
    assert stored.model_dump(include=set(created.model_fields_set)) == created.model_dump(
        include=set(created.model_fields_set)
    )
    extra = stored.model_extra or {}
    assert (stored.metadata, extra["temperature"], extra["top_p"], extra["request_id"].startswith("req_")) == (
        {"team": "qa"},
        0.5,
        1.0,
        True,
    )


def test_a_completion_not_stored_is_not_found(server: ServerThread, response_guard: ResponseGuard) -> None:
    client = sdk(server, response_guard, "org-store-none")
    created = ask(client, "Hello!")
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.retrieve(created.id)
    assert missing.value.body == {
        "message": f"Completion {created.id} not found",
        "type": "invalid_request_error",
        "param": "completion_id",
        "code": "not_found",
    }


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"n": 2, "logprobs": True, "top_logprobs": 2},
        {"tools": [WEATHER_TOOL], "tool_choice": "required"},
        {"stream_options": {"include_usage": True}},
    ],
    ids=["plain", "two choices with logprobs", "a tool call", "usage chunk"],
)
def test_a_streamed_completion_is_stored_as_the_plain_one(
    server: ServerThread, response_guard: ResponseGuard, options: dict[str, Any]
) -> None:
    client = sdk(server, response_guard, "org-store-stream")
    question = "What's the weather in Paris?"
    plain = ask(client, question, seed=7, **{k: v for k, v in options.items() if k != "stream_options"})
    with ask(client, question, seed=7, store=True, stream=True, **options) as stream:
        streamed_id = next(iter(stream)).id
        list(stream)
    stored = client.chat.completions.retrieve(streamed_id)
    assert [choice.model_dump() for choice in stored.choices] == [choice.model_dump() for choice in plain.choices]
    assert (stored.usage, stored.created, stored.model) == (plain.usage, plain.created, plain.model)


def test_lists_filter_by_model_and_metadata_and_page_oldest_first(
    server: ServerThread, response_guard: ResponseGuard
) -> None:
    client = sdk(server, response_guard, "org-store-list")
    made = [
        ask(client, "one", store=True, metadata={"run": "a"}),
        ask(client, "two", store=True, metadata={"run": "b"}, model="gpt-4o"),
        ask(client, "three", store=True, metadata={"run": "a", "extra": "yes"}),
        ask(client, "four", store=False),
    ]
    ids = [c.id for c in made[:3]]
    assert [c.id for c in client.chat.completions.list()] == ids
    assert [c.id for c in client.chat.completions.list(order="desc")] == ids[::-1]
    assert [c.id for c in client.chat.completions.list(model="gpt-4o")] == [ids[1]]
    assert [c.id for c in client.chat.completions.list(metadata={"run": "a"})] == [ids[0], ids[2]]
    first = client.chat.completions.list(limit=2)
    assert ([c.id for c in first.data], first.has_more, first.last_id) == (ids[:2], True, ids[1])
    assert [c.id for c in client.chat.completions.list(limit=2, after=first.last_id).data] == [ids[2]]
    assert [c.id for c in client.chat.completions.list(limit=2)] == ids  # the SDK follows the pages


def test_metadata_is_replaced_and_a_deleted_completion_is_gone(
    server: ServerThread, response_guard: ResponseGuard
) -> None:
    client = sdk(server, response_guard, "org-store-update")
    created = ask(client, "Hello!", store=True, metadata={"old": "1"})
    updated = client.chat.completions.update(created.id, metadata={"new": "2"})
    assert updated.metadata == {"new": "2"} and updated.choices == created.choices
    assert client.chat.completions.retrieve(created.id).metadata == {"new": "2"}
    deleted = client.chat.completions.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "chat.completion.deleted")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.retrieve(created.id)
    assert list(client.chat.completions.list()) == []


def test_messages_are_the_request_s_input_paged_in_order(server: ServerThread, response_guard: ResponseGuard) -> None:
    # The SDK types a stored message as the assistant's (role Literal["assistant"]); the input messages are
    # user and system messages, so this reads them with a lax client.
    client = sdk(server, response_guard, "org-store-messages", strict=False)
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "user", "content": [{"type": "text", "text": "What is this?"}]},
    ]
    created = client.chat.completions.create(model="gpt-4o-mini", messages=messages, store=True)
    first = client.chat.completions.messages.list(created.id, limit=2)
    assert [(m.id, m.role, m.content) for m in first.data] == [
        (f"{created.id}-0", "system", "Be brief."),
        (f"{created.id}-1", "user", "Hi"),
    ]
    assert first.has_more and (first.model_extra or {})["last_id"] == f"{created.id}-1"
    rest = client.chat.completions.messages.list(created.id, limit=2, after=f"{created.id}-1").data
    assert [(m.content, m.content_parts[0].text) for m in rest] == [("What is this?", "What is this?")]
    newest = client.chat.completions.messages.list(created.id, order="desc", limit=1).data
    assert [m.id for m in newest] == [f"{created.id}-2"]


def test_other_organizations_cannot_see_stored_completions(server: ServerThread, response_guard: ResponseGuard) -> None:
    created = ask(sdk(server, response_guard, "org-store-owner"), "Hello!", store=True)
    other = sdk(server, response_guard, "org-store-stranger")
    assert list(other.chat.completions.list()) == []
    for call in (other.chat.completions.retrieve, other.chat.completions.delete, other.chat.completions.messages.list):
        with pytest.raises(openai.NotFoundError):
            call(created.id)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param", "code"),
    [
        ("POST", "/v1/chat/completions/chatcmpl-nope", {"metadata": {"a": "b"}}, 404, "completion_id", "not_found"),
        ("POST", "/v1/chat/completions/{id}", {}, 400, "metadata", "missing_required_parameter"),
        ("POST", "/v1/chat/completions/{id}", {"metadata": {"a": 1}}, 400, "metadata.a", "invalid_type"),
        ("POST", "/v1/chat/completions/{id}", {"metadata": {}, "model": "x"}, 400, "model", "unknown_parameter"),
        ("GET", "/v1/chat/completions?limit=many", None, 400, "limit", "invalid_type"),
        ("GET", "/v1/chat/completions?order=sideways", None, 400, "order", "invalid_value"),
        ("GET", "/v1/chat/completions/chatcmpl-nope/messages", None, 404, "completion_id", "not_found"),
        ("DELETE", "/v1/chat/completions/chatcmpl-nope", None, 404, "completion_id", "not_found"),
    ],
    ids=[
        "update unknown",
        "update without metadata",
        "metadata value not text",
        "update anything else",
        "limit not a number",
        "order not asc or desc",
        "messages of unknown",
        "delete unknown",
    ],
)
def test_bad_requests_get_the_real_errors(
    http: httpx.Client,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    param: str,
    code: str,
) -> None:
    headers = {"OpenAI-Organization": "org-store-errors"}
    created = http.post(
        "/v1/chat/completions",
        headers=headers,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "store": True},
    ).json()
    response = http.request(method, path.format(id=created["id"]), json=body, headers=headers)
    error = response.json()["error"]
    assert (response.status_code, error["type"], error["param"], error["code"]) == (
        status,
        "invalid_request_error",
        param,
        code,
    )
