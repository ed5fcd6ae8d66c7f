"""The neutral conversation: chat messages map onto items, and items render as the turns the token model reads."""

from __future__ import annotations

from mockai.engine.chat_format import chat_conversation, render_chat_prompt
from mockai.engine.conversation import (
    AudioPart,
    Conversation,
    FilePart,
    ImagePart,
    Message,
    Reasoning,
    RefusalPart,
    TextPart,
    ToolCall,
    ToolResult,
    render_prompt,
)

CALL = ToolCall("call_1", "get_weather", '{"city": "Oslo"}')


def _user(text: str) -> Message:
    return Message("user", (TextPart(text),))


def test_chat_messages_become_items_with_their_parts_calls_and_results() -> None:
    messages = [
        {"role": "system", "content": "Be brief.", "name": "rules"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_id": "file-1"}},
            ],
        },
        {
            "role": "assistant",
            "content": [{"type": "refusal", "refusal": "No."}],
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": CALL.name, "arguments": CALL.arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
        {"role": "function", "name": "get_weather", "content": "rain"},
    ]
    items = chat_conversation(messages).items
    assert items == (
        Message("system", (TextPart("Be brief."),), "rules"),
        Message(
            "user",
            (
                TextPart("Look"),
                ImagePart(url="https://example.com/a.png", detail="low"),
                AudioPart("UklGRg==", "wav"),
                FilePart(file_id="file-1"),
            ),
        ),
        Message("assistant", (RefusalPart("No."),)),
        ToolCall("call_1", "get_weather", '{"city": "Oslo"}'),
        ToolResult("call_1", (TextPart("rain"),)),
        ToolResult(None, (TextPart("rain"),), name="get_weather"),
    )


def test_a_legacy_function_call_is_a_call_item() -> None:
    messages = [{"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{}"}}]
    assert chat_conversation(messages).items == (Message("assistant"), ToolCall("", "f", "{}"))


def test_calls_join_the_assistant_message_before_them() -> None:
    conversation = Conversation((_user("Weather?"), Message("assistant", (TextPart("Checking."),)), CALL, CALL))
    assert list(conversation.turns()) == [("user", "Weather?", ()), ("assistant", "Checking.", (CALL, CALL))]


def test_calls_without_an_assistant_message_open_their_own_turn() -> None:
    # The Responses API sends function_call items on their own, often several in a row.
    conversation = Conversation((_user("Weather?"), CALL, CALL, ToolResult("call_1", (TextPart("rain"),))))
    assert list(conversation.turns()) == [
        ("user", "Weather?", ()),
        ("assistant", "", (CALL, CALL)),
        ("tool", "rain", ()),
    ]


def test_instructions_come_first_and_reasoning_is_not_part_of_the_transcript() -> None:
    conversation = Conversation((_user("Hi"), Reasoning(("thinking",)), CALL), instructions="Be brief.")
    assert render_prompt(conversation) == (
        "<|im_start|>system\nBe brief.\n<|im_end|>\n"
        "<|im_start|>user\nHi\n<|im_end|>\n"
        '<|im_start|>assistant\nget_weather{"city": "Oslo"}\n<|im_end|>\n'
        "<|im_start|>assistant\n"
    )


def test_only_text_parts_carry_words() -> None:
    parts = (TextPart("Who is"), ImagePart(url="https://example.com/a.png"), TextPart("Ada?"))
    conversation = Conversation((Message("user", parts), Message("assistant", (TextPart("A mathematician."),))))
    assert conversation.last_user_text() == "Who is Ada?"
    assert Conversation(()).last_user_text() == ""


def test_chat_rendering_is_the_neutral_rendering_of_the_chat_conversation() -> None:
    messages = [{"role": "user", "content": "Hello!"}, {"role": "assistant", "content": "Hi."}]
    assert (
        render_chat_prompt(messages)
        == render_prompt(chat_conversation(messages))
        == ("<|im_start|>user\nHello!\n<|im_end|>\n<|im_start|>assistant\nHi.\n<|im_end|>\n<|im_start|>assistant\n")
    )
