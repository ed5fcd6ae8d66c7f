"""The chat renderer of the generation core's plans: a refusal renders as the real API sends one, body and chunks.

No rule or planner produces a refusal for chat yet (the Responses family brings scripted refusals), so the renderer
is exercised directly, and its output is checked against the response schemas.
"""

from __future__ import annotations

from typing import Any

from mockai.api.chat import _choice, _chunks
from mockai.contract.registry import default_registry
from mockai.engine.reply import ChoicePlan, Reply
from mockai.engine.runs import FixedRun
from mockai.engine.tokenizer import get_encoding

CL100K = get_encoding("cl100k_base")
HEADER = {"id": "chatcmpl-1", "created": 1, "model": "gpt-4o", "system_fingerprint": "fp_1"}


def _refusal() -> ChoicePlan:
    return ChoicePlan(refusal=FixedRun("I can't help with that.", CL100K, "stop", max_tokens=None, top_logprobs=1))


def _errors(schema: str, instance: Any) -> list[str]:
    return [error.message for error in default_registry().iter_errors(schema, instance)]


def test_a_refusal_is_the_messages_refusal_with_its_own_logprobs() -> None:
    choice = _choice(0, _refusal(), legacy=False, wants_logprobs=True)
    assert choice["message"] == {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    assert choice["logprobs"]["content"] is None
    assert "".join(token["token"] for token in choice["logprobs"]["refusal"]) == "I can't help with that."
    assert choice["finish_reason"] == "stop"
    usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    body = {**HEADER, "object": "chat.completion", "choices": [choice], "usage": usage}
    assert _errors("openai/createChatCompletion.response", body) == []


def test_a_streamed_refusal_arrives_in_refusal_deltas() -> None:
    chunks = list(_chunks(HEADER, Reply((_refusal(),), 5), legacy=False, wants_logprobs=True, include_usage=True))
    deltas = [chunk["choices"][0]["delta"] for chunk in chunks if chunk["choices"]]
    assert deltas[0] == {"role": "assistant", "content": None, "refusal": None}
    assert "".join(delta.get("refusal", "") for delta in deltas[1:-1]) == "I can't help with that."
    assert all(chunk["choices"][0]["logprobs"]["content"] is None for chunk in chunks[1:-2])
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    assert [error for chunk in chunks for error in _errors("openai/createChatCompletion.chunk", chunk)] == []
