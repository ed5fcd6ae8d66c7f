"""Assemble the Starlette app: routes from the endpoint table, middleware, and the one set of error handlers."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from mockai import errors
from mockai.api.auth import authenticate
from mockai.api.batches import BATCH_API_KEY, in_process_runner
from mockai.api.cassettes import play_cassette
from mockai.api.endpoint import read_limited
from mockai.api.middleware import RequestMiddleware
from mockai.api.responses import error_response, json_response
from mockai.api.router import TableFirst
from mockai.api.routes import ALL_ENDPOINTS
from mockai.api.services import Services, build_services
from mockai.api.warmup import start_warming
from mockai.contract.registry import SchemaRegistry, default_registry
from mockai.dialogue import errors as dialogue_errors
from mockai.settings import Settings

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("mockai")

DIALOGUE_PREFIX = "/app/"


def build_app(
    settings: Settings,
    *,
    registry: SchemaRegistry | None = None,
    on_ready: Callable[[], None] | None = None,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The ASGI app for `settings`. `on_ready` runs once start-up is complete (the test server waits on it);
    `upstream_transport` is how cassettes reach `--record-upstream` (tests inject theirs; default: the network)."""
    # Validators are built on first use: checking every schema against the metaschema here cost 0.5-1 s of each
    # start, and the suite already checks every shipped schema (tests/contract/test_schemas.py).
    registry = registry or default_registry()
    app_services = build_services(settings, registry, upstream_transport=upstream_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stopping = threading.Event()
        app.state.warm_up = start_warming(
            ALL_ENDPOINTS,
            registry,
            traffic=app_services.traffic,
            stopping=stopping,
            cache_dir=settings.cache_dir,
        )
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            stopping.set()
            if app_services.upstream is not None:
                await app_services.upstream.aclose()
            app_services.close()

    app = _MockaiApp(
        exception_handlers={
            errors.OpenAIError: render_openai_error,
            HTTPException: render_http_exception,
            Exception: render_unexpected,
        },
    )
    # Without slash redirects: `/v1/models/` gets the real API's 404 Invalid URL.
    app.router = Router([endpoint.as_route() for endpoint in ALL_ENDPOINTS], lifespan=lifespan, redirect_slashes=False)
    app.router.default = _before_not_found(app.router.not_found)
    app.state.services = app_services
    # A batch's requests run through this very app (the first --api-key when keys are restricted).
    app_services.batches.runner = in_process_runner(app, (settings.api_keys or (BATCH_API_KEY,))[0])
    return app


class _MockaiApp(Starlette):
    """Starlette, with `RequestMiddleware` outermost and the endpoint table's fixed paths dispatched before
    Starlette's own stack (`TableFirst`): that is every request to `/v1/chat/completions`, and each layer skipped is
    a coroutine and a `send` wrapper less on every message of every response."""

    def build_middleware_stack(self) -> ASGIApp:
        dispatch = TableFirst(self.router.routes, super().build_middleware_stack())
        return RequestMiddleware(dispatch, services=services_of(self))


async def render_openai_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.OpenAIError)
    return error_response(exc)


async def render_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 405 and path.startswith(DIALOGUE_PREFIX):
        # The seed's application layer answers in its own envelope, wrong methods included.
        refusal = dialogue_errors.method_not_allowed(method, path, allowed_methods(request))
        return json_response(refusal.envelope(), status=refusal.status, headers=refusal.headers)
    if exc.status_code == 405 and services_of(request.app).cassettes.active is not None and path.startswith("/v1/"):
        # A method mockai does not serve here (GET /v1/chat/completions lists stored completions) may be recorded.
        return await _answer_from_cassette(request)
    if exc.status_code == 405:
        return error_response(errors.method_not_allowed(method, path, allowed_methods(request)))
    if exc.status_code == 404:
        return error_response(errors.invalid_url(method, path))
    return error_response(errors.invalid_request(str(exc.detail), status=exc.status_code))


async def render_unexpected(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "unknown")
    logger.error("unexpected error (request %s)", request_id, exc_info=exc)
    return error_response(errors.server_error(request_id))


def _before_not_found(not_found: ASGIApp) -> ASGIApp:
    """The router's last resort: a path no route serves may still be answered by the cassette in use (any path
    under `/v1`, so endpoints mockai does not implement can be recorded and replayed); otherwise 404."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        app_services: Services = scope["app"].state.services
        path: str = scope.get("path", "")
        if scope["type"] != "http" or app_services.cassettes.active is None or not path.startswith("/v1/"):
            await not_found(scope, receive, send)
            return
        response = await _answer_from_cassette(Request(scope, receive))
        await response(scope, receive, send)

    return answer


async def _answer_from_cassette(request: Request) -> Response:
    """The cassette's answer to a request no endpoint of the table serves."""
    authenticate(request, "openai")
    limit = services_of(request.app).settings.max_upload_bytes
    raw = await read_limited(request, limit, lambda: errors.body_too_large(limit))
    response = await play_cassette(request, None, raw)
    if response is None:  # content rules need an endpoint's handler, and none is here to render them
        raise errors.invalid_url(request.method, request.url.path)
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method the endpoint table serves at this path (Starlette's own `Allow` names only the first row)."""
    scope = {**request.scope, "method": ""}
    found: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            found.update(getattr(route, "methods", ()) or ())
    return sorted(found)


def services_of(app: Starlette) -> Services:
    """The services of a built app (tests and the in-process server use it)."""
    found: Services = app.state.services
    return found
