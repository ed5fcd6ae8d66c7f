"""Shared fixtures: a real mockai server on a free loopback port, SDK and httpx clients, and no network."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from hypothesis import HealthCheck, settings

from mockai.server import ServerThread
from mockai.settings import Settings

# pytester runs the plugin's own tests (tests/plugin) in isolated pytest sessions.
pytest_plugins = ["pytester"]

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
def http(base_url: str) -> Iterator[httpx.Client]:
    """Raw HTTP with a valid key, for status codes, headers and error envelopes."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as client:
        yield client


@pytest.fixture
def client(base_url: str) -> Any:
    """The official SDK, validating every response strictly against its own types."""
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0, _strict_response_validation=True)


@pytest.fixture
def async_client(base_url: str) -> Any:
    return openai.AsyncOpenAI(
        base_url=f"{base_url}/v1", api_key=API_KEY, max_retries=0, _strict_response_validation=True
    )
