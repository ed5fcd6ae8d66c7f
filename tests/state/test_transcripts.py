"""Tests for mockai.state.transcripts: registration by sha256, lookup by bytes, reset."""

from __future__ import annotations

import hashlib

import pytest

from mockai.state.transcripts import TranscriptScripts


def test_registered_text_is_found_by_the_bytes_hash() -> None:
    scripts = TranscriptScripts()
    audio = b"RIFF fake audio bytes"
    scripts.register(hashlib.sha256(audio).hexdigest().upper(), "Hello there.")
    assert scripts.lookup(audio) == "Hello there."
    assert scripts.lookup(audio + b"!") is None
    assert len(scripts) == 1


def test_later_registration_replaces_earlier_and_clear_forgets() -> None:
    scripts = TranscriptScripts()
    digest = hashlib.sha256(b"x").hexdigest()
    scripts.register(digest, "first")
    scripts.register(digest, "second")
    assert scripts.lookup(b"x") == "second"
    scripts.clear()
    assert scripts.lookup(b"x") is None


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "a" * 63])
def test_malformed_digests_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a hex sha256"):
        TranscriptScripts().register(bad, "text")
