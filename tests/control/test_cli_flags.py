"""`mockai serve` control-plane flags reach `Settings`; bad values are refused before the server starts."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from mockai import cli
from mockai.settings import Settings


def _serve(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, Settings | None]:
    with mock.patch("mockai.server.run") as run:
        result = CliRunner().invoke(cli.main, ["serve", *args], env=env)
    settings = run.call_args.args[0] if run.call_args else None
    return result.exit_code, result.output, settings


def test_limits_and_rules_reach_the_settings(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text('[{"reply": {"kind": "json", "body": {}}}]')
    code, _, settings = _serve(
        "--rules", str(rules), "--rpm", "3", "--model-limit", "gpt-4=1:", "--model-limit", "x=:9"
    )
    assert code == 0 and settings is not None
    assert (settings.rules_file, settings.rpm, settings.tpm) == (rules, 3, None)
    assert settings.model_limits == (("gpt-4", 1, None), ("x", None, 9))


def test_limits_read_their_environment_variables() -> None:
    code, _, settings = _serve(env={"MOCKAI_RPM": "5", "MOCKAI_TPM": "1000"})
    assert code == 0 and settings is not None and (settings.rpm, settings.tpm) == (5, 1000)


@pytest.mark.parametrize("value", ["gpt-4", "gpt-4=1", "=1:2", "gpt-4=0:5", "gpt-4=a:b"])
def test_malformed_model_limits_are_refused(value: str) -> None:
    code, output, _ = _serve("--model-limit", value)
    assert code == 2 and "expected MODEL=RPM:TPM" in output


def test_a_rules_file_with_an_invalid_rule_names_it(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- reply: {kind: json}\n- reply: {kind: poem}\n")
    code, output, _ = _serve("--rules", str(rules))
    assert code == 2 and "rule 1 at reply/kind" in output
