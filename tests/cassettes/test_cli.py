"""`mockai serve` cassette flags, `mockai record` and `mockai cassettes import-vcr` at the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mockai import cli
from mockai.settings import Settings


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    monkeypatch.setattr("mockai.server.run", seen.append)
    return seen


def test_serve_cassette_flags_become_settings(captured: list[Settings], tmp_path: Path) -> None:
    args = ["serve", "--cassettes", str(tmp_path), "--cassette", "chat/stream", "--record", "new"]
    args += ["--record-upstream", "https://api.example/v1", "--record-api-key", "sk-up", "--replay-speed", "1.5"]
    args += ["--cassette-ignore", "temperature", "--cassette-ignore", "seed", "--cassette-redact", "acct-\\d+"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    (settings,) = captured
    assert (settings.cassettes_dir, settings.cassette, settings.record) == (tmp_path, "chat/stream", "new")
    assert (settings.record_upstream, settings.record_api_key, settings.replay_speed) == (
        "https://api.example/v1",
        "sk-up",
        1.5,
    )
    assert (settings.cassette_ignore, settings.cassette_redact) == (("temperature", "seed"), ("acct-\\d+",))


def test_cassette_flags_read_their_environment_variables(captured: list[Settings]) -> None:
    env = {"MOCKAI_CASSETTE": "x", "MOCKAI_REPLAY_SPEED": "2", "MOCKAI_CASSETTES": "tapes"}
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert (captured[0].cassette, captured[0].replay_speed, captured[0].cassettes_dir) == ("x", 2.0, Path("tapes"))


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--record", "new", "--cassette", "x"], id="no-upstream"),
        pytest.param(["--replay-speed", "0"], id="zero-speed"),
    ],
)
def test_recording_without_what_it_needs_is_refused(captured: list[Settings], args: list[str]) -> None:
    result = CliRunner().invoke(cli.main, ["serve", *args])
    assert result.exit_code == 2 and captured == []


@pytest.mark.parametrize(
    ("args", "cassette"),
    [
        pytest.param([], None, id="nothing-asked"),
        pytest.param(["--cassettes", "tapes"], "default", id="a-folder-replays-its-default-cassette"),
        pytest.param(["--record", "new", "--record-upstream", "https://api.example/v1"], "default", id="recording"),
        pytest.param(["--cassettes", "tapes", "--cassette", "chat"], "chat", id="named"),
    ],
)
def test_which_cassette_serve_starts_with(captured: list[Settings], args: list[str], cassette: str | None) -> None:
    result = CliRunner().invoke(cli.main, ["serve", *args])
    assert result.exit_code == 0, result.output
    assert captured[0].cassette == cassette


def test_record_is_a_proxy_that_records_everything(captured: list[Settings]) -> None:
    result = CliRunner().invoke(cli.main, ["record", "--upstream", "https://api.example/v1", "--port", "0"])
    assert result.exit_code == 0, result.output
    (settings,) = captured
    assert (settings.record, settings.cassette, settings.record_upstream) == (
        "all",
        "default",
        "https://api.example/v1",
    )
    assert settings.cassettes_dir == Path("cassettes") and settings.port == 0


def test_record_flags_have_mockai_variables() -> None:
    command = cli.main.commands["record"]  # type: ignore[attr-defined]
    names = {option.opts[0]: option.envvar for option in command.params if option.name != "help"}
    assert names["--upstream"] == "MOCKAI_RECORD_UPSTREAM"  # the same variable as serve's --record-upstream
    for flag, envvar in names.items():
        if flag != "--upstream":
            assert envvar == "MOCKAI_" + flag.lstrip("-").replace("-", "_").upper()


def test_record_needs_an_upstream() -> None:
    result = CliRunner().invoke(cli.main, ["record"])
    assert result.exit_code == 2 and "--upstream" in result.output


def test_a_broken_start_cassette_stops_serve_with_its_file_and_position(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"mockai_cassette": 1,\n "interactions": [}')
    result = CliRunner().invoke(
        cli.main, ["serve", "--port", "0", "--cassettes", str(tmp_path), "--cassette", "broken"]
    )
    assert result.exit_code == 1
    assert f"cassette {tmp_path / 'broken.json'} is not valid JSON at line 2, column 19" in result.output


def test_import_vcr_needs_cassettes_to_import(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["cassettes", "import-vcr", str(tmp_path), str(tmp_path / "out")])
    assert result.exit_code == 2 and "no .yaml or .yml cassettes" in result.output
