"""Scripted transcripts: text a test registered for an audio file, looked up by the file's sha256."""

from __future__ import annotations

import hashlib
import threading

__all__ = ["TranscriptScripts"]


class TranscriptScripts:
    """Maps the sha256 of audio bytes to the transcript a test wants for them.

    >>> scripts = TranscriptScripts()
    >>> scripts.register(hashlib.sha256(b"RIFF...").hexdigest(), "Hello there.")
    >>> scripts.lookup(b"RIFF...")
    'Hello there.'
    >>> scripts.lookup(b"other bytes") is None
    True
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        # Registration comes from the control plane while handlers read on the event loop.
        self._lock = threading.Lock()

    def register(self, sha256_hex: str, text: str) -> None:
        """Answer ``text`` for any upload whose bytes hash to ``sha256_hex``."""
        digest = sha256_hex.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{sha256_hex=} is not a hex sha256 digest")
        with self._lock:
            self._texts[digest] = text

    def lookup(self, data: bytes) -> str | None:
        """The registered transcript for these audio bytes, if any."""
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            return self._texts.get(digest)

    def clear(self) -> None:
        """Forget every registration (the per-test reset)."""
        with self._lock:
            self._texts.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._texts)
