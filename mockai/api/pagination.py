"""The HTTP side of cursor pagination: read `limit`, `order`, `after` from a query, write the list envelope.

The query was validated against the operation's query schema by the endpoint wrapper, so `limit` is an integer and
`order` one of its enum here. The pages themselves come from `mockai.state.pagination`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.responses import json_response
from mockai.state.pagination import Order, Page, PageQuery

T = TypeVar("T")


def page_query(request: Request, *, default_limit: int, default_order: Order = Order.DESC) -> PageQuery:
    """The page a list request asks for, with the operation's documented defaults."""
    params = request.query_params
    raw_limit = params.get("limit")
    return PageQuery(
        limit=default_limit if raw_limit is None else max(int(raw_limit), 0),
        order=Order(params["order"]) if params.get("order") else default_order,
        after=params.get("after") or None,
    )


def metadata_filter(request: Request) -> dict[str, str]:
    """The `metadata[key]=value` pairs of a list query: an object must carry every one of them."""
    return {
        name[len("metadata[") : -1]: value
        for name, value in request.query_params.multi_items()
        if name.startswith("metadata[") and name.endswith("]")
    }


def page_response(page: Page[T], render: Callable[[T], Mapping[str, Any]], *, cursors: bool = True) -> Response:
    """The list envelope: `data`, `has_more`, and (where the operation documents them) `first_id`/`last_id`, which
    are null on an empty page."""
    data = [render(item) for item in page.items]
    body: dict[str, Any] = {"object": "list", "data": data}
    if cursors:
        body["first_id"] = data[0]["id"] if data else None
        body["last_id"] = data[-1]["id"] if data else None
    body["has_more"] = page.has_more
    return json_response(body)
