"""Benchmark the pytest plugin: per-worker server readiness and the per-test cost of the `mockai` fixture.

Run by hand: `.venv/bin/python bench/bench_plugin.py [--rounds 5] [--workers 2] [--tests 200]`.

1. Readiness. Fresh pytest runs of one test that asks for `mockai_server` (the plugin starts its session server)
   against runs of one test that asks for nothing, in the same rounds: the difference is what a worker waits for
   its server. `--workers` runs start at once, as xdist starts its workers.
2. Per-test cost. A real pytest run of `--tests` tests that each script a reply and get it from the server
   (`mockai.chat.reply("Sunny")`, one chat completion), against the same number of tests that send one request to
   `/_mockai/health` with no fixture. The median per-test time (setup + call + teardown) of each, and their
   difference, is what the fixture costs a test. A bare loopback round trip is printed for scale.

Numbers are medians, printed, never asserted; compare them with the baselines of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

# Two one-test pytest runs: the plugin's session server up, or nothing. Both pay pytest's start and collection.
READY_TESTS = {
    "server": "def test_ready(mockai_server):\n    print('ready', flush=True)\n",
    "baseline": "def test_ready():\n    print('ready', flush=True)\n",
}

CONFTEST = textwrap.dedent(
    """
    import json, os, time
    import pytest

    TIMES = {}

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(item, nextitem):
        # Wall time, and CPU time of the whole process: client and server threads alike, waiting excluded.
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return (yield)
        finally:
            TIMES[item.name] = (time.perf_counter() - started, time.process_time() - cpu)

    def pytest_sessionfinish(session):
        with open(os.environ["BENCH_TIMES"], "w") as out:
            json.dump(TIMES, out)
    """
)

TESTS_HEADER = textwrap.dedent(
    """
    import httpx

    BODY = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hi"}]}
    CLIENT = httpx.Client(trust_env=False, headers={"Authorization": "Bearer sk-bench"})
    """
)
# The two kinds alternate (test order is definition order), so a change in the host's load hits both alike.
TEST_PAIR = textwrap.dedent(
    """
    def test_scripted_reply_{n}(mockai):
        mockai.chat.reply("Sunny")
        reply = CLIENT.post(mockai.api_base + "/chat/completions", json=BODY).json()
        assert reply["choices"][0]["message"]["content"] == "Sunny"

    def test_round_trip_{n}(mockai_server):
        assert CLIENT.get(mockai_server.base_url + "/_mockai/health").status_code == 200
    """
)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def start_at_once(test_file: Path, workers: int, env: dict[str, str]) -> list[tuple[float, float]]:
    """(seconds from exec to "ready", CPU seconds by then) of each pytest run, all started together."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-s",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        str(test_file),
    ]
    started = time.perf_counter()
    children = [
        subprocess.Popen(command, cwd=test_file.parent, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(workers)
    ]
    times = []
    for child in children:
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip().endswith("ready"):
                break
        else:
            sys.exit(f"pytest exited before the test ran (exit {child.wait()})")
        times.append((time.perf_counter() - started, cpu_seconds(child.pid)))
    for child in children:
        assert child.stdout is not None
        child.stdout.read()
        child.wait(timeout=60)
    return times


def readiness(rounds: int, workers: int, env: dict[str, str]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="mockai-bench-ready-"))
    runs: dict[str, list[tuple[float, float]]] = {"server": [], "baseline": []}
    try:
        for kind, text in READY_TESTS.items():
            (workdir / f"test_{kind}.py").write_text(text)
        for _ in range(rounds):
            for kind in runs:
                runs[kind] += start_at_once(workdir / f"test_{kind}.py", workers, env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    ready, floor = (statistics.median(wall for wall, _ in runs[kind]) for kind in ("server", "baseline"))
    ready_cpu, floor_cpu = (statistics.median(cpu for _, cpu in runs[kind]) for kind in ("server", "baseline"))
    print(f"per-worker readiness, {workers} worker(s) starting together, medians of {rounds} rounds (wall / CPU):")
    print(f"  exec → a pytest test runs              {floor:7.3f} s / {floor_cpu:.3f} s")
    print(f"  exec → a test with mockai_server runs  {ready:7.3f} s / {ready_cpu:.3f} s")
    print(f"  the server's start                     {ready - floor:7.3f} s / {ready_cpu - floor_cpu:.3f} s")


def per_test_cost(tests: int, env: dict[str, str]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="mockai-bench-plugin-"))
    try:
        (workdir / "conftest.py").write_text(CONFTEST)
        pairs = "".join(TEST_PAIR.format(n=n) for n in range(tests))
        (workdir / "test_bench.py").write_text(TESTS_HEADER + pairs)
        times_file = workdir / "times.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", str(workdir)]
        run = subprocess.run(
            command,
            cwd=workdir,
            env={**env, "BENCH_TIMES": str(times_file)},
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            sys.exit(run.stdout[-2000:] + run.stderr[-2000:])
        times = json.loads(times_file.read_text())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # The first test of each kind starts the server or warms the code paths: leave the first tenth out.
    skip = max(1, tests // 10)
    scripted = [spent for name, spent in times.items() if name.startswith("test_scripted_reply")][skip:]
    bare = [spent for name, spent in times.items() if name.startswith("test_round_trip")][skip:]
    (fixture, fixture_cpu), (floor, floor_cpu) = (
        (statistics.median(wall for wall, _ in runs) * 1000, statistics.median(cpu for _, cpu in runs) * 1000)
        for runs in (scripted, bare)
    )
    print(f"per-test time, medians of {len(scripted)} tests each (wall / CPU of client and server):")
    print(f"  one health round trip, no fixture       {floor:6.2f} ms / {floor_cpu:.2f} ms")
    print(f"  mockai fixture + rule + scripted reply  {fixture:6.2f} ms / {fixture_cpu:.2f} ms")
    print(f"  fixture cost                            {fixture - floor:6.2f} ms / {fixture_cpu - floor_cpu:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tests", type=int, default=200)
    args = parser.parse_args()
    # Users' installs write and reuse bytecode (this sandbox's shells turn that off).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    readiness(args.rounds, args.workers, env)
    per_test_cost(args.tests, env)


if __name__ == "__main__":
    main()
