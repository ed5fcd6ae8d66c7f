"""`GET /openapi.json` describes every route of the endpoint table with its schemas, as OpenAPI 3.1."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from mockai.api.routes import ENDPOINTS
from mockai.contract.openapi import build_openapi
from mockai.contract.registry import default_registry


@pytest.fixture(scope="module")
def document(base_url: str) -> dict[str, Any]:
    answer = httpx.get(f"{base_url}/openapi.json", timeout=30)  # public, like the docs: no key
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_it_is_openapi_3_1_with_the_2020_12_dialect(document: dict[str, Any]) -> None:
    assert document["openapi"] == "3.1.0"
    assert document["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_endpoint_row_is_an_operation_under_its_path(document: dict[str, Any]) -> None:
    for row in ENDPOINTS:
        operation = document["paths"][row.path][row.method.lower()]
        assert operation["operationId"] == row.operation_id
        assert operation["tags"] == [row.tag]


def test_request_and_response_schemas_are_referenced_and_resolve(document: dict[str, Any]) -> None:
    chat = document["paths"]["/v1/chat/completions"]["post"]
    request_ref = chat["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = chat["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    assert request_ref == "#/components/schemas/openai.createChatCompletion.request"
    assert response_ref.rsplit("/", 1)[-1] in schemas
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    upload = document["paths"]["/v1/files"]["post"]["requestBody"]["content"]
    assert list(upload) == ["multipart/form-data"]
    assert document["paths"]["/v1/files/{file_id}"]["get"]["parameters"][0]["name"] == "file_id"


def test_every_component_is_a_valid_schema_whose_references_stay_inside_the_document(
    document: dict[str, Any],
) -> None:
    # The derived schemas are recursive (a compound filter holds filters), so components refer to each other.
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    references = re.findall(r"'\$ref': '([^']*)'", str(document))
    assert references
    assert {ref.removeprefix("#/components/schemas/") for ref in references} <= set(schemas)


def test_query_parameters_are_documented_with_their_types(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/v1/files"]["get"]["parameters"]
    limit = next(parameter for parameter in parameters if parameter["name"] == "limit")
    assert limit["in"] == "query" and limit["schema"]["type"] == "integer"


def test_the_builder_needs_only_plain_rows() -> None:
    built = build_openapi(ENDPOINTS[:1], default_registry())
    assert list(built["paths"]) == ["/v1/models"]
    assert set(built["components"]["schemas"]) == {
        "openai.error",
        "openai.listModels.response",
        # what those two reach in the components derived from the spec
        "openai.components.ErrorResponse",
        "openai.components.Error",
        "openai.components.ListModelsResponse",
        "openai.components.Model",
    }


def test_security_is_described_truthfully_per_route(document: dict[str, Any], base_url: str) -> None:
    # The document once said every route needs a key; these need none, and answer without one.
    public = {(row.method, row.path) for row in ENDPOINTS if row.auth == "none"}
    assert {("GET", "/openapi.json"), ("GET", "/v1/images/files/{file_name}"), ("POST", "/app/v1/ask")} <= public
    assert document["security"] == [{"bearer": []}]
    for row in ENDPOINTS:
        operation = document["paths"][row.path][row.method.lower()]
        assert ("security" in operation and operation["security"] == []) is ((row.method, row.path) in public)
    assert httpx.get(f"{base_url}/app/v1/history", params={"user_id": "u"}).status_code == 200
    assert httpx.get(f"{base_url}/v1/models").status_code == 401


def test_the_dialogue_routes_document_their_own_error_envelope(document: dict[str, Any], base_url: str) -> None:
    for row in ENDPOINTS:
        error = document["paths"][row.path][row.method.lower()]["responses"]["default"]
        expected = "mockai.dialogue-error" if row.path.startswith("/app/") else "openai.error"
        assert error["content"]["application/json"]["schema"]["$ref"].endswith("/" + expected)
    refusal = httpx.get(f"{base_url}/app/v1/history").json()  # no user_id: a dialogue refusal
    schema = document["components"]["schemas"]["mockai.dialogue-error"]
    Draft202012Validator(schema).validate(refusal)
