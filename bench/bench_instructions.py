"""Instructions a server spends per request, counted by callgrind: the noise-free twin of `bench_chat.py`'s ratios.

Run by hand: `.venv/bin/python bench/bench_instructions.py [--requests 1000] [--against DIR]`; needs valgrind
(`apt install valgrind`). Wall-clock throughput on a shared or virtual host moves by ±20% between runs; instruction
counts do not move at all, so two trees compare exactly (`--against <worktree>`, e.g. of the last release) and a 2%
change shows.

Each server (the bare Starlette + uvicorn app of `bench_chat.py`, then `mockai serve`) starts under
`valgrind --tool=callgrind --instr-atstart=no`, is warmed with a few requests and left until it idles (mockai's
warm-up done), then counting is switched on, `--requests` requests are sent one after another on one keep-alive
connection, and the count is read before the server stops: its user-space work per request (or per frame). The
kernel's share (socket system calls, which both servers pay alike) is not counted, so these ratios sit below
`bench_chat.py`'s. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench_chat import BARE_APP, HELLO, cpu_seconds, free_port, wait_ready

PLAIN = {"model": "gpt-3.5-turbo", "messages": HELLO, "max_tokens": 16}
ROWS = {"chat, same request": PLAIN, "stream, per frame": {**PLAIN, "stream": True}}
HEADERS = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}


Server = tuple[Callable[[int], list[str]], dict[str, str]]  # the command for a port, and its environment


def count(server_of: Server, workdir: Path, body: dict[str, object], requests: int) -> tuple[int, int]:
    """(instructions, frames) the server spends on `requests` requests of `body`."""
    command, env = server_of
    port = free_port()
    out = workdir / f"callgrind.{port}"
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *command(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_ready(port, server)
        for _ in range(20):  # warm: caches, the generation replay cache
            send(port, body, 1)
        settle(server.pid)
        subprocess.run(["callgrind_control", "--instr=on", str(server.pid)], check=True, capture_output=True)
        frames = send(port, body, requests)
        # Dumped before the server stops: its shutdown (and the interpreter's) is no part of serving.
        subprocess.run(["callgrind_control", "--dump=measured", str(server.pid)], check=True, capture_output=True)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=120)
    totals = re.findall(r"^summary:\s+(\d+)", Path(f"{out}.1").read_text(), re.MULTILINE)
    return int(totals[0]), frames


def send(port: int, body: dict[str, object], requests: int) -> int:
    """Send `body` `requests` times on one connection; the SSE frames received, all told."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    frames = 0
    try:
        for _ in range(requests):
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=HEADERS)
            frames += connection.getresponse().read().count(b"data: ")
    finally:
        connection.close()
    return frames


def settle(pid: int) -> None:
    """Wait until the server idles: uvicorn wakes 10 times a second, a warm-up or a fit works flat out."""
    last = cpu_seconds(pid)
    while True:
        time.sleep(4)
        now = cpu_seconds(pid)
        if now - last < 0.2:
            return
        last = now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--against", type=Path, help="another checkout of mockai (a worktree), counted alike")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("bench_instructions.py needs valgrind (apt install valgrind)")
    workdir = Path(tempfile.mkdtemp(prefix="mockai-bench-"))
    (workdir / "bare.py").write_text(BARE_APP)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    mockai = [sys.executable, "-m", "mockai", "serve", "--port"]
    servers: dict[str, Server] = {
        "bare": (lambda port: [sys.executable, str(workdir / "bare.py"), str(port), "uvicorn"], env),
        "mockai": (lambda port: [*mockai, str(port)], env),
    }
    if args.against is not None:  # its first start may fit its token model: `settle` waits for that
        servers["against"] = (lambda port: [*mockai, str(port)], {**env, "PYTHONPATH": str(args.against.resolve())})
    print(f"{args.requests} sequential requests per row; instructions in user space, per request (or frame)")
    against = f" {'against':>10} {'mockai / against':>17}" if args.against else ""
    print(f"{'row':<20} {'bare':>10} {'mockai':>10} {'bare / mockai':>14}{against}")
    for label, body in ROWS.items():
        per: dict[str, float] = {}
        for name, server in servers.items():
            instructions, frames = count(server, workdir, body, args.requests)
            per[name] = instructions / (frames if body.get("stream") else args.requests)
        line = f"{label:<20} {per['bare']:10.0f} {per['mockai']:10.0f} {per['bare'] / per['mockai']:13.2f}x"
        if "against" in per:
            line += f" {per['against']:10.0f} {per['mockai'] / per['against']:16.2f}x"
        print(line)


if __name__ == "__main__":
    main()
