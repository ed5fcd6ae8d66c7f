"""Prepare, in the background, what the first text request needs, once the server is up.

The first chat completion or Responses request after a start paid ~0.15 s for code no health check touches:
importing jsonschema and those families' handlers (`routes.LazyHandler`), and compiling their request validators.
A daemon thread started with the server does that while clients are still connecting. A request that arrives first
finds part of it done and does the rest itself: imports and validators are built once, whoever asks first, and two
threads racing build equal ones. The warm-up ends by freezing what exists by then out of the cyclic collector's reach
(`gc.freeze`): all of it lives as long as the server.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterable

from mockai.api.endpoint import Endpoint
from mockai.api.routes import LazyHandler
from mockai.contract.registry import SchemaRegistry

__all__ = ["WARM_FAMILIES", "start_warming", "warm_request_path"]

WARM_FAMILIES = frozenset({"chat", "completions", "responses"})  # the families almost every client calls first

logger = logging.getLogger("mockai")


def warm_request_path(endpoints: Iterable[Endpoint], registry: SchemaRegistry) -> None:
    """Import the handlers and compile the request validators of the `WARM_FAMILIES` rows that take a JSON body."""
    for endpoint in endpoints:
        if endpoint.tag not in WARM_FAMILIES or endpoint.body != "json":
            continue
        if isinstance(endpoint.handler, LazyHandler):
            endpoint.handler.resolve()
        if endpoint.request_schema is not None:
            registry.validator(endpoint.request_schema)


def start_warming(endpoints: Iterable[Endpoint], registry: SchemaRegistry) -> threading.Thread:
    """`warm_request_path` on a daemon thread (a failure there is logged: the first request will meet it again)."""

    def warm() -> None:
        try:
            warm_request_path(endpoints, registry)
        except Exception:
            logger.exception("warming the request path failed")
        # What start-up and the warm-up built (modules, schemas, validators, the catalog) lives as long as the server.
        # Frozen, the cyclic collector stops walking it: each full pass over it cost ~0.1 s, a pause every few
        # thousand requests under load, and the worst of the p99 latency.
        gc.freeze()

    thread = threading.Thread(target=warm, name="mockai-warm-up", daemon=True)
    thread.start()
    return thread
