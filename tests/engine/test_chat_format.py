"""Tests for chat prompt-token counting and the ChatML-like rendering."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.engine.chat_format import (
    ASSISTANT_OPENER,
    count_chat_tokens,
    markup_token_ids,
    render_chat_prompt,
)
from mockai.engine.tokenizer import get_encoding

CL100K = get_encoding("cl100k_base")


@pytest.mark.parametrize(
    ("content", "expected"),
    [("Say this is a test!", 13), ("Hello!", 9)],
    ids=["say-this-is-a-test", "hello"],
)
def test_documented_examples(content: str, expected: int) -> None:
    messages = [{"role": "user", "content": content}]
    assert count_chat_tokens(messages, CL100K, model="gpt-3.5-turbo") == expected


def test_cookbook_example_conversation() -> None:
    # The cookbook's worked example: 129 prompt tokens on 0613 and later models, 127 on 0301.
    messages = [
        {
            "role": "system",
            "content": "You are a helpful, pattern-following assistant that translates corporate "
            "jargon into plain English.",
        },
        {
            "role": "system",
            "name": "example_user",
            "content": "New synergies will help drive top-line growth.",
        },
        {
            "role": "system",
            "name": "example_assistant",
            "content": "Things working well together will increase revenue.",
        },
        {
            "role": "system",
            "name": "example_user",
            "content": "Let's circle back when we have more bandwidth to touch base on "
            "opportunities "
            "for increased leverage.",
        },
        {
            "role": "system",
            "name": "example_assistant",
            "content": "Let's talk later when we're less busy about how to do better.",
        },
        {
            "role": "user",
            "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
        },
    ]
    assert count_chat_tokens(messages, CL100K, model="gpt-3.5-turbo-0613") == 129
    assert count_chat_tokens(messages, CL100K, model="gpt-4") == 129
    assert count_chat_tokens(messages, CL100K, model="gpt-3.5-turbo-0301") == 127


def test_name_costs_one_more_token_except_on_0301() -> None:
    plain = [{"role": "user", "content": "hi"}]
    named = [{"role": "user", "content": "hi", "name": "bob"}]
    name_tokens = len(CL100K.encode("bob"))
    assert (
        count_chat_tokens(named, CL100K, model="gpt-4")
        == count_chat_tokens(plain, CL100K, model="gpt-4") + name_tokens + 1
    )
    assert (
        count_chat_tokens(named, CL100K, model="gpt-3.5-turbo-0301")
        == count_chat_tokens(plain, CL100K, model="gpt-3.5-turbo-0301") + name_tokens - 1
    )


def test_null_content_counts_only_the_wrapper() -> None:
    messages = [{"role": "assistant", "content": None}]
    assert count_chat_tokens(messages, CL100K, model="gpt-4") == 3 + 1 + 3


def test_text_parts_count_like_a_string_and_each_image_costs_85_tokens() -> None:
    # 85: the documented base price of a low-detail image (the mock never sees the pixels). A literal, so a
    # change of the constant is a failing test rather than the constant compared with itself.
    as_string = [{"role": "user", "content": "What is in this picture?"}]
    in_parts: list[dict[str, Any]] = [
        {
            "role": "user",
            "content": [{"type": "text", "text": "What is in"}, {"type": "text", "text": " this picture?"}],
        }
    ]
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    with_images = [{"role": "user", "content": [*in_parts[0]["content"], image, image]}]
    base = count_chat_tokens(as_string, CL100K, model="gpt-4o")
    assert base == 3 + 1 + 6 + 3  # role "user", 6 text tokens, the reply's priming
    assert count_chat_tokens(in_parts, CL100K, model="gpt-4o") == base
    assert count_chat_tokens(with_images, CL100K, model="gpt-4o") == base + 2 * 85


def test_tool_calls_count_function_name_and_arguments() -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
    }
    with_call = [{"role": "assistant", "content": None, "tool_calls": [call]}]
    expected = 3 + 1 + 3 + len(CL100K.encode('get_weather{"city":"Paris"}'))
    assert count_chat_tokens(with_call, CL100K, model="gpt-4") == expected
    legacy = [{"role": "assistant", "content": None, "function_call": call["function"]}]
    assert count_chat_tokens(legacy, CL100K, model="gpt-4") == expected


def test_special_token_text_in_content_is_counted_not_rejected() -> None:
    messages = [{"role": "user", "content": "<|endoftext|>"}]
    assert count_chat_tokens(messages, CL100K, model="gpt-4") > 7


def test_render_ends_with_the_assistant_opener_and_keeps_every_turn() -> None:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "昨天下雨了"},
        {"role": "assistant", "content": [{"type": "text", "text": "带伞了吗"}]},
        {"role": "user", "content": "如果带了呢"},
    ]
    rendered = render_chat_prompt(messages)
    assert rendered.endswith(ASSISTANT_OPENER)
    assert rendered.index("Be brief.") < rendered.index("昨天下雨了") < rendered.index("带伞了吗")
    assert rendered.index("带伞了吗") < rendered.index("如果带了呢")
    assert rendered.count("<|im_start|>") == 5


@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_count_grows_with_each_message(contents: list[str]) -> None:
    messages = [{"role": "user", "content": text} for text in contents]
    total = count_chat_tokens(messages, CL100K, model="gpt-4")
    assert total == 3 + sum(3 + 1 + len(CL100K.encode(t, disallowed_special=())) for t in contents)


@pytest.mark.parametrize("name", ["r50k_base", "cl100k_base", "o200k_base"])
def test_markers_never_merge_with_message_text(name: str) -> None:
    encoding = get_encoding(name)
    markup = markup_token_ids(encoding)
    for content in ("What engine are you?", "如果带了呢", "ok.", "a\nb"):
        ids = encoding.encode(render_chat_prompt([{"role": "user", "content": content}]), disallowed_special=())
        text_ids = [token for token in ids if token not in markup]
        assert encoding.decode(text_ids).strip("\n") == content


def test_markup_ids_leave_the_newline_usable() -> None:
    assert not set(CL100K.encode("\n")) & markup_token_ids(CL100K)


def _count(*messages: dict[str, Any]) -> int:
    return count_chat_tokens(list(messages), CL100K, model="gpt-4")


WRAPPER = 3 + 1 + 3  # per message, the role "user", the reply's priming


@pytest.mark.parametrize(
    ("content", "content_tokens"),
    [
        (["junk", {"type": "text", "text": "Hello!"}], 2),  # a part that is no object is skipped, not the rest
        ([{"type": "text"}], 0),  # a text part without text
        ([{"type": "image", "image": "..."}], 85),  # the newer image part type costs like image_url
        ([{"type": "input_audio"}], 0),  # a part type with no documented price
        (42, 0),  # content that is neither text nor parts
        ({"type": "text", "text": "Hello!"}, 0),  # one part not in a list
    ],
    ids=["junk-then-text", "text-without-text", "image-type", "unknown-type", "a-number", "a-bare-part"],
)
def test_unusual_content_counts_what_it_carries(content: Any, content_tokens: int) -> None:
    assert _count({"role": "user", "content": content}) == WRAPPER + content_tokens


@pytest.mark.parametrize(
    ("calls", "call_tokens"),
    [
        ({"tool_calls": [{"function": {"name": "get_weather"}}]}, 2),  # no arguments: the name alone
        ({"tool_calls": [{"function": {"arguments": "{}"}}]}, 1),  # no name: the arguments alone
        ({"tool_calls": [{"function": "get_weather"}]}, 0),  # a function that is no object
        ({"tool_calls": ["junk", {"function": {"name": "get_weather"}}]}, 2),
        ({"function_call": 42}, 0),
    ],
    ids=["name-only", "arguments-only", "function-not-an-object", "junk-call-skipped", "call-not-an-object"],
)
def test_tool_calls_count_only_their_names_and_arguments(calls: dict[str, Any], call_tokens: int) -> None:
    assert _count({"role": "user", "content": None, **calls}) == WRAPPER + call_tokens


def test_the_rendering_of_a_conversation_is_exact() -> None:
    messages: list[dict[str, Any]] = [
        {"content": "no role given"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, {"type": "text", "text": "b"}],
        },
        {"role": "user", "content": [{"type": "text"}, {"type": "text", "text": "c"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"function": {"name": "f", "arguments": "{}"}}, "junk", {"function": {"name": "h"}}],
        },
        {"role": "assistant", "content": "Calling.", "function_call": {"name": "g", "arguments": "[]"}},
        {"role": "tool", "content": 42},
    ]
    assert render_chat_prompt(messages) == (
        "<|im_start|>user\nno role given\n<|im_end|>\n"
        "<|im_start|>user\na b\n<|im_end|>\n"
        "<|im_start|>user\n c\n<|im_end|>\n"
        "<|im_start|>assistant\nf{}h\n<|im_end|>\n"
        "<|im_start|>assistant\nCalling.g[]\n<|im_end|>\n"
        "<|im_start|>tool\n\n<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
