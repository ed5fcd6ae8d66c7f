"""World time: a clock that runs at a chosen speed and that tests move forward explicitly.

Two kinds of time are never mixed in mockai. *World* time (file processing, job progress, rate-limit windows,
`created` stamps) comes only from a `Clock`. Client-observable latency (injected delays, stream pacing) is real
sleeping and lives in the HTTP layer. Tests of world behaviour advance the clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """World time in seconds since the epoch."""
        ...

    async def wait_until(self, moment: float) -> None:
        """Return once world time has reached `moment` (woken early by `advance`)."""
        ...


class SimulatedClock:
    """`start + time_scale * elapsed_real + offset`; `advance()` raises the offset and wakes waiters.

    `time_scale=0` freezes world time so only `advance()` moves it (what the pytest plugin uses).

    >>> clock = SimulatedClock(time_scale=0, start=1_000.0)
    >>> clock.advance(60)
    1060.0
    >>> clock.now()
    1060.0
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        start: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if time_scale < 0:
            raise ValueError(f"{time_scale=} must be >= 0")
        self._scale = time_scale
        self._monotonic = monotonic
        self._real_start = monotonic()
        self._start = time.time() if start is None else start
        self._initial_start = self._start
        self._offset = 0.0
        self._listeners: list[Callable[[float], None]] = []
        self._changed: asyncio.Event | None = None

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> float:
        return self._start + self._scale * (self._monotonic() - self._real_start) + self._offset

    def advance(self, seconds: float) -> float:
        """Move world time forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError(f"{seconds=} must be >= 0: world time never runs backwards")
        self._offset += seconds
        now = self.now()
        for listener in list(self._listeners):
            listener(now)
        self._wake()
        return now

    def reset(self) -> None:
        """Back to the start time (used by `POST /_mockai/reset` between tests)."""
        self._real_start = self._monotonic()
        self._start = self._initial_start
        self._offset = 0.0
        self._wake()

    def on_advance(self, listener: Callable[[float], None]) -> None:
        """Call `listener(now)` after every `advance()` (state machines catch up eagerly)."""
        self._listeners.append(listener)

    async def wait_until(self, moment: float) -> None:
        while (remaining := moment - self.now()) > 0:
            changed = self._event()
            timeout = remaining / self._scale if self._scale > 0 else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None
