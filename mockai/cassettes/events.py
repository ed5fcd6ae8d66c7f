"""Server-Sent Event streams as timed events: split as bytes arrive, stored readably, rendered back byte for byte.

An event is stored with its fields in the order they came (`event`, `id`, `retry`, a `comment`) and its `data`: a
JSON value when the data is compact JSON (OpenAI's chunks, Responses events), else the string. An event whose bytes
that form would not reproduce (CRLF line endings, a repeated field, data lines split by another field) is stored
`raw`, so the rendered stream is always exactly the recorded one. `at_ms` is when the event was complete, counted
from the response headers.

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
_FIELDS = ("comment", "id", "event", "retry", "data")


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
    """The bytes of one stored event: its fields in their stored order."""
    if "raw" in event:
        return str(event["raw"]).encode("utf-8")
    lines: list[str] = []
    for name, value in event.items():
        if name == "comment":
            lines.append(f": {value}" if value else ":")
        elif name == "data":
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            lines += [f"data: {line}" for line in text.split("\n")]
        elif name != "at_ms":
            lines.append(f"{name}: {value}")
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def render_stream(events: Iterable[StoredEvent]) -> bytes:
    """The whole body of a stored stream."""
    return b"".join(render_event(event) for event in events)


def _parse_fields(text: str) -> dict[str, Any] | None:
    """The fields of an LF-terminated event, in the order they came (None if it cannot be one)."""
    if not text.endswith("\n\n"):
        return None  # CR or CRLF endings: kept raw
    fields: dict[str, Any] = {}
    data: list[str] = []
    for line in text[:-2].split("\n"):
        name, colon, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        name = name or "comment"
        if not colon or name not in _FIELDS or (name in fields and name != "data"):
            return None  # not a field, or a repeated one: kept raw
        fields.setdefault(name, None)
        if name == "data":
            data.append(value)
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
