"""The README's plugin example passes exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

import openai  # noqa: F401  (the SDK is part of the test extra: missing, it must fail, not skip)
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-example[^>]*-->\n```python\n(.*?)```", text, re.DOTALL)
    assert found is not None, "README.md lost its marked plugin example"
    return found.group(1)


def test_the_readme_example_passes_as_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_weather=readme_example())
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
