"""The wire-neutral conversation a model answers: items, content parts, tools, tool choice and output format.

Chat completions and (next) the Responses API translate their request's conversation into a `Conversation`, with the
tools and the output format it declares; `engine/reply.py` plans what the model says from it (see `ReplyRequest`), and
each family renders that plan in its own wire format. A conversation is a sequence of items, the Responses API's model
of it (chat's messages map onto it one to one, see `engine/chat_format.py`): messages with content parts, the
assistant's tool calls, tool results, reasoning items. `render_prompt` writes it as the text the token model reads.

>>> conversation = Conversation((Message("user", (TextPart("Hello!"),)),))
>>> render_prompt(conversation)
'<|im_start|>user\\nHello!\\n<|im_end|>\\n<|im_start|>assistant\\n'
>>> conversation.last_user_text()
'Hello!'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = [
    "ASSISTANT_OPENER",
    "MESSAGE_END",
    "MESSAGE_START",
    "NO_TOOLS",
    "TEXT",
    "AudioPart",
    "Conversation",
    "FilePart",
    "ForcedTool",
    "FunctionTool",
    "ImagePart",
    "Item",
    "Message",
    "OutputFormat",
    "Part",
    "RawPrompt",
    "Reasoning",
    "RefusalPart",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolResult",
    "Tools",
    "Turn",
    "render_prompt",
]


# ChatML's markers. They are rendered as *plain text*: encoded with `disallowed_special=()` (or by an encoding that has
# no such special tokens at all, like cl100k_base) they become a few ordinary tokens, which keeps one rendering valid
# for every encoding and lets user text that happens to contain a marker pass through without being mistaken for
# structure by the tokenizer.
MESSAGE_START = "<|im_start|>"
MESSAGE_END = "<|im_end|>"
ASSISTANT_OPENER = f"{MESSAGE_START}assistant\n"


# --- content parts -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPart:
    """Text the model reads (chat `text`, Responses `input_text`/`output_text`)."""

    text: str


@dataclass(frozen=True)
class ImagePart:
    """An image by URL (a `data:` URL included) or by file id; mockai never fetches it, so it carries no words."""

    url: str | None = None
    file_id: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class FilePart:
    """A file by id, or inline (`data`, base64) with its name."""

    file_id: str | None = None
    filename: str | None = None
    data: str | None = None


@dataclass(frozen=True)
class AudioPart:
    """Input audio, base64 `data` in a `format` (wav, mp3)."""

    data: str
    format: str


@dataclass(frozen=True)
class RefusalPart:
    """A refusal the assistant gave earlier (chat `refusal` parts, Responses `refusal` content)."""

    refusal: str


Part = TextPart | ImagePart | FilePart | AudioPart | RefusalPart


# --- conversation items --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A message: `role` is system, developer, user or assistant; `name` the chat participant's name, if given."""

    role: str
    content: tuple[Part, ...] = ()
    name: str | None = None

    @property
    def text(self) -> str:
        """The words of the message: its text parts, joined by spaces."""
        return _words(self.content)


