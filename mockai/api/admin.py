"""The mockai control plane under `/_mockai`: its own small route table, outside the OpenAI `/v1` namespace."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import __version__
from mockai.api.endpoint import Endpoint
from mockai.api.responses import json_response
from mockai.api.services import services


async def health(request: Request, _: None) -> Response:
    return json_response({"status": "ok", "version": __version__, "mockai": True})


async def advance_clock(request: Request, body: dict[str, Any]) -> Response:
    clock = services(request).clock
    now = clock.advance(float(body["seconds"]))
    return json_response({"now": now})


async def read_clock(request: Request, _: None) -> Response:
    clock = services(request).clock
    return json_response({"now": clock.now(), "time_scale": clock.time_scale})


ADMIN_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/_mockai/health", health, "mockaiHealth", "admin", auth="none"),
    Endpoint("GET", "/_mockai/clock", read_clock, "mockaiReadClock", "admin", auth="admin"),
    Endpoint(
        "POST",
        "/_mockai/clock/advance",
        advance_clock,
        "mockaiAdvanceClock",
        "admin",
        body="json",
        request_schema="mockai/clock-advance",
        auth="admin",
    ),
)
