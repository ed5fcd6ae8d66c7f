"""Encode a generated multipart body as a real form: sample files for the binary fields, strings for the rest.

Encoded by hand rather than by httpx, because httpx falls back to urlencoded when a form has no file, and a form
that lacks its file must still arrive as multipart so the server can name the missing field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mockai.contract import samples
from mockai.contract.operations import Operation

# Which sample file each binary form field gets: the field name decides, and the operation for `file`.
_SAMPLE_FILES: dict[str, Callable[[], tuple[str, bytes, str]]] = {
    "image": lambda: ("otter.png", samples.square_png(), "image/png"),
    "mask": lambda: ("mask.png", samples.square_png(), "image/png"),
    "audio": lambda: ("speech.wav", samples.tone_wav(), "audio/wav"),
    "jsonl": lambda: ("contract.jsonl", samples.training_jsonl(chat=True), "application/jsonl"),
    "data": lambda: ("part.bin", b"contract upload part", "application/octet-stream"),  # an upload's part
}


def _file_kind(operation: Operation, field: str) -> str:
    if field == "file":
        return "jsonl" if operation.operation_id == "createFile" else "audio"
    return field


def encode(operation: Operation, body: dict[str, Any]) -> tuple[bytes, str]:
    """The multipart bytes for `body` and the Content-Type header naming their boundary."""
    return _multipart(*_fields(operation, body))


def _fields(operation: Operation, body: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    data: dict[str, Any] = {}
    files: list[tuple[str, Any]] = []
    for field, value in body.items():
        kind = _file_kind(operation, field)
        if kind in _SAMPLE_FILES and isinstance(value, str):
            files.append((field, _SAMPLE_FILES[kind]()))
        elif isinstance(value, list):
            data[f"{field}[]"] = [_form_value(item) for item in value]
        elif value is not None:
            data[field] = _form_value(value)
    return data, files


_BOUNDARY = "mockai-contract-boundary-7d1f"


def _multipart(data: dict[str, Any], files: list[tuple[str, Any]]) -> tuple[bytes, str]:
    parts: list[bytes] = []
    for name, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(_part(f'name="{name}"', "", str(item).encode()))
    for name, (filename, content, media_type) in files:
        parts.append(_part(f'name="{name}"; filename="{filename}"', f"Content-Type: {media_type}\r\n", content))
    body = b"".join(parts) + f"--{_BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={_BOUNDARY}"


def _part(disposition: str, extra_headers: str, content: bytes) -> bytes:
    head = f"--{_BOUNDARY}\r\nContent-Disposition: form-data; {disposition}\r\n{extra_headers}\r\n"
    return head.encode() + content + b"\r\n"


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def summary(operation: Operation, body: Any) -> Any:
    """The body as the report shows it: uploads by their sample file name."""
    if not isinstance(body, dict):
        return body
    shown = dict(body)
    for field, value in body.items():
        kind = _file_kind(operation, field)
        if kind in _SAMPLE_FILES and isinstance(value, str):
            shown[field] = f"<{_SAMPLE_FILES[kind]()[0]}>"
    return shown
