"""What a simple prompt costs in the encoding of the OpenAI model that answered: the contract kit's token oracle.

The counts follow tiktoken's own model-to-encoding table and the OpenAI cookbook's chat formula (three tokens per
message, three priming the reply; four per message on gpt-3.5-turbo-0301), never mockai's prompt renderer, so the
check holds a server (mockai included) against the reference rather than against itself. Only simple requests are
counted: string contents without names, tools, functions or output formats; anything else answers `None`.
"""

from __future__ import annotations

from typing import Any

from tiktoken.model import encoding_name_for_model

from mockai.engine.tokenizer import get_encoding

__all__ = ["expected_prompt_tokens"]

_CHAT_EXTRAS = ("tools", "functions", "response_format", "audio", "prediction")


def expected_prompt_tokens(operation_id: str, body: Any, model: str) -> int | None:
    """`prompt_tokens` for `body` sent to `operation_id` and answered by `model`; None when no rule applies.

    >>> expected_prompt_tokens("createChatCompletion", {"messages": [{"role": "user", "content": "Hello!"}]},
    ...                        "gpt-3.5-turbo")
    9
    >>> expected_prompt_tokens("createCompletion", {"prompt": "Say this is a test"}, "gpt-3.5-turbo-instruct")
    5
    >>> expected_prompt_tokens("createCompletion", {"prompt": "hi"}, "my-own-model") is None
    True
    """
    if not isinstance(body, dict):
        return None
    try:
        encoding = get_encoding(encoding_name_for_model(model))
    except (KeyError, ValueError):
        return None  # not a model tiktoken knows: not an OpenAI model this oracle can speak for
    if operation_id == "createChatCompletion":
        return _chat(body, model, encoding.encode_ordinary)
    if operation_id == "createCompletion":
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or "<|" in prompt or body.get("suffix") or body.get("echo"):
            return None
        return len(encoding.encode_ordinary(prompt))
    return None


def _chat(body: dict[str, Any], model: str, encode: Any) -> int | None:
    messages = body.get("messages")
    if any(body.get(extra) is not None for extra in _CHAT_EXTRAS) or not isinstance(messages, list) or not messages:
        return None
    per_message = 4 if model.startswith("gpt-3.5-turbo-0301") else 3
    total = 3  # every reply is primed with <|start|>assistant<|message|>
    for message in messages:
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            return None
        role, content = message["role"], message["content"]
        if not isinstance(role, str) or not isinstance(content, str) or "<|" in content:
            return None
        total += per_message + len(encode(role)) + len(encode(content))
    return total
