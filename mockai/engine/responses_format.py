"""Responses API items as the generation core reads them: the neutral conversation and its exact token count.

A Responses request's context is a list of items (its stored history, then its `input`): messages whose content is a
string or parts (`input_text`, `output_text`, `input_image`, `input_file`, `refusal`), `function_call` and
`function_call_output` items, reasoning items. `responses_conversation` maps them one to one onto the core's
`Conversation`; `count_input_tokens` is the prompt the model reads, in tokens of the model's encoding, the same number
`POST /v1/responses/input_tokens` answers and `usage.input_tokens` bills.

>>> from mockai.engine.tokenizer import get_encoding
>>> items = input_items("Hello!")
>>> items
[{'type': 'message', 'role': 'user', 'content': [{'type': 'input_text', 'text': 'Hello!'}]}]
>>> conversation = responses_conversation(items, instructions="Be brief.")
>>> [turn.role for turn in conversation.turns()]
['system', 'user']
>>> count_input_tokens(conversation, get_encoding("o200k_base"))
41
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import tiktoken

from mockai.engine.chat_format import IMAGE_PART_TOKENS
from mockai.engine.conversation import (
    Conversation,
    FilePart,
    ImagePart,
    Item,
    Message,
    Part,
    Reasoning,
    RefusalPart,
    TextPart,
    ToolCall,
    ToolResult,
    render_prompt,
)

__all__ = [
    "MESSAGE_ROLES",
    "count_definition_tokens",
    "count_input_tokens",
    "input_items",
    "item_kind",
    "responses_conversation",
]

#: Roles a message item may have in `input`.
MESSAGE_ROLES = frozenset({"user", "assistant", "system", "developer"})


def input_items(value: str | Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """`input` as a list of items: a string is one user message with one `input_text` part (the real API stores it
    so: `GET /v1/responses/{id}/input_items` lists it that way)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}]
    return [dict(item) for item in value]


def item_kind(item: Mapping[str, Any]) -> str:
    """An item's type; an easy message (`{"role", "content"}`) may leave it out."""
    kind = item.get("type")
    return str(kind) if kind is not None else "message"


def responses_conversation(items: Iterable[Mapping[str, Any]], *, instructions: str | None = None) -> Conversation:
    """The context as the core's conversation; items that carry nothing the model reads (built-in tool calls,
    item references already resolved) are left out."""
    converted = [found for item in items if (found := _item(item)) is not None]
    return Conversation(tuple(converted), instructions)


def count_input_tokens(
    conversation: Conversation, encoding: tiktoken.Encoding, tools: Sequence[Mapping[str, Any]] = ()
) -> int:
    """The prompt the model reads, exactly: the rendered transcript's tokens, a low-detail image's price per image,
    and the tool definitions' JSON (the real rendering of both is undocumented; these are mockai's rules)."""
    tokens = len(encoding.encode(render_prompt(conversation), disallowed_special=()))
    images = sum(1 for item in conversation.items if isinstance(item, Message) for p in item.content if _image(p))
    return tokens + images * IMAGE_PART_TOKENS + count_definition_tokens(tools, encoding)


def count_definition_tokens(tools: Sequence[Mapping[str, Any]], encoding: tiktoken.Encoding) -> int:
    if not tools:
        return 0
    return len(encoding.encode(json.dumps(list(tools), ensure_ascii=False), disallowed_special=()))


def _image(part: Part) -> bool:
    return isinstance(part, ImagePart)


def _item(item: Mapping[str, Any]) -> Item | None:
    kind = item_kind(item)
    if kind == "message":
        return Message(str(item.get("role", "user")), _parts(item.get("content")))
    if kind == "function_call":
        return ToolCall(str(item.get("call_id", "")), str(item.get("name", "")), str(item.get("arguments", "")))
    if kind == "function_call_output":
        return ToolResult(str(item.get("call_id", "")), _parts(item.get("output")))
    if kind == "reasoning":
        summary = tuple(str(part.get("text", "")) for part in item.get("summary") or () if isinstance(part, Mapping))
        return Reasoning(summary, item.get("encrypted_content"))
    return None


def _parts(content: Any) -> tuple[Part, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    return tuple(found for part in content if isinstance(part, Mapping) and (found := _part(part)) is not None)


def _part(part: Mapping[str, Any]) -> Part | None:
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
        return TextPart(str(part.get("text", "")))
    if kind == "input_image":
        return ImagePart(part.get("image_url"), part.get("file_id"), part.get("detail"))
    if kind == "input_file":
        return FilePart(part.get("file_id"), part.get("filename"), part.get("file_data"))
    if kind == "refusal":
        return RefusalPart(str(part.get("refusal", "")))
    return None
