"""Build an OpenAPI 3.1 document from an endpoint table and the schema registry.

OpenAPI 3.1 speaks JSON Schema 2020-12, so the schemas go in as they are: each request, query, response and stream
document becomes a component, and so does every `$defs` entry they reach (the derived schemas are recursive, so
they are referenced, not inlined), with `$ref`s rewritten to `#/components/schemas/...`. The table arrives as
plain rows (anything with the `EndpointRow` attributes), so this module needs nothing from `mockai.api`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol
from urllib.parse import urldefrag, urljoin

from mockai import __version__
from mockai.contract.registry import SCHEMA_BASE_URI, SchemaRegistry

_ERROR_SCHEMA = "openai/error"
# Families that answer errors in an envelope of their own: the seed's dialogue speaks {code, msg, data}.
_FAMILY_ERROR_SCHEMAS = {"dialogue": "mockai/dialogue-error"}
_FAMILY_ERROR_WORDS = {"dialogue": "The dialogue's own envelope {code, msg, data}"}
_MEDIA_TYPES = {"json": "application/json", "multipart": "multipart/form-data"}
_DROPPED = frozenset({"$schema", "$id", "$defs", "$comment"})


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
    def query_schema(self) -> str | None: ...
    @property
    def response_schema(self) -> str | None: ...
    @property
    def stream_schema(self) -> str | None: ...
    @property
    def auth(self) -> str: ...


def build_openapi(endpoints: Iterable[EndpointRow], registry: SchemaRegistry) -> dict[str, Any]:
    """The OpenAPI 3.1 document: one path item per route, one operation per row, schemas as components.

    >>> from mockai.contract.registry import default_registry
    >>> build_openapi([], default_registry())["openapi"]
    '3.1.0'
    """
    components = _Components(registry)
    components.ref(_ERROR_SCHEMA)
    paths: dict[str, dict[str, Any]] = {}
    for row in endpoints:
        paths.setdefault(row.path, {})[row.method.lower()] = _operation(row, components)
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
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation(row: EndpointRow, components: _Components) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": row.operation_id, "tags": [row.tag]}
    parameters = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in row.path.split("/")
        if part.startswith("{") and part.endswith("}")
    ]
    parameters.extend(_query_parameters(row, components))
    if parameters:
        operation["parameters"] = parameters
    if row.auth == "none":
        operation["security"] = []  # public, like the docs and the real signed image URLs: no key needed
    if row.request_schema is not None and row.request_schema in components.registry:
        media_type = _MEDIA_TYPES.get(row.body, "application/json")
        schema = components.ref(row.request_schema)
        operation["requestBody"] = {"required": True, "content": {media_type: {"schema": schema}}}
    operation["responses"] = _responses(row, components)
    return operation


def _query_parameters(row: EndpointRow, components: _Components) -> list[dict[str, Any]]:
    if row.query_schema is None or row.query_schema not in components.registry:
        return []
    document = components.registry.document(row.query_schema)
    required = set(document.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": components.inline(schema, document)}
        for name, schema in document.get("properties", {}).items()
    ]


def _responses(row: EndpointRow, components: _Components) -> dict[str, Any]:
    content: dict[str, Any] = {}
    if row.response_schema is not None and row.response_schema in components.registry:
        content["application/json"] = {"schema": components.ref(row.response_schema)}
    if row.stream_schema is not None and row.stream_schema in components.registry:
        content["text/event-stream"] = {
            "schema": {"type": "string"},
            "x-event-schema": components.ref(row.stream_schema),
            "description": "Server-sent events: each `data:` line is one event or chunk, then `data: [DONE]`.",
        }
    ok: dict[str, Any] = {"description": "Success"}
    if content:
        ok["content"] = content
    error_schema = _FAMILY_ERROR_SCHEMAS.get(row.tag, _ERROR_SCHEMA)
    error = {
        "description": _FAMILY_ERROR_WORDS.get(row.tag, "The OpenAI error envelope"),
        "content": {"application/json": {"schema": components.ref(error_schema)}},
    }
    return {"200": ok, "default": error}


class _Components:
    """The components section being built: documents and `$defs` entries, added as references reach them."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry
        self.schemas: dict[str, Any] = {}

    def ref(self, name: str) -> dict[str, str]:
        """A reference to the whole document `name`, adding it (and all it reaches) to the components."""
        document = self.registry.document(name)
        return self._ref_to(document["$id"], "")

    def inline(self, schema: Any, document: dict[str, Any]) -> Any:
        """A schema found inside `document`, its references rewritten (used for query parameters)."""
        return self._rewritten(schema, document["$id"])

    def _ref_to(self, uri: str, fragment: str) -> dict[str, str]:
        key = _key(uri, fragment)
        if key not in self.schemas:
            self.schemas[key] = {}  # reserved first: recursive schemas reach themselves
            target, base = self.registry.resolve(f"{uri}#{fragment}", uri)
            self.schemas[key] = self._rewritten(target, base)
        return {"$ref": f"#/components/schemas/{key}"}

    def _rewritten(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self._rewritten(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        rewritten = {key: self._rewritten(value, base) for key, value in node.items() if key not in _DROPPED}
        if "$ref" in node:
            rewritten.update(self._ref_to(*urldefrag(urljoin(base, node["$ref"]))))
        if "discriminator" in node:  # its property name is data; its mapping names schemas
            mapping = node["discriminator"].get("mapping", {})
            rewritten["discriminator"] = dict(node["discriminator"])
            if mapping:
                targets = {
                    value: self._ref_to(*urldefrag(urljoin(base, ref)))["$ref"] for value, ref in mapping.items()
                }
                rewritten["discriminator"]["mapping"] = targets
        return rewritten


def _key(uri: str, fragment: str) -> str:
    """`.../openai/components.json` + `/$defs/Model` → `openai.components.Model`. Component keys must match
    ^[a-zA-Z0-9.\\-_]+$, so the folder separator becomes a dot."""
    name = uri.removeprefix(SCHEMA_BASE_URI).removesuffix(".json").replace("/", ".")
    if not fragment:
        return name
    return name + "." + fragment.removeprefix("/$defs/").replace("/", ".").replace("$", "")
