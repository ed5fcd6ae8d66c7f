"""Measure how much a `mockai serve` process's memory grows while it receives one large upload.

Usage: python bench/bench_upload.py [--megabytes 200] [--data-dir DIR]

Starts the server in a subprocess, uploads a file of the given size through `POST /v1/files` (streamed from disk
by httpx), samples the server's resident set size from /proc during the upload, and prints the growth. The
issue's bar: a 200 MB upload must not grow the server's memory by more than ~50 MB.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

KEY = {"Authorization": "Bearer sk-bench"}


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found for pid {pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, data_dir: str | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "mockai", "serve", "--port", str(port), "--time-scale", "0"]
    if data_dir:
        command += ["--data-dir", data_dir]
    server = subprocess.Popen(command)
    # A benchmark, not a test: polling readiness for a few seconds is fine here.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_mockai/health").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("mockai serve did not start")


def make_payload(megabytes: int) -> Path:
    block = os.urandom(1024 * 1024)
    with tempfile.NamedTemporaryFile(prefix="mockai-bench-", suffix=".bin", delete=False) as handle:
        for _ in range(megabytes):
            handle.write(block)
    return Path(handle.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    payload = make_payload(args.megabytes)
    port = free_port()
    server = start_server(port, args.data_dir)
    try:
        httpx.get(f"http://127.0.0.1:{port}/v1/files", headers=KEY)  # warm the path once
        baseline = rss_kib(server.pid)
        peak = baseline
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_kib(server.pid))
                done.wait(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        with payload.open("rb") as handle:
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/files",
                headers=KEY,
                files={"file": ("big.bin", handle)},
                data={"purpose": "batch"},
                timeout=600,
            )
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        response.raise_for_status()
        stored = response.json()["bytes"]
        print(f"uploaded {stored / 1e6:.1f} MB in {elapsed:.2f} s ({stored / 1e6 / elapsed:.0f} MB/s)")
        print(f"server RSS before: {baseline / 1024:.1f} MiB, peak during upload: {peak / 1024:.1f} MiB")
        print(f"growth: {(peak - baseline) / 1024:.1f} MiB (bar: ~50 MB)")
    finally:
        server.terminate()
        server.wait()
        payload.unlink()


if __name__ == "__main__":
    main()
