"""Fine-tuning JSONL is validated line by line, in chunks of any size, naming the first bad line."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.state.jsonl import DataFormat, JsonlValidator, read_examples

GOOD = b'{"prompt": "a", "completion": "b"}\n'
CHAT = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})


def validate(data: bytes) -> tuple[DataFormat | None, int, str | None]:
    validator = JsonlValidator()
    validator.feed(data)
    report = validator.report()
    return report.format, report.examples, report.error


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(GOOD + b"not json\n", "Line 2 is not valid JSON.", id="not-json"),
        pytest.param(GOOD + b"[1, 2]\n", "Line 2 is not a dictionary.", id="not-object"),
        pytest.param(b'{"prompt": "a"}\n', "Missing `completion` key on line 1.", id="no-completion"),
        pytest.param(b'{"completion": "a"}\n', "Missing `prompt` key on line 1.", id="no-prompt"),
        pytest.param(b'{"prompt": 1, "completion": "a"}\n', "`prompt` value on line 1 is not", id="not-str"),
        pytest.param(GOOD + CHAT.encode(), "Line 2 is in chat format", id="mixed"),
        pytest.param(b'{"messages": []}\n', 'Line 1, key "messages": must be a non-empty', id="empty-chat"),
        pytest.param(b'{"messages": [{"role": "robot", "content": "x"}]}\n', "message 1: role must be", id="role"),
        pytest.param(b'{"messages": [{"role": "user", "content": 3}]}\n', "message 1: content must be", id="content"),
        pytest.param(b'{"messages": [{"role": "user", "content": "x"}]}\n', "no assistant message", id="no-answer"),
        pytest.param(b"\n\n", "contains no examples", id="empty"),
        # Before the strict reader these were accepted (NaN, a lone surrogate) or a 500 (a thousand levels deep).
        pytest.param(GOOD + b'{"prompt": "a", "completion": NaN}\n', "Line 2 is not valid JSON.", id="nan"),
        pytest.param(b'{"prompt": "\\ud800", "completion": "b"}\n', "Line 1 is not valid JSON.", id="surrogate"),
        pytest.param(b'{"prompt": ' + b"[" * 1000 + b"]" * 1000 + b"}\n", "Line 1 is not valid JSON.", id="deep"),
    ],
)
def test_bad_files_are_reported_by_line(data: bytes, message: str) -> None:
    _, _, error = validate(data)
    assert error is not None and message in error


def test_good_files_report_their_format_and_size() -> None:
    assert validate(GOOD * 3) == (DataFormat.PROMPT_COMPLETION, 3, None)
    assert validate(((CHAT + "\n") * 2 + CHAT).encode()) == (DataFormat.CHAT, 3, None)


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=30), st.integers(0, 3))
def test_chunk_boundaries_never_change_the_verdict(cuts: list[int], bad_line: int) -> None:
    lines = [GOOD] * 4
    lines[bad_line] = b'{"prompt": "only"}\n'
    data = b"".join(lines)
    validator, position = JsonlValidator(), 0
    for cut in cuts:
        validator.feed(data[position : position + cut])
        position += cut
    validator.feed(data[position:])
    assert validator.report().error == validate(data)[2]
    assert f"line {bad_line + 1}." in (validator.report().error or "")


def test_read_examples_parses_every_line_across_chunks() -> None:
    data = GOOD * 3
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert list(read_examples(chunks)) == [{"prompt": "a", "completion": "b"}] * 3
