"""`/v1/models` and the deprecated `/v1/engines`: the catalog as the caller's organization sees it."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.auth import organization
from mockai.api.responses import json_response, list_response
from mockai.api.services import services
from mockai.state.catalog import ModelInfo


def model_object(model: ModelInfo) -> dict[str, Any]:
    """The documented model object, with the legacy `permission` list the 0.28 SDK and the docs show."""
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
        "permission": [_permission(model)],
        "root": model.parent or model.id,
        "parent": model.parent,
    }


def engine_object(model: ModelInfo) -> dict[str, Any]:
    return {
        "id": model.id,
        "object": "engine",
        "created": model.created,
        "owner": model.owned_by,
        "permissions": None,
        "ready": True,
    }


def _permission(model: ModelInfo) -> dict[str, Any]:
    digest = hashlib.blake2b(model.id.encode(), digest_size=12).hexdigest()
    return {
        "id": f"modelperm-{digest}",
        "object": "model_permission",
        "created": model.created,
        "allow_create_engine": False,
        "allow_sampling": True,
        "allow_logprobs": True,
        "allow_search_indices": False,
        "allow_view": True,
        "allow_fine_tuning": model.fine_tune is not None,
        "organization": model.owner_org or "*",
        "group": None,
        "is_blocking": False,
    }


async def list_models(request: Request, _: None) -> Response:
    catalog = services(request).catalog
    return list_response(model_object(model) for model in catalog.list(organization(request)))


async def retrieve_model(request: Request, _: None) -> Response:
    model = services(request).catalog.get(request.path_params["model"], organization(request))
    return json_response(model_object(model))


async def delete_model(request: Request, _: None) -> Response:
    model_id = request.path_params["model"]
    services(request).fine_tunes.delete_model(organization(request), model_id)
    return json_response({"id": model_id, "object": "model", "deleted": True})


async def list_engines(request: Request, _: None) -> Response:
    # The docs: engines list "the currently available (non-finetuned) models".
    return list_response(engine_object(model) for model in services(request).catalog.base_models())


async def retrieve_engine(request: Request, _: None) -> Response:
    engine_id = request.path_params["engine_id"]
    for model in services(request).catalog.base_models():
        if model.id == engine_id:
            return json_response(engine_object(model))
    raise errors.engine_not_found(engine_id)
