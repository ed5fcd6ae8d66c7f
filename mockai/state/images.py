"""Generated images kept for their `url`: a bounded in-memory LRU with the real URLs' one-hour lifetime."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["URL_LIFETIME_SECONDS", "ImageFiles"]

#: The real API's image URLs expire an hour after they are issued.
URL_LIFETIME_SECONDS = 3600.0


@dataclass(frozen=True)
class _Stored:
    png: bytes
    created: float


class ImageFiles:
    """PNG bytes by image id, evicting the least recently used beyond ``max_bytes``.

    >>> files = ImageFiles(max_bytes=10)
    >>> files.put("img-a", b"12345678", now=0.0)
    >>> files.get("img-a", now=10.0)
    b'12345678'
    >>> files.get("img-a", now=4000.0) is None
    True
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        if max_bytes <= 0:
            raise ValueError(f"{max_bytes=} must be positive")
        self._max_bytes = max_bytes
        self._items: OrderedDict[str, _Stored] = OrderedDict()
        self._size = 0
        # Handlers run on the event loop, but the pytest handle may reset from another thread.
        self._lock = threading.Lock()

    def put(self, image_id: str, png: bytes, *, now: float) -> None:
        """Keep ``png`` under ``image_id`` (re-putting an id refreshes it)."""
        with self._lock:
            old = self._items.pop(image_id, None)
            if old is not None:
                self._size -= len(old.png)
            self._items[image_id] = _Stored(png, now)
            self._size += len(png)
            while self._size > self._max_bytes and len(self._items) > 1:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted.png)

    def get(self, image_id: str, *, now: float) -> bytes | None:
        """The PNG, or None when unknown, evicted, or older than the URL lifetime at world time ``now``."""
        with self._lock:
            stored = self._items.get(image_id)
            if stored is None or now - stored.created > URL_LIFETIME_SECONDS:
                return None
            self._items.move_to_end(image_id)
            return stored.png

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
