"""`/v1/models` and the deprecated `/v1/engines`: the catalog as the caller's organization sees it."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.auth import organization
from mockai.api.responses import json_response, list_response
from mockai.api.scripting import journal_notes
from mockai.api.services import services
from mockai.state.catalog import ModelInfo


def resolve_model(request: Request, model_id: str, family: str, endpoint_path: str) -> ModelInfo:
    """The model a request names, as its organization sees it, if it serves `family`; an inferred name is noted in
    the request's journal entry."""
    model = services(request).catalog.require(model_id, organization(request), family, endpoint_path)
    _note_inference(request, model)
    return model


def _note_inference(request: Request, model: ModelInfo) -> None:
    if model.inferred is not None:
        journal_notes(request.scope)["model_inferred"] = model.inferred.to_json()


def model_object(model: ModelInfo) -> dict[str, Any]:
    """The model object: today's four fields, plus the 2023 `permission` list, `root` and `parent` for the seed
    era's models (the 0.28 SDK and the 2023 docs show them)."""
    found = {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}
    if model.legacy_object:
        found.update(permission=[_permission(model)], root=model.parent or model.id, parent=model.parent)
    return found


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
    _note_inference(request, model)
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
