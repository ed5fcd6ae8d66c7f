"""uvicorn's HTTP protocol, with what a connection writes in one turn of the event loop sent as one write.

uvicorn writes a response's status line and headers as soon as the app sends `http.response.start`, and its body
on `http.response.body`: two `send` system calls for every plain response, and on loopback each one also runs the
receiving side of TCP and wakes the client. A JSON answer's two messages are sent in the same turn of the loop, so
holding writes until the turn ends sends both as one, and the client wakes once. Nothing waits longer than that turn
(a stream's later frames go out as they are sent), the bytes and their order are unchanged, and a close or abort
sends what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # what uvicorn's `http="auto"` would choose
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _UvicornProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard], a dependency
    from uvicorn.protocols.http.h11_impl import H11Protocol as _UvicornProtocol  # type: ignore[assignment]


class TurnBufferedTransport:
    """A transport whose writes are joined until the end of the current loop turn, then written once.

    Everything but writing is the wrapped transport's own (flow control, peer names, closing state).
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Write what is held, as one write; dropped if the peer went away in the meantime (uvloop refuses writes to
        a closed transport, where writing at once would have been dropped quietly)."""
        if self._held:
            held, self._held = self._held, []
            if not self._transport.is_closing():
                self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(data) for data in self._held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()  # what the app sent before it gave up still reaches the client, as with uvicorn's own writes
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class TurnBufferedHttpProtocol(_UvicornProtocol):
    """uvicorn's HTTP/1.1 protocol over a `TurnBufferedTransport` (pass the class as uvicorn's `http`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(TurnBufferedTransport(transport, self.loop))  # type: ignore[arg-type]
