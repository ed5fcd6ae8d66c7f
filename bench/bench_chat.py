"""Benchmark `POST /v1/chat/completions` against a bare Starlette endpoint in the same run.

Run by hand: `.venv/bin/python bench/bench_chat.py [--seconds 10] [--connections 16]`. It installs `wrk` from
Debian's packages if missing (root only), starts both servers (uvicorn, one worker, access log off) on loopback,
drives each from a separate wrk process, and prints req/s, p99 latency and the ratio. Then it measures a streamed
reply: time to first chunk and chunks per second. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

BODY = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16}

BASELINE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    import json
    FIXED = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-3.5-turbo",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, how may I assist you?"},
        "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}}).encode()
    async def chat(request):
        await request.body()
        return Response(FIXED, media_type="application/json")
    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    """
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def wait_ready(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    sys.exit(f"server at {url} did not start")


def run_wrk(wrk: str, url: str, seconds: int, connections: int, script: Path) -> tuple[float, str]:
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    return rps, p99


def stream_numbers(base: str, runs: int = 5) -> tuple[float, float]:
    """Median time to the first SSE frame and median frames per second over `runs` fresh (uncached) prompts."""
    headers = {"Authorization": "Bearer sk-bench"}
    firsts, rates = [], []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for run in range(runs):
            body = {
                **BODY,
                "messages": [{"role": "user", "content": f"Tell me about rain, part {run}."}],
                "stream": True,
                "max_tokens": 400,
                "logit_bias": {"100257": -100},
            }
            started = time.perf_counter()
            first, frames = 0.0, 0
            with client.stream("POST", "/v1/chat/completions", json=body) as response:
                for raw in response.iter_raw():
                    first = first or time.perf_counter() - started
                    frames += raw.count(b"data: ")
            firsts.append(first * 1000)
            rates.append(frames / (time.perf_counter() - started))
    return statistics.median(firsts), statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp())
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        'wrk.headers["Authorization"] = "Bearer sk-bench"\n'
        f"wrk.body = {json.dumps(json.dumps(BODY))}\n"
    )
    (workdir / "baseline.py").write_text(BASELINE_APP)
    mock_port, base_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--no-access-log", "--log-level", "warning", "--host", "127.0.0.1"]
    servers = [
        subprocess.Popen([sys.executable, "-m", "mockai", "serve", "--port", str(mock_port)]),
        subprocess.Popen([*uvicorn, "--port", str(base_port), "--app-dir", str(workdir), "baseline:app"]),
    ]
    try:
        mock, base = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{base_port}"
        wait_ready(mock + "/_mockai/health")
        wait_ready(base + "/")
        httpx.post(mock + "/v1/chat/completions", json=BODY, headers={"Authorization": "Bearer sk-bench"})  # warm
        base_rps, base_p99 = run_wrk(wrk, base + "/v1/chat/completions", args.seconds, args.connections, script)
        mock_rps, mock_p99 = run_wrk(wrk, mock + "/v1/chat/completions", args.seconds, args.connections, script)
        print(f"bare starlette fixed body : {base_rps:9.0f} req/s   p99 {base_p99}")
        print(f"mockai chat (max_tokens 16): {mock_rps:9.0f} req/s   p99 {mock_p99}")
        print(f"ratio                      : {mock_rps / base_rps:9.2%}  (target >= 60%)")
        ttfc, rate = stream_numbers(mock)
        print(f"stream: time to first chunk {ttfc:.1f} ms, {rate:.0f} chunks/s")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
