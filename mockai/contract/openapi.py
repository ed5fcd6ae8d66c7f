"""Build an OpenAPI 3.1 document from an endpoint table and the schema registry.

OpenAPI 3.1 speaks JSON Schema 2020-12, so the schemas go in as they are (bundled, one component each). The table
arrives as plain rows (anything with the `EndpointRow` attributes), so this module needs nothing from `mockai.api`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from mockai import __version__
from mockai.contract.registry import SchemaRegistry

_ERROR_SCHEMA = "openai/error"
# Families that answer errors in an envelope of their own: the seed's dialogue speaks {code, msg, data}.
_FAMILY_ERROR_SCHEMAS = {"dialogue": "mockai/dialogue-error"}
_FAMILY_ERROR_WORDS = {"dialogue": "The dialogue's own envelope {code, msg, data}"}
_MEDIA_TYPES = {"json": "application/json", "multipart": "multipart/form-data"}


class EndpointRow(Protocol):
    """What the builder reads from a row of the endpoint table (`mockai.api.endpoint.Endpoint` fits)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def operation_id(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def request_schema(self) -> str | None: ...
    @property
    def response_schema(self) -> str | None: ...
    @property
    def streams(self) -> bool: ...
    @property
    def auth(self) -> str: ...


def build_openapi(endpoints: Iterable[EndpointRow], registry: SchemaRegistry) -> dict[str, Any]:
    """The OpenAPI 3.1 document: one path item per route, one operation per row, schemas as components.

    >>> from mockai.contract.registry import default_registry
    >>> build_openapi([], default_registry())["openapi"]
    '3.1.0'
    """
    used: set[str] = set()
    paths: dict[str, dict[str, Any]] = {}
    for row in endpoints:
        operation = _operation(row, registry, used)
        paths.setdefault(row.path, {})[row.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "mockai: the OpenAI API, offline and deterministic",
            "version": __version__,
            "description": "Generated from mockai's endpoint table and its JSON Schemas (schemas/).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {_component(name): registry.bundled(name) for name in sorted(used)},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation(row: EndpointRow, registry: SchemaRegistry, used: set[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": row.operation_id, "tags": [row.tag]}
    parameters = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in row.path.split("/")
        if part.startswith("{") and part.endswith("}")
    ]
    if parameters:
        operation["parameters"] = parameters
    if row.auth == "none":
        operation["security"] = []  # public, like the docs and the real signed image URLs: no key needed
    if row.request_schema is not None and row.request_schema in registry:
        used.add(row.request_schema)
        media_type = _MEDIA_TYPES.get(row.body, "application/json")
        operation["requestBody"] = {"required": True, "content": {media_type: {"schema": _ref(row.request_schema)}}}
    operation["responses"] = _responses(row, registry, used)
    return operation


def _responses(row: EndpointRow, registry: SchemaRegistry, used: set[str]) -> dict[str, Any]:
    content: dict[str, Any] = {}
    response_schema = row.response_schema or f"openai/{row.operation_id}.response"
    if response_schema in registry:
        used.add(response_schema)
        content["application/json"] = {"schema": _ref(response_schema)}
    chunk_schema = f"openai/{row.operation_id}.chunk"
    if row.streams and chunk_schema in registry:
        used.add(chunk_schema)
        description = "Server-sent events: each `data:` line is one chunk, then `data: [DONE]`."
        content["text/event-stream"] = {"schema": {"type": "string"}, "x-chunk-schema": _ref(chunk_schema)}
        content["text/event-stream"]["description"] = description
    ok: dict[str, Any] = {"description": "Success"}
    if content:
        ok["content"] = content
    error_schema = _FAMILY_ERROR_SCHEMAS.get(row.tag, _ERROR_SCHEMA)
    used.add(error_schema)
    error = {
        "description": _FAMILY_ERROR_WORDS.get(row.tag, "The OpenAI error envelope"),
        "content": {"application/json": {"schema": _ref(error_schema)}},
    }
    return {"200": ok, "default": error}


def _component(name: str) -> str:
    # Component keys must match ^[a-zA-Z0-9.\-_]+$, so the folder separator becomes a dot.
    return name.replace("/", ".")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{_component(name)}"}
