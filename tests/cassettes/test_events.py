"""SSE streams split into the same events however their bytes arrive, and render back byte for byte."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.cassettes.events import EventSplitter, event_from_block, render_event, render_stream

STREAM = (
    b'data: {"id":"c1","choices":[{"delta":{"content":"Hi"}}]}\n\n'
    b'event: response.completed\ndata: {"type":"response.completed"}\n\n'
    b": keep-alive\n\n"
    b"data: [DONE]\n\n"
)


@given(cuts=st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=8))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    splitter = EventSplitter()
    blocks = [block for start, end in itertools.pairwise(points) for block in splitter.feed(STREAM[start:end])]
    assert blocks == EventSplitter().feed(STREAM)
    assert len(blocks) == 4 and splitter.rest() == b""


@pytest.mark.parametrize(
    ("block", "stored"),
    [
        pytest.param(b'data: {"a":1}\n\n', {"data": {"a": 1}}, id="openai-chunk"),
        pytest.param(b"data: [DONE]\n\n", {"data": "[DONE]"}, id="done"),
        pytest.param(b'event: e\nid: 7\ndata: {"a":1}\n\n', {"event": "e", "id": "7", "data": {"a": 1}}, id="fields"),
        pytest.param(b"data: x\nevent: e\n\n", {"data": "x", "event": "e"}, id="any-field-order"),
        pytest.param(b": ping\n\n", {"comment": "ping"}, id="comment"),
        pytest.param(b"data: line one\ndata: line two\n\n", {"data": "line one\nline two"}, id="multi-line-data"),
        pytest.param(b'data: {"a": 1}\n\n', {"data": '{"a": 1}'}, id="spaced-json-kept-as-text"),
        pytest.param(b"data: x\r\n\r\n", {"raw": "data: x\r\n\r\n"}, id="crlf-raw"),
        pytest.param(b"data: x\nevent: e\ndata: y\n\n", {"raw": "data: x\nevent: e\ndata: y\n\n"}, id="split-data-raw"),
        pytest.param(b"retry: 10\nretry: 20\n\n", {"raw": "retry: 10\nretry: 20\n\n"}, id="repeated-field-raw"),
    ],
)
def test_each_event_is_stored_readably_or_raw_and_renders_back_exactly(block: bytes, stored: dict[str, object]) -> None:
    event = event_from_block(block, at_ms=1.5)
    assert event == {"at_ms": 1.5, **stored}
    assert render_event(event) == block


def test_a_whole_stream_renders_back() -> None:
    events = [event_from_block(block, at_ms=0.0) for block in EventSplitter().feed(STREAM)]
    assert render_stream(events) == STREAM
