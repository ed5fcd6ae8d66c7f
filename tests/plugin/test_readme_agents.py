"""The README's agent examples pass as written (LangChain and openai-agents are test dependencies); its scenario
YAML loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mockai.contract.registry import default_registry
from mockai.control.rules import RuleBook
from mockai.control.scenarios import ScenarioBook

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(marker: str, language: str = "python") -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker}[^>]*-->\n```{language}\n(.*?)```", text, re.DOTALL)
    assert found is not None, f"README.md lost its marked {marker} example"
    return found.group(1)


def test_the_langchain_example_passes_as_written(pytester: pytest.Pytester) -> None:
    example = readme_block("readme-langchain")
    pytester.makepyfile(test_langchain_agent=example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_openai_agents_example_passes_as_written(pytester: pytest.Pytester) -> None:
    example = readme_block("readme-openai-agents")
    pytester.makepyfile(test_openai_agent=example)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_scenario_yaml_example_is_a_valid_rules_file() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL) if "scenarios:" in block]
    assert len(blocks) == 1, "README.md lost its scenario YAML example"
    document = yaml.safe_load(blocks[0])
    registry = default_registry()
    for rule in document["rules"]:
        registry.validator("mockai/rule").validate(rule)
        RuleBook().add(rule)
    for scenario in document["scenarios"]:
        registry.validator("mockai/scenario").validate(scenario)
        assert [step.description for step in ScenarioBook().add(scenario).steps] == [
            "the user says 'weather in Paris' -> call get_weather",
            "a result of get_weather contains 'Sunny' -> call get_time, get_timezone",
            "a result of get_time came back -> rules or the model answer",
        ]
