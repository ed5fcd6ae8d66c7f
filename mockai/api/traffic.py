"""How busy the server is, counted by `RequestMiddleware` and read by the warm-up, which waits for a quiet moment."""

from __future__ import annotations


class Traffic:
    """Requests that arrived since the start, and those still being answered.

    Written only by the event loop's thread; another thread reads two ints, which needs no lock.
    """

    __slots__ = ("arrived", "in_flight")

    def __init__(self) -> None:
        self.arrived = 0
        self.in_flight = 0
