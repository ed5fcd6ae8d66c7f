"""The `mockai` command: flags and `MOCKAI_*` variables reach `Settings`; `mockai serve` really serves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import openai
import pytest
from click.testing import CliRunner

from mockai import __version__, cli
from mockai.settings import Settings


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []
    monkeypatch.setattr("mockai.server.run", seen.append)
    return seen


def test_version() -> None:
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_flags_become_settings(captured: list[Settings], tmp_path: Path) -> None:
    args = ["serve", "--port", "0", "--seed", "7", "--api-key", "sk-a", "--api-key", "sk-b"]
    args += ["--data-dir", str(tmp_path), "--log-level", "info", "--time-scale", "0", "--storage-limit", "1000"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert captured == [
        Settings(
            port=0,
            seed=7,
            api_keys=("sk-a", "sk-b"),
            data_dir=tmp_path,
            log_level="info",
            time_scale=0.0,
            storage_limit_bytes=1000,
        )
    ]


def test_every_flag_has_a_mockai_variable(captured: list[Settings]) -> None:
    env = {"MOCKAI_PORT": "9", "MOCKAI_SEED": "3", "MOCKAI_API_KEY": "sk-x sk-y", "MOCKAI_HOST": "127.0.0.2"}
    result = CliRunner().invoke(cli.main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert (captured[0].port, captured[0].seed, captured[0].host) == (9, 3, "127.0.0.2")
    assert captured[0].api_keys == ("sk-x", "sk-y")
    serve = cli.main.commands["serve"]  # type: ignore[attr-defined]
    for option in serve.params:
        if option.name != "help":
            assert option.envvar == "MOCKAI_" + option.opts[0].lstrip("-").replace("-", "_").upper()


def test_bad_flag_values_are_refused(captured: list[Settings]) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert captured == []


def test_mockai_serve_answers_the_sdk(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mockai", "serve", "--port", str(port), "--log-level", "info"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:  # uvicorn announces readiness; no sleeping
            if "Uvicorn running on" in line:
                break
        with openai.OpenAI(
            base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-anything", _strict_response_validation=True
        ) as client:
            assert any(model.id == "gpt-3.5-turbo" for model in client.models.list())
        assert httpx.get(f"http://127.0.0.1:{port}/_mockai/health").json()["status"] == "ok"
        process.terminate()
