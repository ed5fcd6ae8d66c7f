"""Dispatch: the endpoint table's fixed paths by one dict lookup, in front of Starlette's stack; the rest through it.

Starlette sends every request through two error middlewares, its router (which tries its routes in order, a regex
match each: a path near the end of the table tried about a hundred patterns first) and the route. Most paths have no
parameters (`/v1/chat/completions`), and for those the route the scan would choose is known when the app is built,
so `TableFirst` calls that endpoint directly. An endpoint renders its own failures (`mockai.api.endpoint`), so the
error middlewares have nothing to add there. Everything else (parameterised paths, a wrong method's 405, a 404, the
lifespan) takes Starlette's own way, so what answers a request never depends on which way it went.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send


class TableFirst:
    """An ASGI app that answers the `(method, path)` pairs it can decide up front, and hands the rest to `fallback`.

    Routes added to the router after the app is built are still reached, by the fallback's scan (a test adds one at
    the front).
    """

    def __init__(self, routes: Sequence[BaseRoute], fallback: ASGIApp) -> None:
        self._exact = {pair: route.app for pair, route in exact_routes(routes).items()}
        self._fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # With a root path, Starlette matches the path below it: left to the fallback, which knows how.
        if scope["type"] == "http" and not scope.get("root_path"):
            endpoint = self._exact.get((scope["method"], scope["path"]))
            if endpoint is not None:
                scope["path_params"] = {}
                await endpoint(scope, receive, send)
                return
        await self._fallback(scope, receive, send)


def exact_routes(routes: Sequence[BaseRoute]) -> dict[tuple[str, str], Route]:
    """Each parameterless route's `(method, path)` pairs, kept only where the route is the first to match them fully
    (an earlier parameterised route could take the path; then the scan decides, as always)."""
    exact: dict[tuple[str, str], Route] = {}
    for route in routes:
        if not isinstance(route, Route) or "{" in route.path:
            continue
        for method in sorted(route.methods or ()):
            scope = {"type": "http", "path": route.path, "root_path": "", "method": method}
            first = next(candidate for candidate in routes if candidate.matches(scope)[0] is Match.FULL)
            if first is route:
                exact.setdefault((method, route.path), route)
    return exact
