"""A `MockAI` handle on the shared test server, reset before and after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockai.server import ServerThread
from mockai.testing import AdminConnection, MockAI
from tests.conftest import API_KEY


@pytest.fixture(scope="session")
def admin_http(server: ServerThread) -> Iterator[AdminConnection]:
    """One admin connection for the session, as the plugin keeps one per server."""
    connection = AdminConnection(server.base_url)
    yield connection
    connection.close()


@pytest.fixture
def mock(server: ServerThread, admin_http: AdminConnection) -> Iterator[MockAI]:
    handle = MockAI(server.base_url, api_key=API_KEY, http=admin_http)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()
