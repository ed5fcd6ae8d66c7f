"""mockai: an offline, deterministic stand-in for the OpenAI HTTP API.

>>> from mockai import Settings
>>> Settings(port=0).host
'127.0.0.1'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockai.settings import Settings

if TYPE_CHECKING:
    from mockai.server import ServerThread, run
    from mockai.testing import MockAI

__version__ = "0.1.0"
__all__ = ["MockAI", "ServerThread", "Settings", "__version__", "run"]


def __getattr__(name: str) -> Any:
    # The server pulls in starlette and uvicorn; `import mockai` (done by the pytest plugin) stays light.
    if name in ("ServerThread", "run"):
        from mockai import server

        return getattr(server, name)
    if name == "MockAI":
        from mockai.testing import MockAI

        return MockAI
    raise AttributeError(f"module 'mockai' has no attribute {name!r}")
