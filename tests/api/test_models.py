"""`/v1/models` and `/v1/engines` through the official SDK and raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

SEED_MODELS = [
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-0301",
    "gpt-3.5-turbo-0613",
    "text-davinci-003",
    "text-davinci-002",
    "text-davinci-edit-001",
    "code-davinci-edit-001",
    "davinci",
    "curie",
    "babbage",
    "ada",
    "text-embedding-ada-002",
    "whisper-1",
    "text-moderation-latest",
    "text-moderation-stable",
    "dall-e-2",
]
TODAYS_MODELS = [
    "gpt-4",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-3.5-turbo-instruct",
    "davinci-002",
    "babbage-002",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
    "dall-e-3",
]


def test_the_sdk_lists_every_catalog_model(client: Any) -> None:
    ids = {model.id for model in client.models.list()}
    assert set(SEED_MODELS + TODAYS_MODELS) <= ids


def test_the_sdk_retrieves_a_model_with_its_owner(client: Any) -> None:
    model = client.models.retrieve("text-davinci-003")
    assert (model.id, model.object, model.owned_by) == (
        "text-davinci-003",
        "model",
        "openai-internal",
    )
    assert model.created > 0


def test_models_keep_the_legacy_permission_list(http: httpx.Client) -> None:
    body = http.get("/v1/models/gpt-3.5-turbo").json()
    assert body["permission"][0]["object"] == "model_permission"
    assert body["root"] == "gpt-3.5-turbo"


def test_an_unknown_model_is_404_model_not_found(client: Any) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("llama-99")
    error = caught.value.body
    assert error["code"] == "model_not_found"
    assert error["type"] == "invalid_request_error"
    assert "`llama-99` does not exist" in error["message"]


def test_deleting_a_base_model_is_refused(http: httpx.Client) -> None:
    response = http.delete("/v1/models/gpt-4")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "model_not_deletable"
    assert response.json()["error"]["param"] == "model"


def test_engines_list_and_retrieve(http: httpx.Client) -> None:
    listed = http.get("/v1/engines").json()
    assert listed["object"] == "list"
    assert {"id": "davinci", "object": "engine", "owner": "openai", "ready": True}.items() <= next(
        engine for engine in listed["data"] if engine["id"] == "davinci"
    ).items()
    assert http.get("/v1/engines/ada").json()["id"] == "ada"


def test_an_unknown_engine_is_404(http: httpx.Client) -> None:
    response = http.get("/v1/engines/nope")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such engine: nope"


def test_responses_carry_the_real_api_headers(http: httpx.Client) -> None:
    response = http.get("/v1/models", headers={"OpenAI-Organization": "org-acme"})
    assert response.headers["x-request-id"].startswith("req_")
    assert int(response.headers["openai-processing-ms"]) >= 0
    assert response.headers["openai-version"] == "2020-10-01"
    assert response.headers["openai-organization"] == "org-acme"
    assert response.headers["content-type"] == "application/json"
