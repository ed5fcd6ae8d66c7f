"""Tests for mockai.state.images: the bounded LRU behind image URLs and its one-hour lifetime."""

from __future__ import annotations

import pytest

from mockai.state.images import URL_LIFETIME_SECONDS, ImageFiles


def test_images_are_served_until_they_expire() -> None:
    files = ImageFiles()
    files.put("img-a", b"png bytes", now=100.0)
    assert files.get("img-a", now=100.0 + URL_LIFETIME_SECONDS) == b"png bytes"
    assert files.get("img-a", now=100.1 + URL_LIFETIME_SECONDS) is None
    assert files.get("img-unknown", now=100.0) is None


def test_least_recently_used_images_are_evicted_beyond_the_byte_budget() -> None:
    files = ImageFiles(max_bytes=10)
    files.put("a", b"1234", now=0.0)
    files.put("b", b"5678", now=0.0)
    assert files.get("a", now=1.0) == b"1234"  # "a" is now the most recently used
    files.put("c", b"9012", now=0.0)
    assert files.get("b", now=1.0) is None
    assert files.get("a", now=1.0) == b"1234" and files.get("c", now=1.0) == b"9012"
    assert len(files) == 2


def test_an_image_larger_than_the_budget_is_still_kept_alone() -> None:
    files = ImageFiles(max_bytes=4)
    files.put("small", b"12", now=0.0)
    files.put("big", b"123456", now=0.0)
    assert files.get("big", now=0.0) == b"123456" and len(files) == 1


def test_clear_and_bad_budget() -> None:
    files = ImageFiles()
    files.put("a", b"x", now=0.0)
    files.clear()
    assert len(files) == 0
    with pytest.raises(ValueError, match="max_bytes=0"):
        ImageFiles(max_bytes=0)
