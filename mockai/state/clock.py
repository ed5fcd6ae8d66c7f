"""World time: a clock that runs at a chosen speed and that tests move forward explicitly.

Two kinds of time are never mixed in mockai. *World* time (file processing, job progress, rate-limit windows,
`created` stamps) comes only from a `Clock`. Client-observable latency (injected delays, stream pacing) is real
sleeping and lives in the HTTP layer. Tests of world behaviour advance the clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

#: The last second world time may reach (9999-12-31T23:59:59Z): every date the API renders still has four digits.
END_OF_TIME = 253_402_300_799.0


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
        """Move world time forward by `seconds` and return the new time.

        >>> SimulatedClock(time_scale=0, start=END_OF_TIME - 1).advance(2)
        Traceback (most recent call last):
        ...
        ValueError: advancing by 2 seconds would pass the end of world time (the end of year 9999)
        """
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"{seconds=} must be finite and >= 0: world time never runs backwards")
        if self.now() + seconds > END_OF_TIME:
            raise ValueError(
                f"advancing by {seconds:g} seconds would pass the end of world time (the end of year 9999)"
            )
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


@dataclass(frozen=True)
class ClockMark:
    """World time as last seen by a server, kept in a durable store so a restarted server never goes back.

    The mark assumes the old server kept running until the new one starts: `resumed_at(wall)` is where its clock
    would be by now, so time never runs backwards after a restart, whatever the time scale, even after a `kill -9`
    that saved nothing since the last mark.

    >>> ClockMark(world=1_000.0, time_scale=0.0, wall=50.0).resumed_at(wall=99.0)
    1000.0
    >>> ClockMark(world=1_000.0, time_scale=2.0, wall=50.0).resumed_at(wall=60.0)
    1020.0
    """

    world: float
    time_scale: float
    wall: float  # the wall clock (seconds since the epoch) when `world` was read

    def resumed_at(self, wall: float) -> float:
        # max(): a wall clock set back between the two runs must not take world time with it.
        return min(END_OF_TIME, self.world + self.time_scale * max(0.0, wall - self.wall))

    @classmethod
    def of(cls, clock: SimulatedClock, wall: float) -> ClockMark:
        return cls(clock.now(), clock.time_scale, wall)
