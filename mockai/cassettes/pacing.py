"""Replay pacing: as fast as possible, or the recorded delays divided by a speed (1.0 is the recorded pace).

This is client-observable latency (what a client timeout sees), never world time, so the sleeping itself is the
HTTP layer's `pace()`, handed in as `sleep`; tests hand in a sleeper that only notes what it was asked to wait.

>>> delays(latency_ms=200.0, event_times_ms=[50.0, 70.0, 70.0], speed=2.0)
(0.1, [0.025, 0.01, 0.0])
>>> delays(latency_ms=200.0, event_times_ms=[50.0], speed=None)
(0.0, [0.0])
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

Sleep = Callable[[float], Awaitable[None]]


def delays(*, latency_ms: float, event_times_ms: Sequence[float], speed: float | None) -> tuple[float, list[float]]:
    """Seconds to wait before the response starts, and before each event (after the previous one)."""
    if speed is None:
        return 0.0, [0.0] * len(event_times_ms)
    if speed <= 0:
        raise ValueError(f"{speed=} must be positive (None replays as fast as possible)")
    gaps: list[float] = []
    previous = 0.0
    for at in event_times_ms:
        gaps.append(max(0.0, at - previous) / 1000 / speed)
        previous = max(previous, at)
    return max(0.0, latency_ms) / 1000 / speed, gaps


async def paced(frames: Sequence[bytes], gaps: Sequence[float], sleep: Sleep) -> AsyncIterator[bytes]:
    """`frames` in order, each after its gap."""
    for frame, gap in zip(frames, gaps, strict=True):
        if gap > 0:
            await sleep(gap)
        yield frame