@dataclass(frozen=True)
class ToolCall:
    """A call the assistant made earlier: it belongs to the assistant message right before it, if there is one."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolResult:
    """What a called tool returned. `call_id` is None only for chat's legacy `function` messages, which name the
    function instead."""

    call_id: str | None
    output: tuple[Part, ...]
    name: str | None = None


@dataclass(frozen=True)
class Reasoning:
    """A reasoning item handed back to the model (Responses): its summary texts and its opaque encrypted content."""

    summary: tuple[str, ...] = ()
    encrypted_content: str | None = None


Item = Message | ToolCall | ToolResult | Reasoning


class Turn(NamedTuple):
    """One turn of the transcript the model reads: who speaks, what they say, the calls they make."""

    role: str
    text: str
    calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Conversation:
    """Instructions (Responses `instructions`: a system turn first) and the conversation's items, oldest first."""

    items: tuple[Item, ...]
    instructions: str | None = None

    def last_user_text(self) -> str:
        """The words of the last user message ("" when there is none)."""
        found = next((item for item in reversed(self.items) if isinstance(item, Message) and item.role == "user"), None)
        return found.text if found is not None else ""

    def turns(self) -> Iterator[Turn]:
        """The conversation as the model reads it, turn by turn.

        A tool call joins the assistant turn it follows (an assistant message, or calls right before it) and opens an
        assistant turn of its own otherwise; a tool result is a `tool` turn (`function` for chat's legacy function
        messages). Reasoning items are the model's own notes, not part of the transcript it continues.
        """
        if self.instructions is not None:
            yield Turn("system", self.instructions)
        role, text = "", ""
        calls: list[ToolCall] = []
        for item in self.items:
            if isinstance(item, ToolCall) and role == "assistant":
                calls.append(item)
                continue
            if isinstance(item, Reasoning):
                continue
            if role:
                yield Turn(role, text, tuple(calls))
            if isinstance(item, Message):
                role, text, calls = item.role, item.text, []
            elif isinstance(item, ToolCall):
                role, text, calls = "assistant", "", [item]
            else:
                role, text, calls = ("tool" if item.call_id is not None else "function"), _words(item.output), []
        if role:
            yield Turn(role, text, tuple(calls))


def _words(parts: tuple[Part, ...]) -> str:
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text  # the common case, kept cheap
    return " ".join(part.text for part in parts if isinstance(part, TextPart))


def render_prompt(conversation: Conversation) -> str:
    """The conversation as the ChatML-like text the token model continues, ending with the assistant's opener.

    Each turn's text is followed by its calls' names and arguments. Encode it with `disallowed_special=()`. A newline
    precedes each end marker, so a turn ending in punctuation ("you?") never merges with the marker into one token.
    """
    rendered = [
        f"{MESSAGE_START}{role}\n{text}{''.join(call.name + call.arguments for call in calls) if calls else ''}\n"
        f"{MESSAGE_END}\n"
        for role, text, calls in conversation.turns()
    ]
    return "".join(rendered) + ASSISTANT_OPENER


@dataclass(frozen=True)
class RawPrompt:
    """A prompt the model simply continues (completions, edits): its token ids, and its text."""

    ids: tuple[int, ...]
    text: str


# --- tools and output format ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionTool:
    """A function the model may call; `parameters` is the JSON Schema of its arguments."""

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None

    def definition(self) -> dict[str, Any]:
        """The definition as chat's `functions` list spells it (absent fields left out)."""
        fields = {"description": self.description, "parameters": self.parameters, "strict": self.strict}
        return {"name": self.name, **{key: value for key, value in fields.items() if value is not None}}


#: The tools a model may call. Built-in tool kinds (web search, file search, ...) join this union as they arrive.
Tool = FunctionTool


@dataclass(frozen=True)
class ForcedTool:
    """`tool_choice` naming one function: the reply calls it."""

    name: str


ToolChoice = Literal["none", "auto", "required"] | ForcedTool


@dataclass(frozen=True)
class Tools:
    """The tools declared, which of them the model may or must call, and whether it may call several at once
    (`parallel`: the planner makes one call per reply today, which both settings allow; a scripted reply may make
    several)."""

    declared: tuple[Tool, ...] = ()
    choice: ToolChoice = "auto"
    parallel: bool = True


#: No tools declared: the model answers in text (or, if a rule scripts them, with calls).
NO_TOOLS = Tools()


@dataclass(frozen=True)
class OutputFormat:
    """What shape the answer takes: free `text`, any JSON object, or an instance of `schema` (`json_schema`)."""

    kind: Literal["text", "json_object", "json_schema"] = "text"
    schema: Mapping[str, Any] | None = None
    name: str | None = None
    strict: bool = False

    @property
    def structured(self) -> bool:
        return self.kind != "text"


#: Free text, the default output format.
TEXT = OutputFormat()
