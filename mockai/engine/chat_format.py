"""Chat messages as tokens: the documented prompt-token count and the text the token model reads.

>>> from mockai.engine.tokenizer import get_encoding
>>> messages = [{"role": "user", "content": "Hello!"}]
>>> count_chat_tokens(messages, get_encoding("cl100k_base"), model="gpt-3.5-turbo")
9
>>> render_chat_prompt(messages)
'<|im_start|>user\\nHello!\\n<|im_end|>\\n<|im_start|>assistant\\n'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import tiktoken

__all__ = [
    "ASSISTANT_OPENER",
    "IMAGE_PART_TOKENS",
    "MESSAGE_END",
    "MESSAGE_START",
    "count_chat_tokens",
    "markup_token_ids",
    "read_chat_prompt",
    "render_chat_prompt",
]

# ChatML's markers. They are rendered as *plain text*: encoded with `disallowed_special=()` (or by
# an encoding that has no such special tokens at all, like cl100k_base) they become a few ordinary
# tokens, which keeps one rendering valid for every encoding and lets user text that happens to
# contain a marker pass through without being mistaken for structure by the tokenizer.
MESSAGE_START = "<|im_start|>"
MESSAGE_END = "<|im_end|>"
ASSISTANT_OPENER = f"{MESSAGE_START}assistant\n"

# The API does not see our pixels (we never fetch image URLs), so each image part costs the
# documented base price of a low-detail image, 85 tokens, the only image cost fixed without them.
IMAGE_PART_TOKENS = 85

# gpt-3.5-turbo-0301 wrapped every message as `<|start|>{role/name}\n{content}<|end|>\n`: four
# tokens, and a name *replaced* the role (−1). Every later chat model costs three, and +1 per name.
_LEGACY_MODELS = frozenset({"gpt-3.5-turbo-0301"})
_REPLY_PRIMING_TOKENS = 3  # every reply is primed with <|start|>assistant<|message|>


def _encode_len(text: str, encoding: tiktoken.Encoding) -> int:
    return len(encoding.encode(text, disallowed_special=()))


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
            elif key in ("tool_calls", "function_call"):
                total += _calls_tokens(value, encoding)
            elif isinstance(value, str):
                total += _encode_len(value, encoding) + (per_name if key == "name" else 0)
    return total


def _plain_content(content: object) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, Sequence) else ()
    return " ".join(
        str(part.get("text", "")) for part in parts if isinstance(part, Mapping) and part.get("type") == "text"
    )


def _message_text(message: Mapping[str, Any]) -> str:
    text = _plain_content(message.get("content"))
    calls = message.get("tool_calls") or message.get("function_call")
    if calls:
        listed = [calls] if isinstance(calls, Mapping) else calls
        text += "".join(_call_text(call) for call in listed if isinstance(call, Mapping))
    return text


def render_chat_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """Render messages as ChatML-like plain text ending with the assistant's opener.

    This is what the token model conditions on, so the reply depends on every turn; it is not used
    for counting (see `count_chat_tokens`). Encode it with `disallowed_special=()`. Unlike ChatML, a
    newline precedes the end marker: every encoding then splits the marker from the text, so a message
    ending in punctuation ("you?") never merges with it into a token ("?<") that looks like content.
    """
    rendered = [
        f"{MESSAGE_START}{message.get('role', 'user')}\n{_message_text(message)}\n{MESSAGE_END}\n"
        for message in messages
    ]
    return "".join(rendered) + ASSISTANT_OPENER


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
