"""The official SDK clients the pytest plugin hands out: strict, no retries, embeddings decoded as the SDK does.

The SDK asks `/v1/embeddings` for base64 when the caller names no `encoding_format`, and decodes the vectors in a
post-parser. Its strict mode (`_strict_response_validation=True`) validates the response first, against
`embedding: list[float]`, and refuses the base64 string the real API (and mockai) sends. The clients built here do
that decoding one step earlier, in their HTTP transport, with the same float32 reading the SDK uses, so the
validated response already holds the floats the caller would have got: the post-parser then has nothing left to do.
The server keeps answering exactly what the real API answers.
"""

from __future__ import annotations

import array
import base64
import importlib
import json
from types import ModuleType
from typing import Any

__all__ = ["decode_embeddings", "strict_openai_client"]


def strict_openai_client(openai: ModuleType, api_base: str, api_key: str, *, asynchronous: bool = False) -> Any:
    """An `openai.OpenAI` (or `AsyncOpenAI`) on `api_base`, validating strictly, with no retries and no proxies."""
    http = _http_library(openai)
    if asynchronous:
        client = openai.DefaultAsyncHttpxClient(transport=_async_transport(http), trust_env=False)
        return openai.AsyncOpenAI(
            base_url=api_base, api_key=api_key, max_retries=0, _strict_response_validation=True, http_client=client
        )
    client = openai.DefaultHttpxClient(transport=_sync_transport(http), trust_env=False)
    return openai.OpenAI(
        base_url=api_base, api_key=api_key, max_retries=0, _strict_response_validation=True, http_client=client
    )


def decode_embeddings(body: bytes) -> bytes | None:
    """`body` with its base64 embedding vectors turned into float lists; None when it holds none.

    >>> vector = base64.b64encode(array.array("f", [0.5, -0.25]).tobytes()).decode()
    >>> decode_embeddings(json.dumps({"data": [{"embedding": vector}]}).encode())
    b'{"data": [{"embedding": [0.5, -0.25]}]}'
    >>> decode_embeddings(b'{"data": [{"embedding": [0.5]}]}') is None
    True
    """
    try:
        document = json.loads(body)
    except ValueError:
        return None
    items = document.get("data") if isinstance(document, dict) else None
    encoded = [item for item in items or [] if isinstance(item, dict) and isinstance(item.get("embedding"), str)]
    if not encoded:
        return None
    for item in encoded:
        # Native float32, as the SDK's own post-parser reads it (array("f") or numpy's float32).
        item["embedding"] = array.array("f", base64.b64decode(item["embedding"])).tolist()
    return json.dumps(document).encode()


def _http_library(openai: ModuleType) -> ModuleType:
    """The HTTP library the SDK is built on: `httpx` for openai 1.x and 2.x, `httpx2` for 3.x."""
    base = next(cls for cls in openai.DefaultHttpxClient.__mro__ if not cls.__module__.startswith("openai"))
    return importlib.import_module(base.__module__.partition(".")[0])


def _is_embeddings(request: Any) -> bool:
    return bool(request.method == "POST" and request.url.path.endswith("/embeddings"))


def _replaced(http: ModuleType, response: Any, body: bytes) -> Any:
    # The body is read and decoded already: its length and any content-encoding no longer apply.
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length", "content-encoding")]
    return http.Response(response.status_code, headers=headers, content=body, extensions=response.extensions)


def _sync_transport(http: ModuleType) -> Any:
    class DecodingTransport(http.BaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self._inner = http.HTTPTransport()

        def handle_request(self, request: Any) -> Any:
            response = self._inner.handle_request(request)
            if not _is_embeddings(request):
                return response
            decoded = decode_embeddings(response.read())
            return response if decoded is None else _replaced(http, response, decoded)

        def close(self) -> None:
            self._inner.close()

    return DecodingTransport()


def _async_transport(http: ModuleType) -> Any:
    class AsyncDecodingTransport(http.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self._inner = http.AsyncHTTPTransport()

        async def handle_async_request(self, request: Any) -> Any:
            response = await self._inner.handle_async_request(request)
            if not _is_embeddings(request):
                return response
            decoded = decode_embeddings(await response.aread())
            return response if decoded is None else _replaced(http, response, decoded)

        async def aclose(self) -> None:
            await self._inner.aclose()

    return AsyncDecodingTransport()
