"""Run the app: `run(settings)` for the CLI, `ServerThread` for tests and the pytest plugin."""

from __future__ import annotations

import logging
import socket
import threading

import httpx
import uvicorn

from mockai.api.app import build_app
from mockai.settings import Settings


def _uvicorn_config(
    settings: Settings,
    *,
    on_ready: threading.Event | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> uvicorn.Config:
    app = build_app(
        settings, on_ready=on_ready.set if on_ready is not None else None, upstream_transport=upstream_transport
    )
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        lifespan="on",
        # uvloop + httptools cost ~2x less CPU per request than asyncio + h11, and uvloop sets TCP_NODELAY on
        # pre-bound sockets where plain asyncio does not (FACTS.md).
        loop="auto",
        http="auto",
        timeout_graceful_shutdown=2,
    )


def run(settings: Settings) -> None:
    """Serve until interrupted (the programmatic twin of `mockai serve`)."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    uvicorn.Server(_uvicorn_config(settings)).run()


class ServerThread:
    """A real server on a pre-bound loopback socket, in a background thread; ready when `start()` returns.

    >>> server = ServerThread(Settings(port=0, time_scale=0))
    >>> base_url = server.start()   # doctest: +SKIP
    >>> server.stop()               # doctest: +SKIP
    """

    def __init__(self, settings: Settings, *, upstream_transport: httpx.AsyncBaseTransport | None = None) -> None:
        """`upstream_transport`: how cassettes reach `settings.record_upstream` (tests inject one)."""
        self.settings = settings
        self._ready = threading.Event()
        self._config = _uvicorn_config(settings, on_ready=self._ready, upstream_transport=upstream_transport)
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.base_url = ""

    @property
    def app(self) -> object:
        return self._config.app

    def start(self, timeout: float = 10.0) -> str:
        """Bind, start serving, wait for start-up to finish; return the base URL (`http://127.0.0.1:PORT`)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.settings.host, self.settings.port))
        sock.listen(1024)
        self._socket = sock
        self._thread = threading.Thread(
            # uvicorn's own runner picks uvloop; a bare asyncio.run() leaves TCP_NODELAY off on the pre-bound
            # socket and Nagle + delayed ACK add ~44 ms to every response (FACTS.md).
            target=lambda: self._server.run(sockets=[sock]),
            name="mockai-server",
            daemon=True,
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("mockai server did not start in time")
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
