"""The mockai pytest plugin (entry point `pytest11`): a real mock server for the tests that ask for it.

Heavy imports happen inside fixture bodies so that merely having mockai installed costs a pytest run nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mockai.server import ServerThread


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mockai(seed=0, api_key=None): options for the mockai server fixtures")


@pytest.fixture(scope="session")
def mockai_server() -> Iterator[ServerThread]:
    """A real mockai server on a free loopback port for the whole session, with a frozen world clock."""
    from mockai.server import ServerThread
    from mockai.settings import Settings

    server = ServerThread(Settings(port=0, time_scale=0.0))
    server.start()
    yield server
    server.stop()
