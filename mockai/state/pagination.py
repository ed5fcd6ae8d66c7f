"""Cursor pagination, once for every list endpoint: a page of a resource's objects by `limit`, `order` and id cursors.

The real API pages by object id: `after=ID` starts the page just past that object in the requested order (none of
the lists mockai serves documents `before`). Every service hands its objects oldest first with the function that
names their ids, and this module does the rest, so files, jobs, events, checkpoints, batches and stored chat
completions page alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Order(StrEnum):
    ASC = "asc"  # oldest first
    DESC = "desc"  # newest first


@dataclass(frozen=True)
class PageQuery:
    """What a caller asked for; `limit` may be 0 (the spec sets no minimum: an empty page that says whether more
    exist).

    >>> PageQuery(limit=2, order=Order.DESC).limit
    2
    """

    limit: int
    order: Order = Order.DESC
    after: str | None = None

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError(f"{self.limit=} must be >= 0")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page and whether objects follow it in the requested order."""

    items: list[T]
    has_more: bool


def paginate(oldest_first: Sequence[T], key: Callable[[T], str], query: PageQuery) -> Page[T]:
    """The page `query` names.

    A cursor naming no object of the list (deleted since, another organization's, never issued) gives an empty page
    with `has_more` false: a client following `last_id` stops cleanly instead of starting over.

    >>> page = paginate(["a", "b", "c", "d"], str, PageQuery(limit=2, order=Order.ASC, after="a"))
    >>> page.items, page.has_more
    (['b', 'c'], True)
    """
    ordered = list(oldest_first) if query.order is Order.ASC else list(reversed(oldest_first))
    if query.after is not None:
        ids = [key(item) for item in ordered]
        if query.after not in ids:
            return Page([], False)
        ordered = ordered[ids.index(query.after) + 1 :]
    return Page(ordered[: query.limit], len(ordered) > query.limit)
