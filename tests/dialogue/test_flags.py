"""The dialogue's `mockai serve` flags and `MOCKAI_*` variables reach `Settings`, and so the served app."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mockai import cli
from mockai.settings import Settings


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    monkeypatch.setattr("mockai.server.run", seen.append)
    return seen


def test_dialogue_flags_become_settings(captured: list[Settings]) -> None:
    args = ["serve", "--upstream-base-url", "http://127.0.0.1:9/v1", "--upstream-api-key", "sk-up"]
    args += ["--dialogue-model", "gpt-4", "--dialogue-system-prompt", "简短回答。", "--dialogue-reply-tokens", "64"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    settings = captured[0]
    assert (settings.upstream_base_url, settings.upstream_api_key) == ("http://127.0.0.1:9/v1", "sk-up")
    assert (settings.dialogue_model, settings.dialogue_system_prompt, settings.dialogue_reply_tokens) == (
        "gpt-4",
        "简短回答。",
        64,
    )


def test_dialogue_variables_become_settings(captured: list[Settings]) -> None:
    env = {"MOCKAI_DIALOGUE_MODEL": "gpt-4o", "MOCKAI_DIALOGUE_REPLY_TOKENS": "100", "MOCKAI_UPSTREAM_API_KEY": "k"}
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert (captured[0].dialogue_model, captured[0].dialogue_reply_tokens, captured[0].upstream_api_key) == (
        "gpt-4o",
        100,
        "k",
    )


def test_the_defaults_are_the_documented_ones(captured: list[Settings]) -> None:
    assert CliRunner().invoke(cli.main, ["serve"]).exit_code == 0
    assert (captured[0].dialogue_model, captured[0].dialogue_reply_tokens, captured[0].upstream_base_url) == (
        "gpt-3.5-turbo",
        512,
        None,
    )


def test_a_reply_budget_below_one_is_refused(captured: list[Settings]) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--dialogue-reply-tokens", "0"])
    assert result.exit_code == 2 and "--dialogue-reply-tokens" in result.output
    assert captured == []
