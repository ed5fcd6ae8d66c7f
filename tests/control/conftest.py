"""A `MockAI` handle on the shared test server, reset before and after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY


@pytest.fixture
def mock(server: ServerThread) -> Iterator[MockAI]:
    handle = MockAI(server.base_url, api_key=API_KEY)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()
