"""`/v1/conversations` and its items: create, retrieve, update and delete a conversation; add, list, retrieve and
delete its items.

Bodies and queries arrive validated against the derived schemas (the item types a conversation accepts, at most 20
items per request, `limit` 1 to 100); `include` is accepted and changes nothing, because mockai keeps every field of
an item and always shows it. The state lives in `mockai.state.conversations`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.auth import organization
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.conversations import ItemPage, Order


async def create_conversation(request: Request, body: dict[str, Any]) -> Response:
    conversations = services(request).conversations
    return json_response(conversations.create(organization(request), body.get("items"), body.get("metadata")))


async def get_conversation(request: Request, _: None) -> Response:
    conversation_id = request.path_params["conversation_id"]
    return json_response(services(request).conversations.retrieve(organization(request), conversation_id))


async def update_conversation(request: Request, body: dict[str, Any]) -> Response:
    conversation_id = request.path_params["conversation_id"]
    conversations = services(request).conversations
    return json_response(conversations.update(organization(request), conversation_id, body["metadata"]))


async def delete_conversation(request: Request, _: None) -> Response:
    conversation_id = request.path_params["conversation_id"]
    return json_response(services(request).conversations.delete(organization(request), conversation_id))


async def create_conversation_items(request: Request, body: dict[str, Any]) -> Response:
    conversation_id = request.path_params["conversation_id"]
    added = services(request).conversations.create_items(organization(request), conversation_id, body["items"])
    return json_response(ItemPage(added, has_more=False).to_api())


async def list_conversation_items(request: Request, _: None) -> Response:
    query = request.query_params  # validated against listConversationItems.query before the handler runs
    order: Order = "asc" if query.get("order") == "asc" else "desc"
    page = services(request).conversations.list_items(
        organization(request),
        request.path_params["conversation_id"],
        limit=int(query.get("limit", 20)),
        after=query.get("after"),
        order=order,
    )
    return json_response(page.to_api())


async def get_conversation_item(request: Request, _: None) -> Response:
    conversation_id, item_id = request.path_params["conversation_id"], request.path_params["item_id"]
    return json_response(services(request).conversations.item(organization(request), conversation_id, item_id))


async def delete_conversation_item(request: Request, _: None) -> Response:
    conversation_id, item_id = request.path_params["conversation_id"], request.path_params["item_id"]
    conversations = services(request).conversations
    return json_response(conversations.delete_item(organization(request), conversation_id, item_id))
