"""The derivation keeps structure, drops prose, and translates OpenAPI's own spellings into JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

import pytest

from mockai.contract.derive import derive_spec
from mockai.contract.overlay import KeptOperation


def _spec(request: dict[str, Any], components: dict[str, Any] | None = None) -> dict[str, Any]:
    operation = {
        "operationId": "createThing",
        "requestBody": {"content": {"application/json": {"schema": request}}},
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "description": "prose"}},
                       {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
    }  # fmt: skip
    schemas = {"Thing": {"type": "object", "title": "A thing", "properties": {"id": {"type": "string"}}}}
    return {"paths": {"/things": {"post": operation}}, "components": {"schemas": {**schemas, **(components or {})}}}


def _derive(request: dict[str, Any], components: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
    kept = [KeptOperation("createThing", "createThing", "openapi.yaml")]
    files = derive_spec(_spec(request, components), kept, "components.json", close_requests=True)
    parts = {name.split(".")[1]: schema for name, schema in files.items() if name.startswith("createThing.")}
    return parts, files["components.json"]


@pytest.mark.parametrize(
    ("property_schema", "derived"),
    [
        ({"type": "integer", "nullable": True, "description": "x"}, {"type": ["integer", "null"]}),
        ({"type": "string", "enum": ["a", "b"], "nullable": True},
         {"type": ["string", "null"], "enum": ["a", "b", None]}),
        ({"$ref": "#/components/schemas/Thing", "nullable": True},
         {"anyOf": [{"$ref": "components.json#/$defs/Thing"}, {"type": "null"}]}),
        ({"type": "number", "minimum": 0, "exclusiveMinimum": True}, {"type": "number", "exclusiveMinimum": 0}),
        ({"type": "string", "x-oaiTypeLabel": "str", "example": "hi", "deprecated": True}, {"type": "string"}),
        ({"oneOf": [{"$ref": "#/components/schemas/Thing"}], "discriminator": {"propertyName": "type"}},
         {"oneOf": [{"$ref": "components.json#/$defs/Thing"}], "discriminator": {"propertyName": "type"}}),
    ],
    ids=["nullable type", "nullable enum", "nullable reference", "boolean exclusiveMinimum", "prose and extensions",
         "discriminator kept"],
)  # fmt: skip
def test_each_property_keeps_its_structure_in_2020_12_words(property_schema: dict[str, Any], derived: Any) -> None:
    parts, _ = _derive({"type": "object", "properties": {"p": property_schema}})
    assert parts["request"]["properties"]["p"] == derived


def test_a_request_made_of_allof_parts_is_one_closed_object() -> None:
    components = {"Base": {"type": "object", "properties": {"n": {"type": "integer"}, "m": {"type": "string"}},
                           "required": ["n"]}}  # fmt: skip
    request = {"allOf": [{"$ref": "#/components/schemas/Base"},
                         {"type": "object", "properties": {"n": {"maximum": 5}, "s": {"type": "string"}},
                          "required": ["s"]}]}  # fmt: skip
    parts, defs = _derive(request, components)
    assert parts["request"] == {
        "type": "object",
        "properties": {"n": {"allOf": [{"type": "integer"}, {"maximum": 5}]}, "m": {"type": "string"},
                       "s": {"type": "string"}},
        "required": ["n", "s"],
        "additionalProperties": False,
    }  # fmt: skip
    assert "Base" not in defs["$defs"]  # merged into the request, referenced by nothing else


def test_queries_responses_and_the_components_they_reach() -> None:
    parts, defs = _derive({"type": "object"})
    assert parts["query"] == {"type": "object", "properties": {"limit": {"type": "integer"}}}
    assert parts["response"] == {"$ref": "components.json#/$defs/Thing"}
    assert defs == {"$defs": {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}}}


def test_a_recursive_reference_of_2019_09_becomes_a_plain_reference() -> None:
    components = {
        "Filter": {
            "$recursiveAnchor": True,
            "type": "object",
            "properties": {"filters": {"type": "array", "items": {"$recursiveRef": "#"}}},
        }
    }
    _, defs = _derive({"type": "object", "properties": {"f": {"$ref": "#/components/schemas/Filter"}}}, components)
    assert defs["$defs"]["Filter"]["properties"]["filters"]["items"] == {"$ref": "components.json#/$defs/Filter"}


def test_a_dangling_reference_fails_the_derivation() -> None:
    with pytest.raises(ValueError, match="no component schema 'Missing'"):
        _derive({"type": "object", "properties": {"x": {"$ref": "#/components/schemas/Missing"}}})
