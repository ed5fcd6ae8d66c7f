"""Prepare, in the background, what the first text request needs, once the server is up.

The first chat completion or Responses request after a start paid ~0.15 s for code no health check touches:
importing jsonschema and those families' handlers (`routes.LazyHandler`), and compiling their request validators.
A daemon thread started with the server does that while clients are still connecting, one row at a time, and steps
aside while a request is being answered (`step_aside`): a request that arrives first does what it needs itself, at
full speed, rather than sharing the GIL with work it may not need. Imports and validators are built once, whoever
asks first, and two threads racing build equal ones. The warm-up then freezes what exists by then out of the cyclic
collector's reach (`gc.freeze`): all of it lives as long as the server.

Last, at the first lull in traffic, it builds the `IDLE_ENCODINGS`. Building tiktoken's core for o200k_base takes
~0.3 s in one call that holds the GIL, so it is not done while requests are in flight: a busy server (a test suite
firing at it) leaves it to the first request that needs it, as before; a server that waits for its clients (a CI
service, `make serve`) has it ready when they come.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from mockai.api.endpoint import Endpoint
from mockai.api.routes import LazyHandler
from mockai.api.traffic import Traffic
from mockai.contract.registry import SchemaRegistry

__all__ = ["IDLE_ENCODINGS", "WARM_FAMILIES", "start_warming", "step_aside", "wait_for_lull", "warm_request_path"]

WARM_FAMILIES = frozenset({"chat", "completions", "responses"})  # the families almost every client calls first
#: The encoding of the models clients of 2026 default to (gpt-4o, gpt-4.1, gpt-5, the o-series): ~45 MiB once built.
IDLE_ENCODINGS = ("o200k_base",)
#: A lull is this many polls in a row with no request arriving or in flight.
LULL_POLLS = 2
POLL_SECONDS = 0.05
STEP_POLL_SECONDS = 0.01  # between warm-up steps: a step resumes this soon after the request it let pass

logger = logging.getLogger("mockai")


def warm_request_path(
    endpoints: Iterable[Endpoint], registry: SchemaRegistry, *, before_each: Callable[[], bool] = lambda: True
) -> None:
    """Import the handlers and compile the request validators of the `WARM_FAMILIES` rows that take a JSON body;
    `before_each` runs before each row, and ends the warm-up when it returns False."""
    for endpoint in endpoints:
        if endpoint.tag not in WARM_FAMILIES or endpoint.body != "json":
            continue
        if not before_each():
            return
        if isinstance(endpoint.handler, LazyHandler):
            endpoint.handler.resolve()
        if endpoint.request_schema is not None:
            registry.validator(endpoint.request_schema)


class Stopping(Protocol):
    """What the warm-up waits on between polls: `threading.Event` (true once the server stops)."""

    def wait(self, timeout: float | None = None) -> bool: ...


def step_aside(traffic: Traffic, stopping: Stopping) -> bool:
    """Wait while a request is being answered: True once none is, False if the server stops first.

    Under the GIL, a warm-up step running beside the first request stretched that request by the step's own work
    (~0.1 s of a first reply); stepping aside, the request does only what it needs, at full speed, and the warm-up
    resumes after it.
    """
    while traffic.in_flight:
        if stopping.wait(STEP_POLL_SECONDS):
            return False
    return True


def wait_for_lull(traffic: Traffic, stopping: Stopping, *, polls: int = LULL_POLLS) -> bool:
    """Wait until no request has arrived or been in flight for `polls` polls in a row: True then, False if the server
    stops first."""
    seen, quiet = traffic.arrived, 0
    while not stopping.wait(POLL_SECONDS):
        if traffic.in_flight or traffic.arrived != seen:
            seen, quiet = traffic.arrived, 0
            continue
        quiet += 1
        if quiet >= polls:
            return True
    return False


def start_warming(
    endpoints: Iterable[Endpoint],
    registry: SchemaRegistry,
    *,
    traffic: Traffic,
    stopping: threading.Event,
    cache_dir: Path | None,
) -> threading.Thread:
    """`warm_request_path`, then the `IDLE_ENCODINGS` at the first lull, on a daemon thread (a failure there is
    logged: the first request will meet it again)."""

    def warm() -> None:
        try:
            warm_request_path(endpoints, registry, before_each=lambda: step_aside(traffic, stopping))
        except Exception:
            logger.exception("warming the request path failed")
        # What start-up and the warm-up built (modules, schemas, validators, the catalog) lives as long as the server.
        # Frozen, the cyclic collector stops walking it: each full pass over it cost ~0.1 s, a pause every few
        # thousand requests under load, and the worst of the p99 latency.
        gc.freeze()
        if not wait_for_lull(traffic, stopping):
            return
        from mockai.engine.tokenizer import get_encoding  # imports tiktoken, which start-up does not

        try:
            for name in IDLE_ENCODINGS:
                get_encoding(name, cache_dir=cache_dir)
        except Exception:
            logger.exception("building an encoding in the background failed")
        gc.freeze()

    thread = threading.Thread(target=warm, name="mockai-warm-up", daemon=True)
    thread.start()
    return thread
