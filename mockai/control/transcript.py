"""The conversation a request carries, read the same way from chat `messages` and Responses `input` items.

Conversation-state matchers (`last_role`, `turns`, `called`, `tool_result`, `chain`) and scenarios look at a
`Transcript`: the turns of the conversation, oldest first, whatever wire format carried them. Each `Turn` has a role,
its text, the tool calls an assistant turn makes, and for a tool result the call it answers and the tool's name
(looked up from the call, so a result can be matched by tool name on both wires, even when its call came from a
stored response). The two wire formats agree turn for turn:

- chat: one turn per message; an assistant message's `tool_calls` (or legacy `function_call`) are its calls; `tool`
  and legacy `function` messages are `tool` turns.
- Responses: `instructions` is a `system` turn first; the stored history (`conversation` items, then each response of
  the `previous_response_id` chain, inputs then outputs) comes next; then `input` (a string is one user turn).
  Messages are turns; `function_call` items (and the other `*_call` items that carry a `call_id`) join the assistant
  turn right before them or open one, as chat's `tool_calls` belong to one message; `*_call_output` items are `tool`
  turns. Reasoning items and item references carry no words and are skipped.

The history comes from a `ConversationHistory` (the Responses API's store implements it); without one, a request's
transcript is what the request itself carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

#: Roles that instruct the model rather than converse with it: not counted as turns of the dialogue.
INSTRUCTION_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True)
class ToolCall:
    """A call an assistant turn makes: its id (None for chat's legacy `function_call`), the tool and the arguments."""

    id: str | None
    name: str
    arguments: str


@dataclass(frozen=True)
class Turn:
    """One turn of the conversation; `call_id` and `tool` are set on `tool` turns (the call answered, its tool)."""

    role: str
    text: str = ""
    calls: tuple[ToolCall, ...] = ()
    call_id: str | None = None
    tool: str | None = None


@dataclass(frozen=True)
class StoredResponse:
    """A response the Responses API stored: its id, and its input items followed by its output items (API shapes)."""

    id: str
    items: Sequence[Mapping[str, Any]]


class ConversationHistory(Protocol):
    """Stored conversation state a request can continue (implemented by the Responses API's store)."""

    def response_chain(self, response_id: str) -> Sequence[StoredResponse] | None:
        """The stored responses from the chain's first to `response_id` itself, oldest first; None when unknown."""

    def conversation_items(self, conversation_id: str) -> Sequence[Mapping[str, Any]] | None:
        """The items of a stored conversation (Conversations API), oldest first; None when unknown."""


Wire = Literal["chat", "responses"]


@dataclass(frozen=True)
class Transcript:
    """A request's conversation, oldest turn first, with where it continues from.

    >>> transcript = chat_transcript([
    ...     {"role": "user", "content": "Weather in Paris?"},
    ...     {"role": "assistant", "content": None, "tool_calls": [
    ...         {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
    ...     {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
    ... ])
    >>> transcript.last_role, transcript.dialogue_turns, transcript.called_tools
    ('tool', 3, ('get_weather',))
    >>> [(turn.tool, turn.text) for turn in transcript.unanswered_results]
    [('get_weather', 'Sunny')]
    """

    turns: tuple[Turn, ...]
    wire: Wire = "chat"
    chain: tuple[str, ...] = ()  # Responses: the stored responses this request continues, oldest first
    conversation: str | None = None  # Responses: the stored conversation it belongs to

    @property
    def last_role(self) -> str | None:
        return self.turns[-1].role if self.turns else None

    @property
    def dialogue_turns(self) -> int:
        """How many turns the dialogue has had so far: user, assistant and tool turns (instructions not counted)."""
        return sum(1 for turn in self.turns if turn.role not in INSTRUCTION_ROLES)

    @property
    def called_tools(self) -> tuple[str, ...]:
        """The names of the tools the assistant has called, in order (repeats kept)."""
        return tuple(call.name for turn in self.turns for call in turn.calls)

    @property
    def unanswered_results(self) -> tuple[Turn, ...]:
        """The tool results after the assistant's last turn: what the model is about to read and answer."""
        pending: list[Turn] = []
        for turn in reversed(self.turns):
            if turn.role == "assistant":
                break
            if turn.role == "tool":
                pending.append(turn)
        return tuple(reversed(pending))

    @property
    def last_user_text(self) -> str | None:
        return next((turn.text for turn in reversed(self.turns) if turn.role == "user"), None)


def chat_transcript(messages: Sequence[Any]) -> Transcript:
    """The transcript of a chat request's `messages`."""
    return Transcript(_with_tool_names(_chat_turns(messages)))


def responses_transcript(
    input: Any,
    *,
    instructions: str | None = None,
    previous_response_id: str | None = None,
    conversation: str | None = None,
    history: ConversationHistory | None = None,
) -> Transcript:
    """The transcript of a Responses request: instructions, the stored history it continues, then its `input`."""
    turns: list[Turn] = [Turn("system", instructions)] if instructions else []
    stored: list[Mapping[str, Any]] = []
    chain: tuple[str, ...] = ()
    if conversation is not None and history is not None:
        stored += history.conversation_items(conversation) or ()
    if previous_response_id is not None:
        responses = history.response_chain(previous_response_id) if history is not None else None
        chain = tuple(response.id for response in responses) if responses else (previous_response_id,)
        stored += [item for response in responses or () for item in response.items]
    items = [{"role": "user", "content": input}] if isinstance(input, str) else input if isinstance(input, list) else []
    turns += _item_turns([*stored, *items])
    return Transcript(_with_tool_names(turns), "responses", chain, conversation)


def request_transcript(
    path: str, body: Mapping[str, Any] | None, history: ConversationHistory | None
) -> Transcript | None:
    """The transcript of a request that carries a conversation (chat completions, Responses); None otherwise."""
    if body is None:
        return None
    if isinstance(body.get("messages"), list):
        return chat_transcript(body["messages"])
    if not path.rstrip("/").endswith("/responses"):
        return None
    conversation = body.get("conversation")
    if isinstance(conversation, Mapping):
        conversation = conversation.get("id")
    previous = body.get("previous_response_id")
    instructions = body.get("instructions")
    return responses_transcript(
        body.get("input"),
        instructions=instructions if isinstance(instructions, str) else None,
        previous_response_id=previous if isinstance(previous, str) else None,
        conversation=conversation if isinstance(conversation, str) else None,
        history=history,
    )


def declared_tools(body: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    """The functions a request declares, by name, with their parameter schemas (chat `tools` and legacy
    `functions`: `{"function": {name, parameters}}` / `{name, parameters}`; Responses `tools`: flat)."""
    declared: dict[str, Mapping[str, Any]] = {}
    for tool in [*((body or {}).get("tools") or ()), *((body or {}).get("functions") or ())]:
        if not isinstance(tool, Mapping):
            continue
        function = tool.get("function", tool)
        if isinstance(function, Mapping) and isinstance(function.get("name"), str):
            parameters = function.get("parameters")
            declared[function["name"]] = parameters if isinstance(parameters, Mapping) else {"type": "object"}
    return declared


def _chat_turns(messages: Sequence[Any]) -> Iterator[Turn]:
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = str(message.get("role", ""))
        text = _text_of(message.get("content"))
        if role == "tool":
            yield Turn("tool", text, call_id=_str_or_none(message.get("tool_call_id")))
        elif role == "function":  # legacy function results name the function rather than a call
            yield Turn("tool", text, tool=_str_or_none(message.get("name")))
        else:
            yield Turn(role, text, tuple(_chat_calls(message)))


def _chat_calls(message: Mapping[str, Any]) -> Iterator[ToolCall]:
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            yield ToolCall(_str_or_none(call.get("id")), str(function.get("name", "")), _arguments(function))
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        yield ToolCall(None, str(legacy.get("name", "")), _arguments(legacy))


def _item_turns(items: Iterable[Any]) -> list[Turn]:
    turns: list[Turn] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type") or "message")
        if kind == "message" and "role" in item:
            turns.append(Turn(str(item["role"]), _text_of(item.get("content"))))
        elif kind.endswith("_call_output") and "call_id" in item:
            tool = _str_or_none(item.get("name"))  # outputs may name their tool; else it is looked up from the call
            turns.append(Turn("tool", _text_of(item.get("output")), call_id=str(item["call_id"]), tool=tool))
        elif kind.endswith("_call") and "call_id" in item:
            call = ToolCall(str(item["call_id"]), str(item.get("name") or kind.removesuffix("_call")), _arguments(item))
            if turns and turns[-1].role == "assistant":
                turns[-1] = replace(turns[-1], calls=(*turns[-1].calls, call))
            else:
                turns.append(Turn("assistant", calls=(call,)))
    return turns


def _with_tool_names(turns: Iterable[Turn]) -> tuple[Turn, ...]:
    """Tool turns get the name of the tool whose call they answer (where the result does not name it itself)."""
    listed = tuple(turns)
    names = {call.id: call.name for turn in listed for call in turn.calls if call.id is not None}
    return tuple(
        replace(turn, tool=names.get(turn.call_id)) if turn.tool is None and turn.call_id is not None else turn
        for turn in listed
    )


def _text_of(content: Any) -> str:
    # Content is a string or a list of parts (chat `text`, Responses `input_text`/`output_text`); images, audio and
    # files carry no words a matcher could read.
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part["text"]) for part in content if isinstance(part, Mapping) and "text" in part)
    return ""


def _arguments(call: Mapping[str, Any]) -> str:
    # Function calls carry JSON `arguments`; custom tool calls free-form `input`; other tool calls an `action` object.
    for name in ("arguments", "input", "action"):
        value = call.get(name)
        if value is not None:
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return ""


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
