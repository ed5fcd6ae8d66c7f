"""A body as a cassette stores it: JSON as JSON, text as text, anything else base64 with its media type, forms as parts.

A JSON body is kept as a JSON value (readable, diffable) only when it can be written back to the very bytes that
were received: its `layout` (indentation, separators, ASCII escaping, a final newline) is found by trying the layouts
servers use. A body no layout reproduces (duplicate keys, `1.0` written as `1.00`) is kept as text, so a replay is
always byte-identical to the recording.

>>> stored = encode_body(b'{"id":"x","n":[1,2]}', "application/json")
>>> stored
{'json': {'id': 'x', 'n': [1, 2]}}
>>> decode_body(stored)
b'{"id":"x","n":[1,2]}'
>>> encode_body(b'{\\n  "id": "x"\\n}\\n', "application/json")["layout"]
{'indent': 2, 'item_separator': ',', 'key_separator': ': ', 'ensure_ascii': False, 'final_newline': True}
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

StoredBody = dict[str, Any]

# Media families that are never text, whatever their bytes look like.
_BINARY_FAMILIES = frozenset({"audio", "image", "video", "font"})


@dataclass(frozen=True)
class JsonLayout:
    """How a JSON document was written: enough to write the same value back to the same bytes."""

    indent: int | None = None
    item_separator: str = ","
    key_separator: str = ":"
    ensure_ascii: bool = False
    final_newline: bool = False

    def dump(self, value: Any) -> bytes:
        text = json.dumps(
            value,
            indent=self.indent,
            separators=(self.item_separator, self.key_separator),
            ensure_ascii=self.ensure_ascii,
        )
        return (text + "\n" if self.final_newline else text).encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> JsonLayout:
        return cls(**raw) if raw else COMPACT


COMPACT = JsonLayout()  # mockai's own, and most servers' without pretty-printing


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json` (lower case; empty when there is none)."""
    return (content_type or "").split(";")[0].strip().lower()


def is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def encode_body(raw: bytes, content_type: str | None) -> StoredBody | None:
    """The stored form of a body received with this `Content-Type` (None for an empty body)."""
    if not raw:
        return None
    media = media_type(content_type)
    if media == "multipart/form-data":
        parts = parse_form(raw, content_type or "")
        if parts is not None:
            return {"form": parts}
    if is_json_media(media) or (not media and raw.lstrip()[:1] in (b"{", b"[")):
        stored = _encode_json(raw)
        if stored is not None:
            return stored
    return _encode_bytes(raw, media)


def decode_body(stored: StoredBody | None) -> bytes:
    """The exact bytes of a stored response body (forms are request-only and never sent back)."""
    if stored is None:
        return b""
    if "json" in stored:
        return JsonLayout.from_json(stored.get("layout")).dump(stored["json"])
    if "text" in stored:
        return str(stored["text"]).encode("utf-8")
    if "base64" in stored:
        return base64.b64decode(stored["base64"])
    raise ValueError("a form body is a recorded request, never a response to send")


def _encode_json(raw: bytes) -> StoredBody | None:
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    layout = find_layout(raw, value)
    if layout is None:
        return None
    return {"json": value} if layout == COMPACT else {"json": value, "layout": layout.to_json()}


def find_layout(raw: bytes, value: Any) -> JsonLayout | None:
    """The layout that writes `value` back to exactly `raw`, or None when no usual layout does."""
    for layout in _candidate_layouts(raw):
        if layout.dump(value) == raw:
            return layout
    return None


def _candidate_layouts(raw: bytes) -> Iterator[JsonLayout]:
    # Guessed from the bytes first, so a body is dumped once or twice, not once per combination.
    final_newline = raw.endswith(b"\n")
    core = raw[:-1] if final_newline else raw
    ascii_first = raw.isascii() and b"\\u" in raw
    for ensure_ascii in (ascii_first, not ascii_first):
        if b"\n" in core:
            for indent in (2, 4, 1, 3):
                yield JsonLayout(indent, ",", ": ", ensure_ascii, final_newline)
        else:
            yield JsonLayout(None, ",", ":", ensure_ascii, final_newline)
            yield JsonLayout(None, ", ", ": ", ensure_ascii, final_newline)


def _encode_bytes(raw: bytes, media: str) -> StoredBody:
    text = as_text(raw) if media.split("/")[0] not in _BINARY_FAMILIES else None
    if text is not None:
        return {"text": text}
    return {"base64": base64.b64encode(raw).decode("ascii"), "media_type": media or "application/octet-stream"}


def as_text(raw: bytes) -> str | None:
    """`raw` as text when it is UTF-8 with no control characters besides tab, newline and carriage return."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(char) < 32 and char not in "\t\n\r" for char in text) or "\x7f" in text:
        return None
    return text


def parse_form(raw: bytes, content_type: str) -> list[dict[str, Any]] | None:
    """The parts of a `multipart/form-data` body, in order: `{"name", "text"}` for fields, plus `filename` and
    `content_type` for files, whose bytes are text or base64 like any body. None when it does not parse."""
    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return None
    collector = _FormCollector()
    try:
        parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
        parser.write(raw)
        parser.finalize()
    except Exception:  # python-multipart raises several unrelated types for malformed input
        return None
    return [_stored_part(headers, data) for headers, data in collector.parts]


def _stored_part(headers: dict[bytes, bytes], data: bytes) -> dict[str, Any]:
    _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
    part: dict[str, Any] = {"name": disposition.get(b"name", b"").decode("utf-8", "replace")}
    if b"filename" in disposition:
        part["filename"] = disposition[b"filename"].decode("utf-8", "replace")
        if b"content-type" in headers:
            part["content_type"] = headers[b"content-type"].decode("latin-1")
        part.update(_encode_bytes(data, media_type(part.get("content_type"))))
        part.pop("media_type", None)  # the part's own content_type already says it
        return part
    text = as_text(data)
    part.update({"text": text} if text is not None else {"base64": base64.b64encode(data).decode("ascii")})
    return part


class _FormCollector:
    """Gathers python-multipart's callbacks into (headers, bytes) per part."""

    def __init__(self) -> None:
        self.parts: list[tuple[dict[bytes, bytes], bytes]] = []
        self._headers: dict[bytes, bytes] = {}
        self._data = bytearray()
        self._field = bytearray()
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_part_data": lambda data, start, end: self._data.extend(data[start:end]),
            "on_part_end": lambda: self.parts.append((dict(self._headers), bytes(self._data))),
            "on_header_field": lambda data, start, end: self._field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._value.extend(data[start:end]),
            "on_header_end": self._header_end,
        }

    def _begin(self) -> None:
        self._headers = {}
        self._data = bytearray()

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()
