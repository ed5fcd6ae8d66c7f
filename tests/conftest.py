"""Shared fixtures: a real mockai server on a free loopback port, SDK and httpx clients, and no network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpcore  # noqa: F401  (see below)
import httpx
import pytest
from hypothesis import HealthCheck, settings

from mockai.server import ServerThread
from mockai.settings import Settings
from tests.response_guard import ResponseGuard

# pytester runs the plugin's own tests (tests/plugin) in isolated pytest sessions.
pytest_plugins = ["pytester"]
# httpx imports httpcore (and h11) lazily, on its first client. pytester's in-process runs drop every module first
# imported inside them, so a later client would get a second copy whose exceptions escape httpx's mapping (tests then
# see httpcore.RemoteProtocolError instead of httpx.RemoteProtocolError). Importing httpcore here keeps one copy.

settings.register_profile("ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: World time at server start in tests: frozen, so responses are byte-for-byte reproducible.
TEST_CLOCK_START = 1_700_000_000.0
API_KEY = "sk-mockai-test-key"


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # unix sockets and the like never leave the machine


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_loopback(address):
        raise OSError(f"mockai tests run offline: refused a connection to {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_loopback(address):
        raise OSError(f"mockai tests run offline: refused a connection to {address!r}")
    return _real_connect_ex(self, address)


# Every test runs with non-loopback connections refused: mockai must never need the network at run time.
socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scripted_answers: the test scripts raw JSON answers, which mockai sends as they are, in the spec or not; "
        "the response guard does not judge that test's answers",
    )


def start_server(**overrides: Any) -> ServerThread:
    options: dict[str, Any] = {"port": 0, "time_scale": 0.0, "clock_start": TEST_CLOCK_START}
    options.update(overrides)
    server = ServerThread(Settings(**options))
    server.start()
    return server


@pytest.fixture(scope="session")
def server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def base_url(server: ServerThread) -> str:
    return server.base_url


@pytest.fixture
def response_guard(request: pytest.FixtureRequest) -> Iterator[ResponseGuard]:
    """Fails the test at teardown if a /v1 answer it saw does not fit the spec's schemas (tests/response_guard.py)."""
    guard = ResponseGuard()
    yield guard
    guard.close()
    if request.node.get_closest_marker("scripted_answers") is None:
        guard.assert_clean()


@pytest.fixture
def http(base_url: str, response_guard: ResponseGuard) -> httpx.Client:
    """Raw HTTP with a valid key, for status codes, headers and error envelopes."""
    return response_guard.http(base_url, {"Authorization": f"Bearer {API_KEY}"})


@pytest.fixture
def client(base_url: str, response_guard: ResponseGuard) -> Any:
    """The official SDK, validating every response strictly against its own types (and the guard, against the spec)."""
    return response_guard.openai(base_url, api_key=API_KEY)


@pytest.fixture
def async_client(base_url: str, response_guard: ResponseGuard) -> Any:
    return response_guard.async_openai(base_url, api_key=API_KEY)
