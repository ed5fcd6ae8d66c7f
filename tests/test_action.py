"""The GitHub Action: `action.yml` wires its inputs to `action/*.sh`, and those scripts, run with bash as the runner
runs them ($GITHUB_ENV and $GITHUB_OUTPUT pointing at files), start a real mockai, export it and stop it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action"
MOCKAI = Path(sys.executable).parent / "mockai"  # this venv's console script


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_pairs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if line)


class Runner:
    """A stand-in for the GitHub runner: a state directory, the two files it reads back, and the scripts' env."""

    def __init__(self, tmp_path: Path) -> None:
        self.state = tmp_path / "runner-temp"
        self.github_env = tmp_path / "github_env"
        self.github_output = tmp_path / "github_output"
        self.port = _free_port()

    def run(self, script: str, timeout: float = 120, **inputs: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "RUNNER_TEMP": str(self.state),
            "GITHUB_ENV": str(self.github_env),
            "GITHUB_OUTPUT": str(self.github_output),
            "MOCKAI_ACTION_BIN": str(MOCKAI),
            "MOCKAI_ACTION_PORT": str(self.port),
            **inputs,
        }
        return subprocess.run(["bash", str(ACTION / script)], env=env, capture_output=True, text=True, timeout=timeout)

    def kill_leftovers(self) -> None:
        pid_file = self.state / "mockai.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    stand_in = Runner(tmp_path)
    yield stand_in
    stand_in.kill_leftovers()  # a failing test must not leave a server behind


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    status = Path(f"/proc/{pid}/stat")
    return not (status.exists() and status.read_text().split(") ", 1)[1].startswith("Z"))


def test_action_yml_passes_only_declared_inputs_to_scripts_that_exist() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)", text)) | set(re.findall(r"inputs\.([\w-]+)\s*[!=]=", text))
    assert used == set(action["inputs"])  # every input is used, and nothing undeclared is
    steps = action["runs"]["steps"]
    scripts = [re.fullmatch(r'bash "\$GITHUB_ACTION_PATH/(action/[\w.]+)"', step["run"]) for step in steps]
    assert all(scripts) and all((REPO / match.group(1)).is_file() for match in scripts if match)
    step_ids = {step.get("id") for step in steps}
    for output in action["outputs"].values():
        step = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.[\w-]+ \}\}", output["value"])
        assert step is not None and step.group(1) in step_ids


def test_start_exports_a_working_mock_and_stop_ends_it(runner: Runner) -> None:
    started = runner.run(
        "start.sh",
        MOCKAI_ACTION_ARGS="--seed 7 --dialogue-system-prompt 'Be brief, please'",
        MOCKAI_ACTION_API_KEY="sk-ci",
    )
    assert started.returncode == 0, started.stdout + started.stderr
    base = f"http://127.0.0.1:{runner.port}"
    assert _read_pairs(runner.github_env) == {
        "OPENAI_BASE_URL": f"{base}/v1",
        "OPENAI_API_BASE": f"{base}/v1",
        "OPENAI_API_KEY": "sk-ci",
        "MOCKAI_BASE_URL": base,
    }
    outputs = _read_pairs(runner.github_output)
    assert outputs["base-url"] == base and outputs["log-file"] == str(runner.state / "mockai.log")
    assert f"mockai listening on {base} (seed 7," in started.stdout  # the quoted flag did not break the others
    env = _read_pairs(runner.github_env)
    with openai.OpenAI(base_url=env["OPENAI_BASE_URL"], api_key=env["OPENAI_API_KEY"], max_retries=0) as client:
        assert client.models.retrieve("gpt-4").id == "gpt-4"
    pid = int(outputs["pid"])
    stopped = runner.run("stop.sh")
    assert stopped.returncode == 0, stopped.stderr
    assert "::group::mockai log" in stopped.stdout and "mockai listening on" in stopped.stdout
    assert not _alive(pid)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/_mockai/health")
    assert "nothing to stop" in runner.run("stop.sh").stdout  # a second stop is harmless


def test_a_server_that_cannot_start_fails_the_step_with_its_log(runner: Runner) -> None:
    started = runner.run("start.sh", MOCKAI_ACTION_ARGS="--rules /no/such/rules.yaml")
    assert started.returncode == 1
    assert "::error title=mockai did not start::mockai serve exited before answering" in started.stdout
    assert "does not exist" in started.stdout  # click's own message, from the server's log
    assert not runner.github_env.exists()


def test_a_server_that_never_answers_fails_the_step_after_the_wait(runner: Runner, tmp_path: Path) -> None:
    silent = tmp_path / "silent-mockai"
    silent.write_text("#!/bin/sh\necho 'starting, never listening'\nexec sleep 600\n")
    silent.chmod(0o755)
    started = runner.run("start.sh", MOCKAI_ACTION_BIN=str(silent), MOCKAI_ACTION_WAIT_SECONDS="1")
    assert started.returncode == 1
    assert "did not answer" in started.stdout and "within 1s" in started.stdout
    assert "starting, never listening" in started.stdout
    assert not (runner.state / "mockai.pid").exists()  # and the silent process was ended


def test_unbalanced_quotes_in_args_fail_the_step(runner: Runner) -> None:
    started = runner.run("start.sh", MOCKAI_ACTION_ARGS="--dialogue-system-prompt 'unclosed")
    assert started.returncode != 0
    assert "No closing quotation" in started.stderr
    assert not (runner.state / "mockai.pid").exists()


@pytest.mark.slow
def test_install_puts_the_checkout_in_a_private_venv_that_start_serves(runner: Runner, tmp_path: Path) -> None:
    checkout = tmp_path / "action-checkout"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(checkout)], check=True)
    env = {"MOCKAI_ACTION_SOURCE": str(checkout), "MOCKAI_ACTION_PYTHON": sys.executable}
    installed = runner.run("install.sh", timeout=900, **env)  # a pip install from the index, on 2 shared cores
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "mockai, version" in installed.stdout
    bin_path = runner.state / "mockai-venv" / "bin" / "mockai"
    started = runner.run("start.sh", MOCKAI_ACTION_BIN=str(bin_path))
    assert started.returncode == 0, started.stdout + started.stderr
    assert httpx.get(f"http://127.0.0.1:{runner.port}/_mockai/health").json()["status"] == "ok"
    assert runner.run("stop.sh").returncode == 0
