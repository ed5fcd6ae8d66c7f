"""The two commands from a fresh clone: `make serve` and a `make test` target started at the same moment both work.

Slow (it creates a venv and installs from the package index): deselected from `make test`, run by `make test-slow`
and CI. Only the subprocesses reach the index; this process stays offline.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 900  # seconds: two pip installs into a fresh venv, on 2 shared cores


def _clean_env() -> dict[str, str]:
    """The environment of someone at a shell: no outer make's job server, no venv of this checkout on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "VIRTUAL_ENV")}
    ours = str(REPO / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != ours)
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    target = tmp_path / "mockai"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True)
    return target


@pytest.fixture
def make_serve(clone: Path) -> Iterator[tuple[queue.Queue[str], int]]:
    """`make serve` on a free port, started now; yields the queue its output lines arrive in, and the port."""
    port = _free_port()
    process = subprocess.Popen(
        ["make", "serve", f"PORT={port}"],
        cwd=clone,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: make and the server it starts stop together
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    try:
        yield lines, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        reader.join(timeout=30)  # the pipe is at its end once every writer has exited
        process.stdout.close()


def test_make_serve_and_make_lint_run_together_in_a_fresh_clone(
    clone: Path, make_serve: tuple[queue.Queue[str], int]
) -> None:
    served, port = make_serve
    # At the same moment: both find no .venv and must take turns creating it and installing into it.
    lint = subprocess.run(
        ["make", "lint"], cwd=clone, env=_clean_env(), capture_output=True, text=True, timeout=INSTALL_TIMEOUT
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    seen = []
    while not any("mockai listening on" in line for line in seen):
        try:
            seen.append(served.get(timeout=INSTALL_TIMEOUT))
        except queue.Empty:
            pytest.fail("make serve never said it was listening:\n" + "".join(seen))
    assert re.search(rf"http://127\.0\.0\.1:{port} ", seen[-1])
    assert httpx.get(f"http://127.0.0.1:{port}/_mockai/health").json()["status"] == "ok"
    assert (clone / ".venv" / ".installed-test").exists()
