"""The app's router: Starlette's, with the endpoint table's fixed paths found by one dict lookup.

Starlette tries its routes in order, a regex match each, so a request to a path near the end of the table tried about
a hundred patterns first. Most paths have no parameters (`/v1/chat/completions`), and for those the route the scan
would choose is known when the app is built. Everything else (parameterised paths, a wrong method's 405, a 404, the
lifespan) takes Starlette's own way, so what answers a request never depends on which way it went.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send


class EndpointRouter(Router):
    """A `Router` that dispatches `(method, path)` pairs it can decide up front without scanning its routes.

    Routes added after it is built are still reached, by the scan (a test adds one at the front).
    """

    def __init__(
        self, routes: Sequence[BaseRoute], *, lifespan: Callable[[Any], AbstractAsyncContextManager[None]]
    ) -> None:
        super().__init__(routes, lifespan=lifespan, redirect_slashes=False)
        self._exact = exact_routes(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        # With a root path, Starlette matches the path below it: left to the scan, which knows how.
        if scope["type"] == "http" and not scope.get("root_path"):
            route = self._exact.get((scope["method"], scope["path"]))
            if route is not None:
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await route.handle(scope, receive, send)
                return
        await super().app(scope, receive, send)


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
