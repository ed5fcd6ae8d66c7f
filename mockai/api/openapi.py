"""`GET /openapi.json`: the OpenAPI 3.1 description of this server, built from the endpoint table and `schemas/`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.contract.openapi import build_openapi


async def openapi_document(request: Request, _: None) -> Response:
    # Imported here because the route table itself lists this handler.
    from mockai.api.routes import ENDPOINTS

    return json_response(build_openapi(ENDPOINTS, services(request).registry))
