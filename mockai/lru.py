"""A bounded, thread-safe map that forgets its least recently used entries.

The memo behind the per-process caches of pure results keyed by what clients send: validation verdicts, finished
runs played back, canonical request bodies. Test suites send the same requests again and again, so a hit is the
common case; the bound keeps a long-running server's memory flat.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruMap(Generic[K, V]):
    """At most `capacity` entries; reading or writing an entry makes it the most recently used.

    >>> seen = LruMap[str, int](capacity=2)
    >>> seen.put("a", 1); seen.put("b", 2); seen.get("a"); seen.put("c", 3)
    1
    >>> seen.get("b") is None, len(seen)
    (True, 2)
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"{capacity=} must be >= 0")
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
