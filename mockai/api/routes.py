"""THE endpoint table: every documented operation, in the order of the API reference.

Routing, `/openapi.json`, `mockai contract --endpoints` and journal labels all read this one tuple. The same path
with two methods is two rows; a wrong method gets 405 with `Allow` computed from this table.
"""

from __future__ import annotations

from mockai.api import models
from mockai.api.admin import ADMIN_ENDPOINTS
from mockai.api.endpoint import Endpoint

# fmt: off
ENDPOINTS: tuple[Endpoint, ...] = (
    # -- models ----------------------------------------------------------------------------------------------------
    Endpoint("GET", "/v1/models", models.list_models, "listModels", "models",
             response_schema="openai/listModels.response"),
    Endpoint("GET", "/v1/models/{model}", models.retrieve_model, "retrieveModel", "models",
             response_schema="openai/retrieveModel.response"),
    Endpoint("DELETE", "/v1/models/{model}", models.delete_model, "deleteModel", "models",
             response_schema="openai/deleteModel.response"),
    # -- completions (issue 4) -------------------------------------------------------------------------------------
    # -- chat (issue 4) --------------------------------------------------------------------------------------------
    # -- edits (issue 4) -------------------------------------------------------------------------------------------
    # -- images (issue 6) ------------------------------------------------------------------------------------------
    # -- embeddings (issue 6) --------------------------------------------------------------------------------------
    # -- audio (issue 6) -------------------------------------------------------------------------------------------
    # -- files (issue 5) -------------------------------------------------------------------------------------------
    # -- fine-tunes (issue 5) --------------------------------------------------------------------------------------
    # -- moderations (issue 6) -------------------------------------------------------------------------------------
    # -- engines (deprecated, still documented) --------------------------------------------------------------------
    Endpoint("GET", "/v1/engines", models.list_engines, "listEngines", "engines",
             response_schema="openai/listEngines.response"),
    Endpoint("GET", "/v1/engines/{engine_id}", models.retrieve_engine, "retrieveEngine", "engines",
             response_schema="openai/retrieveEngine.response"),
    # -- fine-tuning jobs, the modern API (issue 5) ----------------------------------------------------------------
    # -- mockai extras ---------------------------------------------------------------------------------------------
)
# fmt: on

ALL_ENDPOINTS: tuple[Endpoint, ...] = ENDPOINTS + ADMIN_ENDPOINTS
