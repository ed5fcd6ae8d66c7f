"""A `MockAI` handle on the shared test server, reset before and after each test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY


@pytest.fixture(scope="session")
def admin_http() -> Iterator[httpx.Client]:
    """One admin client for the session, as the plugin keeps: a client per test reloads the CA bundle."""
    with httpx.Client(trust_env=False) as client:
        yield client


@pytest.fixture
def mock(server: ServerThread, admin_http: httpx.Client) -> Iterator[MockAI]:
    handle = MockAI(server.base_url, api_key=API_KEY, http=admin_http)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()
