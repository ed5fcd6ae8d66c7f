"""The suite's response guard: every successful answer of a /v1 operation a test sees must fit the official spec.

The `http`, `client` and `async_client` fixtures (and modules' own clients, made by `ResponseGuard.http` and
`ResponseGuard.openai`) send through a guarded transport. When a 2xx response of a /v1
operation has been read to its end, its JSON body is validated against the operation's derived response schema and
each SSE payload against its stream schema (both named by the endpoint table). Violations are collected and the
fixture fails the test at teardown, naming the operation, the place in the body and the schema's complaint. The
transport only watches the bytes go by, so streaming, early closes and timeouts behave as without it.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

import httpx

from mockai.api.endpoint import Endpoint
from mockai.api.routes import ENDPOINTS
from mockai.contract.checks import parse_sse
from mockai.contract.registry import SchemaRegistry, default_registry
from mockai.contract.validation import param_name

# Operations whose answer is the bytes a user stored (a downloaded .json file is JSON, but no schema of the API's).
_RAW_BYTES = frozenset({"downloadFile"})


class ResponseGuard:
    """Validates finished responses of the endpoint table's /v1 operations and keeps what it found wrong."""

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry or default_registry()
        self.violations: list[str] = []
        self._routes = [(row, _pattern(row.path)) for row in ENDPOINTS if row.path.startswith("/v1/")]
        self._clients: list[Any] = []

    def http(self, base_url: str, headers: dict[str, str], timeout: float = 30) -> httpx.Client:
        """An httpx client whose answers this guard checks; closed by `close()`."""
        client = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=guarded_transport(httpx, self)
        )
        self._clients.append(client)
        return client

    def openai(self, base_url: str, **options: Any) -> Any:
        """The official SDK's client (strict, no retries) on a transport this guard watches; closed by `close()`."""
        openai, httpx2 = importlib.import_module("openai"), importlib.import_module("httpx2")
        http_client = httpx2.Client(transport=guarded_transport(httpx2, self))
        self._clients.append(http_client)
        options.setdefault("_strict_response_validation", True)
        return openai.OpenAI(base_url=f"{base_url}/v1", max_retries=0, http_client=http_client, **options)

    def async_openai(self, base_url: str, **options: Any) -> Any:
        openai, httpx2 = importlib.import_module("openai"), importlib.import_module("httpx2")
        http_client = httpx2.AsyncClient(transport=guarded_async_transport(httpx2, self))
        options.setdefault("_strict_response_validation", True)
        return openai.AsyncOpenAI(base_url=f"{base_url}/v1", max_retries=0, http_client=http_client, **options)

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        row = self._row(method, path)
        if row is None or row.operation_id in _RAW_BYTES or not 200 <= status < 300:
            return
        media_type = content_type.split(";")[0].strip().lower()
        if media_type == "application/json":
            self._validate(row, row.response_schema, json.loads(body), f"{method} {path}")
        elif media_type == "text/event-stream":
            events, _ = parse_sse(body.decode("utf-8", errors="replace"))
            for number, event in enumerate(events):
                payload = json.loads(event) if event != "[DONE]" else None
                if isinstance(payload, dict) and "error" not in payload:
                    self._validate(row, row.stream_schema, payload, f"{method} {path} event {number}")

    def assert_clean(self) -> None:
        if self.violations:
            found = "\n".join(dict.fromkeys(self.violations))
            raise AssertionError(f"mockai answered outside the spec's schemas (schemas/openai/):\n{found}")

    def _row(self, method: str, path: str) -> Endpoint | None:
        return next((row for row, pattern in self._routes if row.method == method and pattern.match(path)), None)

    def _validate(self, row: Endpoint, schema: str | None, instance: Any, where: str) -> None:
        if schema is None:
            self.violations.append(f"{row.operation_id}: {where} has no schema in the endpoint table to check it by")
            return
        for error in self.registry.iter_errors(schema, instance):
            place = param_name(error.absolute_path) or "(root)"
            self.violations.append(f"{row.operation_id}: {where} at {place}: {error.message[:300]}")


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


def guarded_transport(module: ModuleType, guard: ResponseGuard) -> Any:
    """A transport of `module` (httpx, or the SDK's httpx2) that shows each finished response to `guard`."""

    class _Watched(module.SyncByteStream):  # type: ignore[name-defined, misc]
        def __init__(self, inner: Any, done: Callable[[bytes], None]) -> None:
            self._inner, self._done = inner, done

        def __iter__(self) -> Iterator[bytes]:
            chunks = []
            for chunk in self._inner:
                chunks.append(chunk)
                yield chunk
            self._done(b"".join(chunks))

        def close(self) -> None:
            self._inner.close()

    class _Transport(module.BaseTransport):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            self._inner = module.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            response = self._inner.handle_request(request)
            response.stream = _Watched(response.stream, _reporter(guard, request, response))
            return response

        def close(self) -> None:
            self._inner.close()

    return _Transport()


def guarded_async_transport(module: ModuleType, guard: ResponseGuard) -> Any:
    """The asynchronous twin of `guarded_transport`."""

    class _Watched(module.AsyncByteStream):  # type: ignore[name-defined, misc]
        def __init__(self, inner: Any, done: Callable[[bytes], None]) -> None:
            self._inner, self._done = inner, done

        async def __aiter__(self) -> AsyncIterator[bytes]:
            chunks = []
            async for chunk in self._inner:
                chunks.append(chunk)
                yield chunk
            self._done(b"".join(chunks))

        async def aclose(self) -> None:
            await self._inner.aclose()

    class _Transport(module.AsyncBaseTransport):  # type: ignore[name-defined, misc]
        def __init__(self) -> None:
            self._inner = module.AsyncHTTPTransport()

        async def handle_async_request(self, request: Any) -> Any:
            response = await self._inner.handle_async_request(request)
            response.stream = _Watched(response.stream, _reporter(guard, request, response))
            return response

        async def aclose(self) -> None:
            await self._inner.aclose()

    return _Transport()


def _reporter(guard: ResponseGuard, request: Any, response: Any) -> Callable[[bytes], None]:
    def done(body: bytes) -> None:
        content_type = response.headers.get("content-type", "")
        guard.check(request.method, request.url.path, response.status_code, content_type, body)

    return done
