"""The stored history Responses requests continue, as one `ConversationHistory`: conversations and response chains.

Rules and scenarios read a request's whole conversation (`mockai.control.transcript`), which may live in two stores:
the Conversations API's items (`conversation`) and the Responses API's stored responses (`previous_response_id`).
`StoredHistory` answers for both by delegating each half to the store that owns it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockai.control.transcript import StoredResponse


class ResponseChains(Protocol):
    """The Responses API's half: a stored response and the ones it continues."""

    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        """The stored responses from the chain's first to `response_id` itself, oldest first; None when unknown."""


class ConversationItems(Protocol):
    """The Conversations API's half: a conversation's items."""

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        """The items of a stored conversation, oldest first; None when unknown."""


@dataclass
class StoredHistory:
    """A `ConversationHistory` over the stores that hold each half (no responses store: no chain is known).

    >>> class NoConversations:
    ...     def conversation_items(self, conversation_id):
    ...         return None
    >>> StoredHistory(NoConversations()).response_chain("resp_1") is None
    True
    """

    conversations: ConversationItems
    responses: ResponseChains | None = None

    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        return None if self.responses is None else self.responses.response_chain(response_id)

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        return self.conversations.conversation_items(conversation_id)
