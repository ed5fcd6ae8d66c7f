"""Bodies are stored readably and decoded to the very bytes received, whatever the JSON layout."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.cassettes.bodies import decode_body, encode_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
LAYOUTS = [
    {"separators": (",", ":")},
    {"separators": (", ", ": ")},
    {"indent": 2},
    {"indent": 4, "ensure_ascii": True},
    {"indent": 2, "ensure_ascii": False},
]


@given(value=json_values, layout=st.sampled_from(LAYOUTS), newline=st.booleans())
def test_json_in_any_usual_layout_decodes_to_the_same_bytes(value: Any, layout: dict[str, Any], newline: bool) -> None:
    raw = (json.dumps(value, **layout) + ("\n" if newline else "")).encode()
    stored = encode_body(raw, "application/json")
    assert stored is not None and decode_body(stored) == raw
    assert stored.get("json", stored.get("text")) == (value if "json" in stored else raw.decode())


@pytest.mark.parametrize(
    ("raw", "content_type", "kind"),
    [
        pytest.param(b'{"a":1,"b":[1,2]}', "application/json", "json", id="compact-json"),
        pytest.param(b'{"a": 1.50}', "application/json", "text", id="json-no-layout-reproduces"),
        pytest.param(b'{"a":1,"a":2}', "application/json", "text", id="duplicate-keys"),
        pytest.param(b"1\n00:00:00,000 --> 00:00:01,000\nHi\n", "text/plain", "text", id="srt"),
        pytest.param(b'{"prompt":"x"}\n', "application/octet-stream", "text", id="jsonl-download"),
        pytest.param(b"RIFF\x00\x00WAVE", "audio/wav", "base64", id="audio"),
        pytest.param(b"\x89PNG\r\n\x1a\n", "image/png", "base64", id="png"),
        pytest.param("héllo".encode(), "audio/mpeg", "base64", id="binary-media-even-if-utf8"),
        pytest.param(b"\xff\xfe", None, "base64", id="not-utf8"),
    ],
)
def test_each_body_is_stored_as_what_it_is(raw: bytes, content_type: str | None, kind: str) -> None:
    stored = encode_body(raw, content_type)
    assert stored is not None and kind in stored
    assert decode_body(stored) == raw
    if kind == "base64":
        assert stored["media_type"] == (content_type or "application/octet-stream")
        assert base64.b64decode(stored["base64"]) == raw


def test_an_empty_body_is_stored_as_nothing() -> None:
    assert encode_body(b"", "application/json") is None
    assert decode_body(None) == b""


def test_a_multipart_form_is_stored_as_its_parts_in_order() -> None:
    boundary = "b0undary"
    raw = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nfine-tune\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + b"RIFF\x00\x01"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    stored = encode_body(raw, f"multipart/form-data; boundary={boundary}")
    assert stored == {
        "form": [
            {"name": "purpose", "text": "fine-tune"},
            {"name": "file", "filename": "a.wav", "content_type": "audio/wav", "base64": "UklGRgAB"},
        ]
    }
