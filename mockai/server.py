"""Run the app: `run(settings)` for the CLI, `ServerThread` for tests and the pytest plugin."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import uvicorn

from mockai.api.app import build_app
from mockai.api.sse import DroppedStreamLogFilter
from mockai.settings import Settings
from mockai.transport import TurnBufferedHttpProtocol

if TYPE_CHECKING:
    import httpx


def _uvicorn_config(
    settings: Settings,
    *,
    on_ready: Callable[[], None] | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> uvicorn.Config:
    app = build_app(settings, on_ready=on_ready, upstream_transport=upstream_transport)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=settings.access_log,
        lifespan="on",
        # uvloop + httptools cost ~2x less CPU per request than asyncio + h11, and uvloop sets TCP_NODELAY on
        # pre-bound sockets where plain asyncio does not (FACTS.md).
        loop="auto",
        http=TurnBufferedHttpProtocol,  # uvicorn's own (httptools), sending a response's head and body as one write
        timeout_graceful_shutdown=2,
        # Nothing mockai answers depends on the client's address or scheme, so rewriting them from X-Forwarded-* (a
        # middleware layer on every request) would be work without effect.
        proxy_headers=False,
    )
    # After Config: it (re)configures uvicorn's loggers, which keeps filters but not handlers.
    error_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, DroppedStreamLogFilter) for known in error_log.filters):
        error_log.addFilter(DroppedStreamLogFilter())
    return config


def run(settings: Settings) -> None:
    """Serve until interrupted (the programmatic twin of `mockai serve`); says where it listens once ready."""
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    announce = logging.getLogger("mockai.serve")
    if settings.log_level not in ("error", "critical"):
        announce.setLevel(logging.INFO)  # shown at the default `warning` too: it is the first thing users need
    _AnnouncingServer(_uvicorn_config(settings), lambda port: announce.info(listening_line(settings, port))).run()


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, which reports the port it bound once start-up is done (the real one, also for --port 0)."""

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers and self.servers[0].sockets:
            self._on_listening(self.servers[0].sockets[0].getsockname()[1])


def listening_line(settings: Settings, port: int) -> str:
    """The start-up line of `mockai serve`: where it listens, and the settings that decide what clients meet.

    >>> print(listening_line(Settings(api_keys=("sk-a", "sk-b"), admin_token="t"), 8000))
    ... # doctest: +NORMALIZE_WHITESPACE
    mockai listening on http://127.0.0.1:8000 (seed 0, data dir: none, fresh state per start, auth: 2 keys,
    admin token: on); journal page: http://127.0.0.1:8000/_mockai/ui
    """
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    base = f"http://{host}:{port}"
    keys = len(settings.api_keys)
    auth = "any key" if not keys else f"{keys} key{'s' if keys > 1 else ''}"
    data_dir = str(settings.data_dir) if settings.data_dir is not None else "none, fresh state per start"
    admin = "on" if settings.admin_token else "off"
    details = f"seed {settings.seed}, data dir: {data_dir}, auth: {auth}, admin token: {admin}"
    return f"mockai listening on {base} ({details}); journal page: {base}/_mockai/ui"


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
        self._config = _uvicorn_config(settings, on_ready=self._ready.set, upstream_transport=upstream_transport)
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
