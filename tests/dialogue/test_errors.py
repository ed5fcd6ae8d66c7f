"""The dialogue's code table: every code has a status, and the README documents exactly this table."""

from __future__ import annotations

import re
from pathlib import Path

from mockai.dialogue import errors
from mockai.dialogue.errors import HTTP_STATUS, Code

README = Path(__file__).resolve().parents[2] / "README.md"


def documented_codes() -> dict[int, int]:
    section = README.read_text(encoding="utf-8").split("## Context dialogue", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*(\d{3})\s*\|", section, re.M)
    return {int(code): int(status) for code, status in rows}


def test_every_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(Code)


def test_the_readme_table_is_the_code_table() -> None:
    assert documented_codes() == {int(code): status for code, status in HTTP_STATUS.items()}


def test_an_error_renders_as_the_dialogue_envelope() -> None:
    refused = errors.upstream_rate_limited("Rate limit reached", "20")
    assert refused.envelope() == {
        "code": 2003,
        "msg": "The chat backend is rate limiting us: Rate limit reached",
        "data": None,
    }
    assert (refused.status, refused.headers) == (429, {"retry-after": "20"})
