"""`POST /v1/chat/completions` through the official SDK (sync, async, streaming) and raw HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from mockai._paths import resource_dir

HELLO = [{"role": "user", "content": "Hello!"}]


def sse_events(response: httpx.Response) -> list[Any]:
    """Parse an SSE body into JSON payloads, keeping the literal `[DONE]` marker."""
    events: list[Any] = []
    for block in response.text.split("\n\n"):
        if block.strip():
            assert block.startswith("data: "), block
            payload = block[len("data: ") :]
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def test_the_docs_example_counts_9_prompt_tokens(client: Any) -> None:
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.usage.prompt_tokens == 9
    choice = completion.choices[0]
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert completion.usage.total_tokens == 9 + completion.usage.completion_tokens


def test_say_this_is_a_test_counts_13_prompt_tokens(client: Any) -> None:
    messages = [{"role": "user", "content": "Say this is a test!"}]
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=messages, max_tokens=5)
    assert completion.usage.prompt_tokens == 13
    assert completion.usage.completion_tokens <= 5


def test_max_tokens_cuts_with_finish_reason_length(client: Any) -> None:
    completion = client.chat.completions.create(
        model="gpt-4", messages=HELLO, max_tokens=1, logit_bias={"100257": -100}
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 1


def test_the_same_seed_gives_the_same_bytes(http: httpx.Client) -> None:
    rice = [{"role": "user", "content": "How do I cook rice?"}]
    body = {"model": "gpt-3.5-turbo", "messages": rice, "seed": 42, "temperature": 1.2}
    first, second = http.post("/v1/chat/completions", json=body), http.post("/v1/chat/completions", json=body)
    assert first.content == second.content
    other = http.post("/v1/chat/completions", json={**body, "seed": 43})
    assert other.json()["choices"][0]["message"] != first.json()["choices"][0]["message"]


def test_different_questions_get_different_related_answers(client: Any) -> None:
    def ask(question: str) -> str:
        reply = client.chat.completions.create(
            model="gpt-3.5-turbo", messages=[{"role": "user", "content": question}], seed=1, max_tokens=60
        )
        return str(reply.choices[0].message.content)

    rain, code = ask("It is raining and I forgot my umbrella."), ask("How do I write a Python function?")
    assert rain != code


def test_earlier_turns_change_the_reply(client: Any) -> None:
    follow_up = {"role": "user", "content": "如果带了呢"}
    about_rain = [{"role": "user", "content": "昨天下雨了,我出门没带伞,会怎么样"}, follow_up]
    about_wallet = [{"role": "user", "content": "我出门没带钱包 怎么买饭"}, follow_up]
    replies = [
        client.chat.completions.create(model="gpt-3.5-turbo", messages=m, seed=3, max_tokens=40)
        for m in (about_rain, about_wallet)
    ]
    assert replies[0].choices[0].message.content != replies[1].choices[0].message.content


def test_stop_sequences_end_the_text_and_are_excluded(client: Any) -> None:
    free = client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO, seed=5, max_tokens=40)
    text = str(free.choices[0].message.content)
    assert len(text) >= 4, f"seed 5 must give a reply long enough to cut, got {text!r}"
    stop = text[2:4]
    cut = client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO, seed=5, max_tokens=40, stop=[stop])
    assert cut.choices[0].finish_reason == "stop"
    assert stop not in str(cut.choices[0].message.content)
    assert text.startswith(str(cut.choices[0].message.content))


def test_n_choices_are_indexed_and_differ(client: Any) -> None:
    completion = client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO, n=3, seed=9, max_tokens=20)
    assert [choice.index for choice in completion.choices] == [0, 1, 2]
    assert len({choice.message.content for choice in completion.choices}) > 1


def test_logprobs_with_top_alternatives(client: Any) -> None:
    completion = client.chat.completions.create(
        model="gpt-3.5-turbo", messages=HELLO, logprobs=True, top_logprobs=3, max_tokens=8
    )
    content = completion.choices[0].logprobs.content
    assert len(content) == completion.usage.completion_tokens or content
    for token in content:
        assert token.logprob <= 0
        assert 1 <= len(token.top_logprobs) <= 3
        assert token.top_logprobs == sorted(token.top_logprobs, key=lambda t: -t.logprob)


def test_a_streamed_reply_equals_the_plain_one(client: Any) -> None:
    kwargs: dict[str, Any] = {"model": "gpt-3.5-turbo", "messages": HELLO, "seed": 11, "max_tokens": 30}
    plain = client.chat.completions.create(**kwargs)
    chunks = list(client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kwargs))
    assert len({chunk.id for chunk in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage


def test_stream_framing_and_done(http: httpx.Client) -> None:
    body = {"model": "gpt-3.5-turbo", "messages": HELLO, "stream": True, "n": 2, "max_tokens": 10}
    response = http.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert len({(chunk["id"], chunk["created"]) for chunk in chunks}) == 1
    for index in (0, 1):
        mine = [chunk["choices"][0] for chunk in chunks if chunk["choices"][0]["index"] == index]
        assert mine[0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
        assert [c["finish_reason"] for c in mine if c["finish_reason"]] == [mine[-1]["finish_reason"]]
        assert mine[-1]["delta"] == {}
    assert "usage" not in chunks[0]


def test_async_sdk(async_client: Any) -> None:
    async def scenario() -> tuple[str, str]:
        async with async_client as sdk:
            plain = await sdk.chat.completions.create(model="gpt-4o", messages=HELLO, seed=2, max_tokens=12)
            stream = await sdk.chat.completions.create(
                model="gpt-4o", messages=HELLO, seed=2, max_tokens=12, stream=True
            )
            text = "".join([chunk.choices[0].delta.content or "" async for chunk in stream])
            return str(plain.choices[0].message.content), text

    plain, streamed = asyncio.run(scenario())
    assert plain == streamed


def test_the_seed_conversation_streams_end_to_end(client: Any) -> None:
    seed = json.loads((resource_dir("fixtures") / "seed_conversation.json").read_text(encoding="utf-8"))
    request = seed["chat_request"]
    stream = client.chat.completions.create(model=request["model"], messages=request["messages"], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > len(text) / 4  # a Chinese conversation gets Chinese


def test_a_client_that_disconnects_mid_stream_breaks_nothing(base_url: str, http: httpx.Client) -> None:
    body = {"model": "gpt-3.5-turbo", "messages": HELLO, "stream": True, "max_tokens": 200}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        next(response.iter_bytes())
    assert http.get("/_mockai/health").status_code == 200
    assert http.post("/v1/chat/completions", json={**body, "stream": False}).status_code == 200


def test_the_legacy_engine_route(http: httpx.Client) -> None:
    response = http.post("/v1/engines/gpt-3.5-turbo/chat/completions", json={"messages": HELLO})
    assert response.status_code == 200
    assert response.json()["model"] == "gpt-3.5-turbo"


def test_the_same_bytes_sent_to_another_engine_are_another_request(http: httpx.Client) -> None:
    # The body's bytes are the same; the model the path names makes the request (and its seeded id) differ.
    raw = json.dumps({"messages": HELLO, "seed": 7, "max_tokens": 3}).encode()
    ids = [
        http.post(
            f"/v1/engines/{model}/chat/completions", content=raw, headers={"content-type": "application/json"}
        ).json()["id"]
        for model in ("gpt-3.5-turbo", "gpt-4", "gpt-3.5-turbo")
    ]
    assert ids[0] != ids[1]
    assert ids[0] == ids[2]


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [
        pytest.param({"model": "gpt-3.5-turbo"}, 400, "messages", "missing_required_parameter", id="no messages"),
        pytest.param({"messages": HELLO}, 400, "model", "missing_required_parameter", id="no model"),
        pytest.param({"model": "gpt-3.5-turbo", "messages": []}, 400, "messages", "empty_array", id="empty"),
        pytest.param(
            {"model": "gpt-3.5-turbo", "messages": HELLO, "temperature": 3},
            400,
            "temperature",
            "integer_above_max_value",
            id="temperature too high",
        ),
        pytest.param(
            {"model": "gpt-3.5-turbo", "messages": HELLO, "n": "2"}, 400, "n", "invalid_type", id="n as string"
        ),
        pytest.param(
            {"model": "gpt-3.5-turbo", "messages": HELLO, "top_logprobs": 2},
            400,
            "top_logprobs",
            "invalid_value",
            id="top_logprobs without logprobs",
        ),
        pytest.param(
            {"model": "gpt-3.5-turbo", "messages": HELLO, "logit_bias": {"abc": 1}},
            400,
            "logit_bias",
            None,
            id="logit_bias key not a token",
        ),
        pytest.param(
            {"model": "gpt-3.5-turbo", "messages": HELLO, "frobnicate": 1},
            400,
            "frobnicate",
            "unknown_parameter",
            id="unknown parameter",
        ),
        pytest.param({"model": "nope", "messages": HELLO}, 404, None, "model_not_found", id="unknown model"),
        pytest.param({"model": "text-davinci-003", "messages": HELLO}, 404, "model", None, id="not a chat model"),
        pytest.param(
            {"model": "gpt-3.5-turbo-0613", "messages": HELLO, "max_tokens": 5000},
            400,
            "messages",
            "context_length_exceeded",
            id="context window",
        ),
    ],
)
def test_refusals(http: httpx.Client, body: dict[str, Any], status: int, param: str | None, code: str | None) -> None:
    response = http.post("/v1/chat/completions", json=body)
    error = response.json()["error"]
    assert (response.status_code, error["type"], error["param"]) == (status, "invalid_request_error", param)
    if code is not None:
        assert error["code"] == code


def test_a_wrong_role_names_the_field_and_the_roles_there_are(http: httpx.Client) -> None:
    body = {"model": "gpt-3.5-turbo", "messages": [{"role": "robot", "content": "hi"}]}
    error = http.post("/v1/chat/completions", json=body).json()["error"]
    assert (error["param"], error["code"]) == ("messages[0].role", "invalid_value")
    assert error["message"] == (
        "Invalid value: 'robot'. Supported values are: 'developer', 'system', 'user', 'assistant', 'tool', and "
        "'function'."
    )


@pytest.mark.parametrize(
    ("message", "param", "code"),
    [
        ({"role": "tool", "content": "22 degrees"}, "messages[1].tool_call_id", "missing_required_parameter"),
        ({"role": "user", "content": 7}, "messages[1].content", "invalid_type"),
        ({"role": "user", "content": [{"type": "text"}]}, "messages[1].content[0].text", "missing_required_parameter"),
        ({"role": "user", "content": [{"type": "picture"}]}, "messages[1].content[0].type", "invalid_value"),
        ({"content": "hi"}, "messages[1].role", "missing_required_parameter"),
    ],
    ids=["tool message without its call id", "content of the wrong type", "text part without text",
         "unknown part type", "no role"],
)  # fmt: skip
def test_a_bad_field_inside_a_message_is_named(
    http: httpx.Client, message: dict[str, Any], param: str, code: str
) -> None:
    body = {"model": "gpt-3.5-turbo", "messages": [*HELLO, message]}
    error = http.post("/v1/chat/completions", json=body).json()["error"]
    assert (error["param"], error["code"]) == (param, code)


def test_an_unknown_top_level_parameter_is_refused_in_the_real_words(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "gpt-3.5-turbo", "messages": HELLO, "colour": "red"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Unrecognized request argument supplied: colour",
        "type": "invalid_request_error",
        "param": "colour",
        "code": "unknown_parameter",
    }


def test_unknown_fields_inside_a_message_are_as_welcome_as_the_spec_makes_them(http: httpx.Client) -> None:
    message = {"role": "user", "content": "hi", "x_trace": "kept by a client library"}
    assert http.post("/v1/chat/completions", json={"model": "gpt-3.5-turbo", "messages": [message]}).status_code == 200


def test_the_context_window_message_is_the_real_one(http: httpx.Client) -> None:
    body = {"model": "gpt-3.5-turbo-0613", "messages": HELLO, "max_tokens": 5000}
    message = http.post("/v1/chat/completions", json=body).json()["error"]["message"]
    assert message.startswith(
        "This model's maximum context length is 4097 tokens. However, you requested 5009 tokens "
        "(9 in the messages, 5000 in the completion)."
    )
