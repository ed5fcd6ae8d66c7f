"""Pure ASGI middleware: the request id and the headers the real API puts on every response."""

from __future__ import annotations

import hashlib
import itertools
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OPENAI_VERSION = "2020-10-01"


class RequestContextMiddleware:
    """Give each request an id and stamp `x-request-id`, `openai-processing-ms`, `openai-version` and
    `openai-organization` on its response.

    Request ids are derived from the server seed and a counter, so a run is reproducible end to end.
    """

    def __init__(self, app: ASGIApp, *, seed: int, default_organization: str) -> None:
        self.app = app
        self._seed = seed
        self._default_organization = default_organization
        self._counter = itertools.count()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._next_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        organization = self._organization(scope)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                headers: list[Any] = list(message.get("headers", []))
                headers += [
                    (b"x-request-id", request_id.encode()),
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                    (b"openai-version", OPENAI_VERSION.encode()),
                    (b"openai-organization", organization.encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _next_request_id(self) -> str:
        digest = hashlib.blake2b(f"{self._seed}:{next(self._counter)}".encode(), digest_size=16)
        return "req_" + digest.hexdigest()

    def _organization(self, scope: Scope) -> str:
        for name, value in scope.get("headers", []):
            if name == b"openai-organization" and value:
                return str(value.decode("latin-1"))
        return self._default_organization
