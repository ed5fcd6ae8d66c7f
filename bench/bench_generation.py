"""Benchmark the text-generation request path in-process: µs of CPU per request, per wire format and reply kind.

Run by hand: `.venv/bin/python bench/bench_generation.py [--rounds 5] [--against DIR]`. Each request goes through the
whole ASGI app (middleware, validation, handler, rendering) without sockets, so the numbers are the server's own cost
and stay comparable on a busy machine. `--against DIR` names another source tree of mockai (say, `git archive` of an
older commit unpacked in /tmp); both trees are then measured side by side in each round of the same run, so they see
the same load, and the ratio is printed (below 1.00: this tree is faster). Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

KEY = "sk-bench"
HELLO = [{"role": "user", "content": "Hello!"}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather in a city",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}
CHAT = {"model": "gpt-3.5-turbo", "messages": HELLO, "max_tokens": 16}
WEATHER = [{"role": "user", "content": "Weather in Paris?"}]
COMPLETION = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test", "max_tokens": 16}
EDIT = {"model": "text-davinci-edit-001", "input": "The cat sat.", "instruction": "Continue"}
#: (name, path, body, fresh): a fresh case changes its prompt on every request, so nothing is replayed.
CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("chat, replayed", "/v1/chat/completions", CHAT, False),
    ("chat, fresh prompt", "/v1/chat/completions", CHAT, True),
    (
        "chat n=2 stream + usage",
        "/v1/chat/completions",
        {**CHAT, "n": 2, "stream": True, "stream_options": {"include_usage": True}},
        False,
    ),
    (
        "chat tool call + logprobs",
        "/v1/chat/completions",
        {**CHAT, "messages": WEATHER, "tools": [TOOL], "logprobs": True},
        False,
    ),
    ("completions echo + logprobs", "/v1/completions", {**COMPLETION, "echo": True, "logprobs": 2}, False),
    ("edits", "/v1/edits", EDIT, False),
]


async def _post(app: Any, path: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"authorization", f"Bearer {KEY}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _measure(requests: int) -> dict[str, float]:
    """µs of CPU per request, per case: the best of several short batches (the least disturbed by other load)."""
    from mockai.api.app import build_app
    from mockai.settings import Settings

    app = build_app(Settings(port=0, time_scale=0.0, clock_start=1_700_000_000.0))
    results: dict[str, float] = {}
    batch = 10
    for name, path, body, fresh in CASES:
        encoded = [json.dumps(_variant(body, i if fresh else 0)).encode() for i in range(requests + 1)]
        assert await _post(app, path, encoded[0]) == 200, name  # warm up: encodings, corpus model, replay cache
        best = float("inf")
        for start in range(1, requests + 1, batch):
            started = time.process_time()
            for raw in encoded[start : start + batch]:
                await _post(app, path, raw)
            best = min(best, (time.process_time() - started) / len(encoded[start : start + batch]))
        results[name] = best * 1e6
    return results


def _variant(body: dict[str, Any], index: int) -> dict[str, Any]:
    if not index or "messages" not in body:
        return body
    return {**body, "messages": [{"role": "user", "content": f"Tell me about rain, part {index}."}]}


def _workers(trees: dict[str, Path], requests: int) -> dict[str, dict[str, float]]:
    """One measurement per tree, run side by side so that both see the same load on the machine."""
    command = [sys.executable, __file__, "--worker", "--requests", str(requests)]
    running = {
        label: subprocess.Popen(
            command, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree, stdout=subprocess.PIPE, text=True
        )
        for label, tree in trees.items()
    }
    results = {}
    for label, process in running.items():
        output, _ = process.communicate()
        if process.returncode:
            sys.exit(f"the worker for {label} failed")
        results[label] = dict(json.loads(output.splitlines()[-1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--against", type=Path, help="another mockai source tree to compare with, in the same run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(_measure(args.requests))))
        return
    trees = {"this tree": Path(__file__).resolve().parents[1]}
    if args.against is not None:
        trees["against"] = args.against.resolve()
    best: dict[str, dict[str, float]] = {label: {} for label in trees}
    for _ in range(args.rounds):  # keep each case's best round
        for label, measured in _workers(trees, args.requests).items():
            for name, value in measured.items():
                best[label][name] = min(value, best[label].get(name, value))
    print(f"{'case':32} " + " ".join(f"{label:>12}" for label in trees) + ("   ratio" if len(trees) > 1 else ""))
    for name, *_ in CASES:
        values = [best[label][name] for label in trees]
        ratio = f"   {values[0] / values[1]:5.2f}" if len(values) > 1 else ""
        print(f"{name:32} " + " ".join(f"{value:9.0f} µs" for value in values) + ratio)


if __name__ == "__main__":
    main()
