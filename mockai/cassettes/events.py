"""Server-Sent Event streams as timed events: split as bytes arrive, stored readably, rendered back byte for byte.

An event is stored with its fields (`event`, `id`, `retry`, a `comment`) and its `data`: a JSON value when the data
is compact JSON (OpenAI's chunks, Responses events), else the string. An event whose bytes that form would not
reproduce (CRLF line endings, several comments, an unusual field order) is stored `raw`, so the rendered stream is
always exactly the recorded one. `at_ms` is when the event was complete, counted from the response headers.

>>> splitter = EventSplitter()
>>> splitter.feed(b'data: {"a":1}\\n\\ndata: [DO')
[b'data: {"a":1}\\n\\n']
>>> splitter.feed(b'NE]\\n\\n'), splitter.rest()
([b'data: [DONE]\\n\\n'], b'')
>>> event = event_from_block(b'event: response.created\\ndata: {"a":1}\\n\\n', at_ms=12.5)
>>> event
{'at_ms': 12.5, 'event': 'response.created', 'data': {'a': 1}}
>>> render_event(event)
b'event: response.created\\ndata: {"a":1}\\n\\n'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

StoredEvent = dict[str, Any]

# A blank line ends an event; the SSE spec allows LF, CRLF and CR line endings.
_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_FIELDS = ("comment", "id", "event", "retry")  # rendered in this order, before `data`


class EventSplitter:
    """Cuts a byte stream into whole events (each with its terminating blank line), however the bytes arrive."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        blocks: list[bytes] = []
        while match := _EVENT_END.search(self._buffer):
            blocks.append(self._buffer[: match.end()])
            self._buffer = self._buffer[match.end() :]
        return blocks

    def rest(self) -> bytes:
        """Bytes after the last complete event (a stream that ended without a blank line)."""
        return self._buffer


def event_from_block(block: bytes, *, at_ms: float) -> StoredEvent:
    """The stored form of one event's bytes; `raw` when the structured form would not give the same bytes back."""
    text = block.decode("utf-8", errors="replace")
    event: StoredEvent = {"at_ms": at_ms}
    parsed = _parse_fields(text)
    if parsed is not None:
        event.update(parsed)
        if render_event(event) == block:
            return event
    return {"at_ms": at_ms, "raw": text}


def render_event(event: StoredEvent) -> bytes:
    """The bytes of one stored event."""
    if "raw" in event:
        return str(event["raw"]).encode("utf-8")
    lines: list[str] = []
    if "comment" in event:
        lines.append(f": {event['comment']}" if event["comment"] else ":")
    lines += [f"{name}: {event[name]}" for name in _FIELDS[1:] if name in event]
    if "data" in event:
        data = event["data"]
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        lines += [f"data: {line}" for line in text.split("\n")]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def render_stream(events: Iterable[StoredEvent]) -> bytes:
    """The whole body of a stored stream."""
    return b"".join(render_event(event) for event in events)


def _parse_fields(text: str) -> dict[str, Any] | None:
    if not text.endswith("\n\n"):
        return None  # CR or CRLF endings: kept raw
    fields: dict[str, Any] = {}
    data: list[str] = []
    for line in text[:-2].split("\n"):
        name, colon, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if not colon or (name and name not in _FIELDS[1:] and name != "data"):
            return None
        if not name:
            if "comment" in fields:
                return None
            fields["comment"] = value
        elif name == "data":
            data.append(value)
        elif name in fields:
            return None
        else:
            fields[name] = value
    if data:
        fields["data"] = _data_value("\n".join(data))
    return fields


def _data_value(text: str) -> Any:
    """Compact JSON data as its value (when it dumps back to the same text), else the text itself."""
    if not text or text[0] not in "{[":
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if json.dumps(value, ensure_ascii=False, separators=(",", ":")) == text else text
