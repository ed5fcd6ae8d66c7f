"""The upstream a cassette records from: an OpenAI-compatible server reached with httpx, answers streamed back.

`base_url` is the upstream's API base, as in `OPENAI_BASE_URL` (`https://api.openai.com/v1`): a request for
`/v1/<rest>` goes to `<base_url>/<rest>`, any path under it. Bodies come back decoded (gzip, deflate, br), chunk by
chunk as they arrive, so a stream reaches the client live. The transport is injected: tests hand in their own, and
every test upstream is on loopback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx

from mockai.cassettes.recorder import HOP_BY_HOP

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)  # a long generation may stream for minutes
API_PREFIX = "/v1"
# httpx computes these itself: the length of what it sends, and the encodings it can decode.
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "accept-encoding"}


class UpstreamError(Exception):
    """The upstream could not be reached, or broke off (the message says how)."""


@dataclass
class UpstreamResponse:
    """An upstream answer whose head has arrived; read `chunks()` once, then `aclose()`."""

    status: int
    headers: dict[str, str]
    _response: httpx.Response

    async def chunks(self) -> AsyncIterator[bytes]:
        """Decoded body bytes as they arrive."""
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            raise UpstreamError(_describe(exc)) from None

    async def aclose(self) -> None:
        await self._response.aclose()


class Upstream:
    """Forwards requests to one upstream; `api_key` (when given) replaces the client's `Authorization`.

    >>> Upstream("https://api.openai.com/v1/").url_for("/v1/chat/completions", "")
    'https://api.openai.com/v1/chat/completions'
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._transport = transport
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def url_for(self, path: str, query: str) -> str:
        rest = path[len(API_PREFIX) :] if path == API_PREFIX or path.startswith(API_PREFIX + "/") else path
        return self.base_url + rest + (f"?{query}" if query else "")

    async def open(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> UpstreamResponse:
        """Send the request and return once the response head has arrived (its body streams from `chunks()`)."""
        forwarded = {name: value for name, value in headers.items() if name.lower() not in _NOT_FORWARDED}
        if self.api_key:
            forwarded = {name: value for name, value in forwarded.items() if name.lower() != "authorization"}
            forwarded["authorization"] = f"Bearer {self.api_key}"
        client = self._client_in_loop()
        request = client.build_request(method, self.url_for(path, query), headers=forwarded, content=body)
        try:
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise UpstreamError(_describe(exc)) from None
        return UpstreamResponse(response.status_code, dict(response.headers.items()), response)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _client_in_loop(self) -> httpx.AsyncClient:
        # Made on first use, inside the server's event loop, where its connections will live.
        if self._client is None:
            # trust_env=False: a developer's HTTP(S)_PROXY must never reroute what mockai records.
            self._client = httpx.AsyncClient(transport=self._transport, timeout=self._timeout, trust_env=False)
        return self._client


def _describe(exc: httpx.HTTPError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
