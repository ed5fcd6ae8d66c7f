"""Benchmark request validation: microseconds per chat body against the derived schema, and the ratio to parsing it.

Run by hand: `.venv/bin/python bench/bench_validation.py [--rounds 2000]`. Validation runs on every request whose body
the memo has not seen (`ValidationMemo` remembers verdicts by the body's bytes), so its cost is what a test suite
sending fresh bodies pays. Each body is validated `--rounds` times, uncached; `json.loads` of the same bytes in the same
run is the yardstick, so the ratios compare across machines. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from typing import Any

from mockai import errors
from mockai.contract.registry import default_registry
from mockai.contract.validation import validate_body

SCHEMA = "openai/createChatCompletion.request"
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
WEATHER = {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
BODIES: dict[str, dict[str, Any]] = {
    "hello": {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 16},
    "sampling knobs": {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
        "temperature": 0.7, "top_p": 0.9, "n": 2, "stop": ["\n"], "seed": 3, "logit_bias": {"50256": -100},
    },
    "tool round trip": {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        "tools": [{"type": "function", "function": WEATHER}],
        "tool_choice": "auto",
    },
    "16 turns": {
        "model": "gpt-3.5-turbo",
        "messages": [{"role": ("user", "assistant")[i % 2], "content": f"message {i} with words"} for i in range(16)],
    },
    "bad role (refused)": {"model": "gpt-3.5-turbo", "messages": [{"role": "robot", "content": "x"}]},
}  # fmt: skip


def per_call(action: Any, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds * 1e6


def validate(body: dict[str, Any]) -> None:
    with contextlib.suppress(errors.OpenAIError):  # a refusal is an outcome like any other here
        validate_body(default_registry(), SCHEMA, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    default_registry().compile_all()
    print(f"{'body':22} {'validate µs':>12} {'json.loads µs':>14} {'ratio':>7}")
    for name, body in BODIES.items():
        raw = json.dumps(body).encode()
        validate(body)  # warm: first use of each branch resolves its references
        checked = per_call(lambda body=body: validate(body), rounds)
        parsed = per_call(lambda raw=raw: json.loads(raw), rounds * 10)
        print(f"{name:22} {checked:12.1f} {parsed:14.2f} {checked / parsed:7.0f}")


if __name__ == "__main__":
    main()
