"""Benchmark `mockai serve` start-up against a bare Starlette + uvicorn app started the same way, in the same run.

Run by hand: `.venv/bin/python bench/bench_startup.py [--rounds 5]`. Each round starts, one after the other:

- the bare app (`python -m uvicorn`, one route per request below, fixed bodies), and
- `python -m mockai serve` once per shipped encoding (r50k, p50k, cl100k, o200k), each a fresh process,

and times exec → first `GET /_mockai/health` 200 ("ready"), then ready → the first generated reply of a model of
that encoding ("first reply"). It also reads the server's CPU seconds (from /proc) at both points and its RSS after
the reply. mockai runs twice per encoding: with a warm on-disk model cache, and with an empty one (a first run on a
fresh machine). Numbers are medians over the rounds and are printed, never asserted; on a shared host compare the
ratios to the bare app, which are measured in the same run. The issue's goals (ready ≤ 0.4 s, first reply ≤ 0.3 s)
were set where the bare app started in 0.22 s; the last line scales them to this host's bare start.

`--pause S` waits S seconds between "ready" and the first reply's request, as a CI job does between its health check
and its first test: what the server's start-up warm-up (`mockai/api/warmup.py`) prepares by then is not paid again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

AUTH = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
#: One request per encoding: a model of that encoding on the endpoint it serves, 16 sampled tokens.
FIRST_REPLIES: dict[str, tuple[str, dict[str, object]]] = {
    "r50k_base": ("/v1/completions", {"model": "davinci", "prompt": "Say this is a test", "max_tokens": 16}),
    "p50k_base": ("/v1/completions", {"model": "text-davinci-003", "prompt": "Say this is a test", "max_tokens": 16}),
    "cl100k_base": (
        "/v1/chat/completions",
        {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16},
    ),
    "o200k_base": (
        "/v1/chat/completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16},
    ),
}

BARE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route
    import json
    FIXED = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, how may I assist you?"},
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}).encode()
    async def health(request):
        return JSONResponse({"status": "ok"})
    async def reply(request):
        await request.body()
        return Response(FIXED, media_type="application/json")
    app = Starlette(routes=[Route("/_mockai/health", health), Route("/v1/{rest:path}", reply, methods=["POST"])])
    """
)
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Start:
    ready: float  # exec → first health 200, seconds
    reply: float  # the first generated reply's request → its answer (right after ready, or after --pause), seconds
    ready_cpu: float  # server CPU seconds when ready
    reply_cpu: float  # server CPU seconds spent on the first reply
    rss_mib: float  # resident set after the reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(port: int, method: str, path: str, body: object = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=AUTH)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(port: int, process: subprocess.Popen[bytes], deadline: float = 60.0) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < deadline:
        try:
            status, _ = request(port, "GET", "/_mockai/health")
            if status == 200:
                return
        except OSError:
            if process.poll() is not None:
                sys.exit(f"server exited with {process.returncode} before it was ready")
            time.sleep(0.002)
    sys.exit(f"server on port {port} not ready after {deadline} s")


def measure(command: list[str], port: int, path: str, body: object, env: dict[str, str], pause: float = 0.0) -> Start:
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    try:
        wait_ready(port, process)
        ready = time.perf_counter()
        ready_cpu = cpu_seconds(process.pid)
        time.sleep(pause)
        asked, asked_cpu = time.perf_counter(), cpu_seconds(process.pid)
        status, payload = request(port, "POST", path, body)
        replied = time.perf_counter()
        if status != 200:
            sys.exit(f"{path} answered {status}: {payload[:300]!r}")
        return Start(
            ready - started, replied - asked, ready_cpu, cpu_seconds(process.pid) - asked_cpu, rss_mib(process.pid)
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def median_row(label: str, starts: list[Start], bare: list[Start]) -> str:
    def med(values: list[float]) -> float:
        return statistics.median(values)

    ready, reply = med([s.ready for s in starts]), med([s.reply for s in starts])
    ratio = med([s.ready / b.ready for s, b in zip(starts, bare, strict=True)])
    return (
        f"{label:<22} {ready:7.3f} {ratio:6.2f}x {med([s.ready_cpu for s in starts]):7.3f}"
        f" {reply:8.3f} {med([s.reply_cpu for s in starts]):8.3f} {med([s.rss_mib for s in starts]):8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--encodings", default=",".join(FIRST_REPLIES))
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between ready and the first request")
    args = parser.parse_args()
    encodings = args.encodings.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="mockai-bench-"))
    (workdir / "bare.py").write_text(BARE_APP)
    warm_home = workdir / "warm-cache"
    # Measure what users get: compiled bytecode written and reused (this sandbox's shells disable writing it).
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    bare_cmd = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--app-dir", str(workdir)]
    results: dict[str, list[Start]] = {"bare": []}
    try:
        for encoding in encodings:  # fill the warm cache once, untimed
            path, body = FIRST_REPLIES[encoding]
            port = free_port()
            command = [sys.executable, "-m", "mockai", "serve", "--port", str(port)]
            measure(command, port, path, body, {**env, "XDG_CACHE_HOME": str(warm_home)})
        run_rounds(args.rounds, encodings, workdir, warm_home, env, bare_cmd, results, args.pause)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"medians of {args.rounds} rounds; ready = exec → first /_mockai/health 200; "
        f"reply = the first reply's request, {args.pause:g} s after ready → its answer"
    )
    print(f"{'server':<22} {'ready s':>7} {'× bare':>7} {'cpu s':>7} {'reply s':>8} {'cpu s':>8} {'RSS MiB':>8}")
    for label, starts in results.items():
        print(median_row(label, starts, results["bare"]))
    scale = statistics.median(start.ready for start in results["bare"]) / 0.22
    print(
        f"the issue's goals scaled to this host's bare start ({scale:.2f}x): ready ≤ {0.4 * scale:.2f} s, "
        f"first reply ≤ {0.3 * scale:.2f} s, RSS ≤ 150 MiB (pause before the first request: {args.pause:g} s)"
    )


def run_rounds(
    rounds: int,
    encodings: list[str],
    workdir: Path,
    warm_home: Path,
    env: dict[str, str],
    bare_cmd: list[str],
    results: dict[str, list[Start]],
    pause: float,
) -> None:
    for round_number in range(rounds):
        port = free_port()
        path, body = FIRST_REPLIES["o200k_base"]
        results["bare"].append(measure([*bare_cmd, "--port", str(port), "bare:app"], port, path, body, env))
        for encoding in encodings:
            path, body = FIRST_REPLIES[encoding]
            for mode in ("warm", "cold"):
                cache_home = warm_home if mode == "warm" else workdir / f"cold-{round_number}-{encoding}"
                port = free_port()
                command = [sys.executable, "-m", "mockai", "serve", "--port", str(port)]
                start = measure(command, port, path, body, {**env, "XDG_CACHE_HOME": str(cache_home)}, pause)
                results.setdefault(f"{encoding} {mode}", []).append(start)
        print(f"round {round_number + 1}/{rounds} done", file=sys.stderr)


if __name__ == "__main__":
    main()
