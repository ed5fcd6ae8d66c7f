"""Chat messages as tokens: the documented prompt-token count, the neutral conversation, the text the model reads.

>>> from mockai.engine.tokenizer import get_encoding
>>> messages = [{"role": "user", "content": "Hello!"}]
>>> count_chat_tokens(messages, get_encoding("cl100k_base"), model="gpt-3.5-turbo")
9
>>> chat_conversation(messages).items
(Message(role='user', content=(TextPart(text='Hello!'),), name=None),)
>>> render_chat_prompt(messages)
'<|im_start|>user\\nHello!\\n<|im_end|>\\n<|im_start|>assistant\\n'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import tiktoken

from mockai.engine.conversation import (
    ASSISTANT_OPENER,
    MESSAGE_END,
    MESSAGE_START,
    AudioPart,
    Conversation,
    FilePart,
    ImagePart,
    Item,
    Message,
    Part,
    RefusalPart,
    TextPart,
    ToolCall,
    ToolResult,
    render_prompt,
)

__all__ = [
    "ASSISTANT_OPENER",
    "IMAGE_PART_TOKENS",
    "MESSAGE_END",
    "MESSAGE_START",
    "chat_conversation",
    "count_chat_tokens",
    "markup_token_ids",
    "read_chat_prompt",
    "render_chat_prompt",
]

# The API does not see our pixels (we never fetch image URLs), so each image part costs the
# documented base price of a low-detail image, 85 tokens, the only image cost fixed without them.
IMAGE_PART_TOKENS = 85

# gpt-3.5-turbo-0301 wrapped every message as `<|start|>{role/name}\n{content}<|end|>\n`: four
# tokens, and a name *replaced* the role (−1). Every later chat model costs three, and +1 per name.
_LEGACY_MODELS = frozenset({"gpt-3.5-turbo-0301"})
_REPLY_PRIMING_TOKENS = 3  # every reply is primed with <|start|>assistant<|message|>


def _encode_len(text: str, encoding: tiktoken.Encoding) -> int:
    return len(encoding.encode(text, disallowed_special=()))


@functools.lru_cache(maxsize=64)
def _role_tokens(role: str, encoding: tiktoken.Encoding) -> int:
    """A role's tokens: every message has one, and there are six of them, so they are counted once."""
    return _encode_len(role, encoding)


def _content_tokens(content: object, encoding: tiktoken.Encoding) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return _encode_len(content, encoding)
    total = 0
    for part in content if isinstance(content, Sequence) else ():
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text":
            total += _encode_len(str(part.get("text", "")), encoding)
        elif part.get("type") in ("image_url", "image"):
            total += IMAGE_PART_TOKENS
    return total


def _call_text(call: Mapping[str, Any]) -> str:
    # A tool call's visible cost is its function name and its JSON arguments string.
    function = call.get("function", call)
    if not isinstance(function, Mapping):
        return ""
    return f"{function.get('name', '')}{function.get('arguments', '')}"


def _calls_tokens(value: object, encoding: tiktoken.Encoding) -> int:
    calls = [value] if isinstance(value, Mapping) else value if isinstance(value, list) else []
    return sum(_encode_len(_call_text(call), encoding) for call in calls if isinstance(call, Mapping))


def count_chat_tokens(messages: Sequence[Mapping[str, Any]], encoding: tiktoken.Encoding, *, model: str) -> int:
    """Count a chat request's prompt tokens with the cookbook rule the real API's usage matches.

    Every string field of a message (role, content, name, tool_call_id, ...) counts its tokens;
    `content` may also be None or a list of text/image parts; `tool_calls` and `function_call` count
    their function names and argument strings.
    """
    legacy = model in _LEGACY_MODELS
    per_message, per_name = (4, -1) if legacy else (3, 1)
    total = _REPLY_PRIMING_TOKENS
    for message in messages:
        total += per_message
        for key, value in message.items():
            if key == "content":
                total += _content_tokens(value, encoding)
            elif key == "role" and value in _ROLES:
                total += _role_tokens(value, encoding)
            elif key in ("tool_calls", "function_call"):
                total += _calls_tokens(value, encoding)
            elif isinstance(value, str):
                total += _encode_len(value, encoding) + (per_name if key == "name" else 0)
    return total


