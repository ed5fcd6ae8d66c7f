"""Benchmark `POST /v1/chat/completions` under load against a bare Starlette + uvicorn app, in the same run.

Run by hand: `.venv/bin/python bench/bench_chat.py [--seconds 5] [--rounds 3] [--connections 16]
[--stream-connections 32]`. Nothing beyond the project's own dependencies is needed: the load comes from a small
asyncio client in a separate process (keep-alive HTTP/1.1 connections, each sending its next request as soon as the
last answer is read), so the same client drives both servers.

mockai runs as `mockai serve` does: uvicorn (one worker, uvloop + httptools, access log off) with mockai's transport,
which sends a loop turn's writes as one (`mockai/transport.py`). The bare app runs on plain uvicorn, the issue's
reference; `--bare-transport turn-buffered` gives it mockai's transport too, to show that transport's share. Each
round runs every row once, bare and mockai interleaved, so load from other processes on the host hits both alike.
Rows:

- non-streaming chat, `max_tokens: 16`, the same request every time (replayed from the generation cache after the
  first) and a different prompt every time (sampled afresh); the bare app answers a fixed body;
- streaming chat at `--stream-connections`, `max_tokens: 16`: SSE frames per second; the bare app streams the same
  number of fixed frames, each sent on its own as mockai sends them.

Printed per row: requests (or frames) per second, p50/p99 latency, the server's CPU µs per request (from /proc, so it
stays meaningful on a busy host), and the ratio to the bare app of the same round. Medians over the rounds; numbers
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

HELLO = [{"role": "user", "content": "Hello!"}]
TICKS = os.sysconf("SC_CLK_TCK")

BARE_APP = textwrap.dedent(
    """
    import json
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    FIXED = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-3.5-turbo",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, how may I assist you?"},
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}).encode()
    CHUNK = b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-3.5-turbo",' \\
        b'"choices":[{"index":0,"delta":{"content":" there"},"finish_reason":null}]}\\n\\n'
    FRAMES = int(__import__("os").environ.get("BARE_FRAMES", "18"))

    async def health(request):
        return JSONResponse({"status": "ok"})

    async def chat(request):
        body = await request.body()
        if b'"stream": true' not in body:
            return Response(FIXED, media_type="application/json")
        async def frames():
            for _ in range(FRAMES - 1):
                yield CHUNK
            yield b"data: [DONE]\\n\\n"
        return StreamingResponse(frames(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/_mockai/health", health), Route("/v1/chat/completions", chat, methods=["POST"])])

    if __name__ == "__main__":
        import sys, uvicorn
        port, transport = int(sys.argv[1]), sys.argv[2]
        if transport == "turn-buffered":
            from mockai.transport import TurnBufferedHttpProtocol as http
        else:
            http = "auto"
        uvicorn.run(app, host="127.0.0.1", port=port, http=http, access_log=False, log_level="warning")
    """
)

# The load client: a separate process, so its CPU is not the server's; stdout is one JSON line of results.
CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys, time
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass

    port, seconds, connections, distinct = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[5] == "1"
    body = json.loads(sys.argv[4])

    def request(number):
        payload = dict(body)
        if distinct:
            payload["messages"] = [{"role": "user", "content": f"Hello! This is question {number}."}]
        raw = json.dumps(payload).encode()
        return (
            b"POST /v1/chat/completions HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer sk-bench\\r\\n"
            b"Content-Type: application/json\\r\\nContent-Length: " + str(len(raw)).encode() + b"\\r\\n\\r\\n" + raw
        )

    async def read_response(reader):
        head = await reader.readuntil(b"\\r\\n\\r\\n")
        status = int(head[9:12])
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            payload = bytearray()
            while True:
                size = int((await reader.readuntil(b"\\r\\n")).strip(), 16)
                payload += await reader.readexactly(size + 2)
                if size == 0:
                    return status, bytes(payload)
        start = lower.index(b"content-length:") + 15
        length = int(lower[start:lower.index(b"\\r\\n", start)])
        return status, await reader.readexactly(length)

    async def connection(deadline, latencies, counts, offset):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        number = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request(number))
            status, payload = await read_response(reader)
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise SystemExit(f"status {status}: {payload[:300]!r}")
            counts[0] += 1
            counts[1] += payload.count(b"data: ")
            number += connections
        writer.close()

    async def main():
        latencies, counts = [], [0, 0]
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(connection(deadline, latencies, counts, n) for n in range(connections)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(json.dumps({"requests": counts[0], "frames": counts[1], "elapsed": elapsed,
                          "p50": pick(0.50), "p99": pick(0.99)}))

    asyncio.run(main())
    """
)


@dataclass
class Run:
    per_second: float  # requests/s, or SSE frames/s for the streaming row
    p50_ms: float
    p99_ms: float
    cpu_us: float  # server CPU µs per request


@dataclass
class Row:
    label: str
    body: dict[str, object]
    connections: int
    distinct: bool = False
    stream: bool = False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            sys.exit(f"server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET /_mockai/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if probe.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"server on port {port} did not start")


def drive(client: Path, port: int, pid: int, seconds: float, row: Row) -> Run:
    before = cpu_seconds(pid)
    out = subprocess.run(
        [
            sys.executable,
            str(client),
            str(port),
            str(seconds),
            str(row.connections),
            json.dumps(row.body),
            "1" if row.distinct else "0",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cpu = cpu_seconds(pid) - before
    result = json.loads(out)
    count = result["frames"] if row.stream else result["requests"]
    return Run(count / result["elapsed"], result["p50"] * 1000, result["p99"] * 1000, cpu / result["requests"] * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--stream-connections", type=int, default=32)
    parser.add_argument("--bare-transport", choices=("uvicorn", "turn-buffered"), default="uvicorn")
    args = parser.parse_args()
    plain = {"model": "gpt-3.5-turbo", "messages": HELLO, "max_tokens": 16}
    rows = [
        Row("chat, same request", plain, args.connections),
        Row("chat, distinct prompts", plain, args.connections, distinct=True),
        Row("stream frames/s", {**plain, "stream": True}, args.stream_connections, stream=True),
    ]
    workdir = Path(tempfile.mkdtemp(prefix="mockai-bench-"))
    (workdir / "bare.py").write_text(BARE_APP)
    client = workdir / "client.py"
    client.write_text(CLIENT)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    bare_port, mock_port = free_port(), free_port()
    mock = subprocess.Popen([sys.executable, "-m", "mockai", "serve", "--port", str(mock_port)], env=env)
    try:
        wait_ready(mock_port, mock)
        frames = count_frames(mock_port, rows[2].body)  # the bare stream sends as many frames as mockai's
        bare = subprocess.Popen(
            [sys.executable, str(workdir / "bare.py"), str(bare_port), args.bare_transport],
            env={**env, "BARE_FRAMES": str(frames)},
        )
        try:
            wait_ready(bare_port, bare)
            results = run_rounds(args, rows, client, (bare_port, bare.pid), (mock_port, mock.pid))
        finally:
            bare.terminate()
            bare.wait(timeout=10)
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    report(rows, results, args, frames)


def count_frames(port: int, body: dict[str, object]) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}
        connection.request("POST", "/v1/chat/completions", body=json.dumps(body), headers=headers)
        return connection.getresponse().read().count(b"data: ")
    finally:
        connection.close()


def run_rounds(
    args: argparse.Namespace, rows: list[Row], client: Path, bare: tuple[int, int], mock: tuple[int, int]
) -> dict[tuple[str, str], list[Run]]:
    results: dict[tuple[str, str], list[Run]] = {}
    for number in range(args.rounds):
        for row in rows:
            for name, (port, pid) in (("bare", bare), ("mockai", mock)):
                drive(client, port, pid, 1, row)  # warm: connections, caches, the generation replay cache
                results.setdefault((row.label, name), []).append(drive(client, port, pid, args.seconds, row))
        print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
    return results


def report(rows: list[Row], results: dict[tuple[str, str], list[Run]], args: argparse.Namespace, frames: int) -> None:
    print(
        f"medians of {args.rounds} rounds of {args.seconds:g} s; {args.connections} connections "
        f"({args.stream_connections} streaming, {frames} frames per stream); ratios are mockai / bare per round; "
        f"bare on {'mockai' if args.bare_transport == 'turn-buffered' else 'uvicorn'}'s transport"
    )
    print(f"{'row':<24} {'server':<7} {'per s':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/req':>10} {'× bare':>7}")
    for row in rows:
        bare, mock = results[(row.label, "bare")], results[(row.label, "mockai")]
        for name, runs in (("bare", bare), ("mockai", mock)):
            ratio = statistics.median(m.per_second / b.per_second for m, b in zip(mock, bare, strict=True))
            print(
                f"{row.label:<24} {name:<7} {statistics.median(r.per_second for r in runs):9.0f}"
                f" {statistics.median(r.p50_ms for r in runs):7.1f} {statistics.median(r.p99_ms for r in runs):7.1f}"
                f" {statistics.median(r.cpu_us for r in runs):10.0f} {ratio if name == 'mockai' else 1.0:6.2f}x"
            )
        p99 = statistics.median(m.p99_ms / b.p99_ms for m, b in zip(mock, bare, strict=True))
        print(f"{'':<24} p99 × bare {p99:.2f}  (goals: ≥ 0.6× req/s, ≥ 0.5× frames/s, p99 ≤ 2× bare)")


if __name__ == "__main__":
    main()
