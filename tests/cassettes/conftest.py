"""Cassette tests: a second mockai on loopback as the upstream, and mockai servers that record from it or replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockai.contract.registry import default_registry
from mockai.server import ServerThread
from mockai.settings import Settings
from mockai.testing import MockAI
from tests.conftest import TEST_CLOCK_START, start_server

#: The "real" key a recording is made with: it must never reach a cassette.
LIVE_KEY = "sk-live-cassette-test-0123456789abcdef"
#: The key clients use when replaying.
REPLAY_KEY = "sk-replay-key-not-the-same"


def start_deck(
    root: Path, *, upstream: str | None = None, transport: httpx.AsyncBaseTransport | None = None, **settings: Any
) -> ServerThread:
    """A mockai that keeps its cassettes in `root` and records from `upstream` (an API base ending in /v1)."""
    options: dict[str, Any] = {"port": 0, "time_scale": 0.0, "clock_start": TEST_CLOCK_START, "cassettes_dir": root}
    server = ServerThread(Settings(**options, record_upstream=upstream, **settings), upstream_transport=transport)
    server.start()
    return server


def chat(content: str, **extra: Any) -> dict[str, Any]:
    """A short, seeded chat request: the upstream answers it the same way every time."""
    return {
        "model": "gpt-3.5-turbo",
        "messages": [{"role": "user", "content": content}],
        "seed": 7,
        "max_tokens": 8,
        **extra,
    }


def cassette_document(root: Path, name: str) -> dict[str, Any]:
    """The cassette file, checked against its schema."""
    document: dict[str, Any] = json.loads((root / f"{name}.json").read_text(encoding="utf-8"))
    default_registry().validator("mockai/cassette").validate(document)
    return document


@pytest.fixture(scope="session")
def upstream() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture
def deck_server(tmp_path: Path, upstream: ServerThread) -> Iterator[ServerThread]:
    """A recorder against the session's upstream, its cassettes in `tmp_path`."""
    server = start_deck(tmp_path, upstream=upstream.base_url + "/v1")
    yield server
    server.stop()


@pytest.fixture
def deck(deck_server: ServerThread) -> Iterator[MockAI]:
    handle = MockAI(deck_server.base_url, api_key=LIVE_KEY)
    yield handle
    handle.close()


@pytest.fixture
def live(deck_server: ServerThread) -> Iterator[httpx.Client]:
    """Raw HTTP to the recorder, with the live key (exact bytes, headers and statuses)."""
    headers = {"Authorization": f"Bearer {LIVE_KEY}"}
    with httpx.Client(base_url=deck_server.base_url, headers=headers, timeout=30) as client:
        yield client