def chat_conversation(messages: Sequence[Mapping[str, Any]]) -> Conversation:
    """Chat `messages` as the neutral conversation: a message per message, then the assistant's calls as items;
    `tool` messages (and legacy `function` messages) as tool results.

    Lenient on purpose (validation happened before): a field of an unexpected shape contributes nothing.
    """
    items: list[Item] = []
    for message in messages:
        content = message.get("content")
        parts = (TextPart(content),) if isinstance(content, str) else _parts(content)
        role = str(message.get("role", "user"))
        name = message.get("name")
        name = name if isinstance(name, str) else None
        if role == "tool":
            items.append(ToolResult(str(message.get("tool_call_id", "")), parts))
        elif role == "function":
            items.append(ToolResult(None, parts, name=name))
        else:
            items.append(Message(role, parts, name))
            calls = message.get("tool_calls") or message.get("function_call")
            if calls:
                items.extend(_calls(calls))
    return Conversation(tuple(items))


def _parts(content: object) -> tuple[Part, ...]:
    if content is None:
        return ()
    if isinstance(content, str):
        return (TextPart(content),)
    parts = content if isinstance(content, list | tuple) else ()
    return tuple(part for raw in parts if isinstance(raw, Mapping) and (part := _part(raw)) is not None)


def _part(raw: Mapping[str, Any]) -> Part | None:
    kind = raw.get("type")
    if kind == "text":
        return TextPart(str(raw.get("text", "")))
    if kind == "refusal":
        return RefusalPart(str(raw.get("refusal", "")))
    inner = raw.get(str(kind))
    inner = inner if isinstance(inner, Mapping) else {}
    if kind == "image_url":
        return ImagePart(url=_optional_str(inner.get("url")), detail=_optional_str(inner.get("detail")))
    if kind == "input_audio":
        return AudioPart(str(inner.get("data", "")), str(inner.get("format", "")))
    if kind == "file":
        return FilePart(
            _optional_str(inner.get("file_id")),
            _optional_str(inner.get("filename")),
            _optional_str(inner.get("file_data")),
        )
    return None


def _calls(value: object) -> list[ToolCall]:
    calls = [value] if isinstance(value, Mapping) else value if isinstance(value, list) else []
    found = []
    for call in calls:
        if not isinstance(call, Mapping):
            continue
        # A tool call names its function under `function`; a legacy `function_call` is the function itself. Other
        # call kinds (custom tools) carry no function name or arguments.
        function = call.get("function", call)
        function = function if isinstance(function, Mapping) else {}
        found.append(
            ToolCall(str(call.get("id", "")), str(function.get("name", "")), str(function.get("arguments", "")))
        )
    return found


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def render_chat_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """Render messages as ChatML-like plain text ending with the assistant's opener (see `render_prompt`).

    This is what the token model conditions on, so the reply depends on every turn; it is not used for counting (see
    `count_chat_tokens`). Encode it with `disallowed_special=()`.
    """
    return render_prompt(chat_conversation(messages))


def read_chat_prompt(text: str) -> list[tuple[str, str]]:
    """The (role, text) turns of a prompt `render_chat_prompt` wrote; any other prompt is one user turn.

    The token model reads its prompt like this to know which question is the latest (user text that itself contains
    the markers is read as more turns: it only shifts what the retrieval weighs most).

    >>> read_chat_prompt(render_chat_prompt([{"role": "system", "content": "Be brief."}, {"content": "Hi"}]))
    [('system', 'Be brief.'), ('user', 'Hi')]
    >>> read_chat_prompt("Say this is a test")
    [('user', 'Say this is a test')]
    """
    if not text.startswith(MESSAGE_START):
        return [("user", text)] if text.strip() else []
    turns = []
    for piece in text.split(MESSAGE_START)[1:]:
        role, _, rest = piece.partition("\n")
        content = rest.rsplit(f"\n{MESSAGE_END}", 1)[0] if MESSAGE_END in rest else rest
        if content.strip():
            turns.append((role, content))
    return turns


_ROLES = ("system", "user", "assistant", "function", "tool", "developer")


def markup_token_ids(encoding: tiktoken.Encoding) -> frozenset[int]:
    """Token ids that only the rendering adds (marker pieces, role names at a line start), not message text.

    The token model never proposes them and leaves them out of prompt conditioning. The newline is kept: it is
    ordinary text too. The marker pieces are short ("<", "|", ">"), so the same tokens inside message text are
    also skipped for conditioning: a small loss for code-like prompts, accepted to keep the ids a plain set.
    """
    newline = set(encoding.encode("\n"))
    found: set[int] = set()
    for role in _ROLES:
        found.update(encoding.encode(f"\n{MESSAGE_END}\n{MESSAGE_START}{role}\n", disallowed_special=()))
    return frozenset(found - newline)
