"""Injected latency and stream pacing take the real time they promise (the suite checks only that they are asked for).

Run: python bench/bench_faults.py. Each line prints the configured delay, the measured one (median of five) and
their ratio, which should sit just above 1.0 whatever the host: the server adds its own few milliseconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import httpx

from mockai.server import ServerThread
from mockai.settings import Settings
from mockai.testing import MockAI

MESSAGES = [{"role": "user", "content": "What's the weather in Paris?"}]
RUNS = 5


def median_seconds(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def report(name: str, configured: float, measured: float) -> None:
    ratio = measured / configured
    print(f"{name}: configured {configured * 1000:.0f} ms, measured {measured * 1000:.0f} ms, ratio {ratio:.2f}")


def main() -> None:
    server = ServerThread(Settings(port=0, time_scale=0.0))
    server.start()
    mock = MockAI(server.base_url, api_key="sk-bench")
    http = httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer sk-bench"}, timeout=30)
    chat = {"model": "gpt-3.5-turbo", "messages": MESSAGES, "max_tokens": 1}
    try:
        mock.faults.latency(0.15)
        report(
            "latency fault, plain response", 0.15, median_seconds(lambda: http.post("/v1/chat/completions", json=chat))
        )
        mock.reset()
        mock.chat.reply("Hi")
        mock.faults.pace(ttft=0.2, tokens_per_second=1000)

        def first_byte() -> None:
            with http.stream("POST", "/v1/chat/completions", json={**chat, "stream": True}) as answer:
                next(answer.iter_raw())

        report("pace fault, time to first streamed byte", 0.2, median_seconds(first_byte))
    finally:
        http.close()
        mock.close()
        server.stop()


if __name__ == "__main__":
    main()
