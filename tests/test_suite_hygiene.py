"""The suite itself: a test must fail, not skip, when a package it needs is missing from the test extra."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_test_skips_for_a_missing_package() -> None:
    # A broken install would otherwise turn every SDK test into a silent skip; import what the test extra provides.
    skipping = sorted(
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bimportorskip\(", line)
    )
    assert skipping == []
