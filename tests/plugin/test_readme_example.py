"""The README's plugin example passes exactly as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockai.api.routes import ENDPOINTS

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-example[^>]*-->\n```python\n(.*?)```", text, re.DOTALL)
    assert found is not None, "README.md lost its marked plugin example"
    return found.group(1)


def test_the_readme_example_passes_as_written(pytester: pytest.Pytester) -> None:
    pytest.importorskip("openai")
    if not any(endpoint.operation_id == "createChatCompletion" for endpoint in ENDPOINTS):
        pytest.skip("the chat endpoint is not routed yet")
    pytester.makepyfile(test_weather=readme_example())
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
