"""Derive mockai's JSON Schemas from one OpenAPI spec: structure only, in plain JSON Schema 2020-12.

For each kept operation it writes the parts a server and a client generator need (request body, query parameters,
response, stream payload) as small documents whose `$ref`s point into one components document per spec, which
holds every component schema those parts reach. Prose (descriptions, titles, examples, `x-` extensions) is dropped;
OpenAPI 3.0 spellings are translated (`nullable`, boolean `exclusiveMinimum`, 2019-09's `$recursiveRef`).

Every `$ref` names its file (`components.json#/$defs/Model`), even inside the components document itself, so a
reference reads the same wherever it appears and resolves against the folder with no context.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mockai.contract.overlay import KeptOperation

Schema = dict[str, Any]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Keywords copied as they are (their values are data, not schemas).
_VALUE_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "format", "pattern", "default", "multipleOf",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required",
        "contentMediaType", "contentEncoding",
    }
)  # fmt: skip
_SCHEMA_MAP_KEYWORDS = frozenset({"properties", "patternProperties"})
_SCHEMA_KEYWORDS = frozenset({"items", "additionalProperties", "propertyNames", "not", "contains"})
_SCHEMA_LIST_KEYWORDS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_COMPONENT_PREFIX = "#/components/schemas/"


def derive_spec(
    spec: Mapping[str, Any],
    kept: list[KeptOperation],
    components_file: str,
    *,
    close_requests: bool,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Schema]:
    """The documents derived from `spec`, by file name (before they get their `$id`): `<operation>.<part>.json` for
    each part of each kept operation, `<name>.json` for each of `documents` (one component each, such as
    `{"error": "ErrorResponse"}`), and `components_file` holding every component schema those reach."""
    translator = _Translator(spec, components_file)
    index = _operation_index(spec)
    derived: dict[str, Schema] = {}
    for name, component in (documents or {}).items():
        derived[f"{name}.json"] = translator.schema({"$ref": _COMPONENT_PREFIX + component})
    for operation in kept:
        if operation.spec_id not in index:
            raise ValueError(f"{operation.spec_id}: no such operationId in the spec any more")
        path_item, method = index[operation.spec_id]
        parts = _operation_parts(translator, operation, path_item, method, close_requests=close_requests)
        derived.update((f"{operation.name}.{part}.json", schema) for part, schema in parts.items())
    derived[components_file] = translator.components(list(derived.values()))
    return derived


def _operation_index(spec: Mapping[str, Any]) -> dict[str, tuple[Mapping[str, Any], str]]:
    """operationId → (path item, method). Paths with a query string (`/responses?beta=true`) are duplicates."""
    found: dict[str, tuple[Mapping[str, Any], str]] = {}
    for path, item in spec["paths"].items():
        if "?" in path:
            continue
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (item, method)
    return found


def _operation_parts(
    translator: _Translator, kept: KeptOperation, path_item: Mapping[str, Any], method: str, *, close_requests: bool
) -> dict[str, Schema]:
    operation = path_item[method]
    parts: dict[str, Schema] = {}
    body = _request_body_schema(operation)
    if body is not None:
        parts["request"] = translator.object_schema(body, closed=close_requests)
    query = _query_schema(translator, [*path_item.get("parameters", []), *operation.get("parameters", [])])
    if query is not None:
        parts["query"] = query
    content = _success_content(operation)
    if "application/json" in content:
        parts["response"] = translator.schema(content["application/json"]["schema"])
    stream = content.get("text/event-stream", {}).get("schema")
    if kept.stream_schema is not None:
        stream = {"$ref": _COMPONENT_PREFIX + kept.stream_schema}
    if stream is not None:
        parts[kept.stream_as] = translator.schema(stream)
    return parts


def _request_body_schema(operation: Mapping[str, Any]) -> Any:
    # Uploads are multipart in every SDK; createImageEdit's JSON variant (image URLs) is not what they send.
    content = operation.get("requestBody", {}).get("content", {})
    for media_type in ("multipart/form-data", "application/json"):
        if media_type in content:
            return content[media_type]["schema"]
    return None


def _success_content(operation: Mapping[str, Any]) -> Mapping[str, Any]:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            content: Mapping[str, Any] = response.get("content", {})
            return content
    return {}


def _query_schema(translator: _Translator, parameters: list[Mapping[str, Any]]) -> Schema | None:
    properties: Schema = {}
    required: list[str] = []
    for parameter in (translator.parameter(raw) for raw in parameters):
        if parameter.get("in") != "query":
            continue
        properties[parameter["name"]] = translator.schema(parameter.get("schema", {}))
        if parameter.get("required"):
            required.append(parameter["name"])
    if not properties:
        return None
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


class _Translator:
    """Translates spec schemas to 2020-12 and remembers which components the results reach."""

    def __init__(self, spec: Mapping[str, Any], components_file: str) -> None:
        self._spec = spec
        self._file = components_file
        self._translated: dict[str, Schema] = {}

    def ref(self, name: str) -> str:
        return f"{self._file}#/$defs/{name}"

    def component(self, name: str) -> Schema:
        if name not in self._translated:
            try:
                raw = self._spec["components"]["schemas"][name]
            except KeyError:
                raise ValueError(f"the spec has no component schema {name!r}") from None
            self._translated[name] = self.schema(raw, anchor=name)
        return self._translated[name]

    def parameter(self, raw: Mapping[str, Any]) -> Mapping[str, Any]:
        reference = raw.get("$ref")
        if reference is None:
            return raw
        prefix = "#/components/parameters/"
        if not reference.startswith(prefix):
            raise ValueError(f"unsupported parameter reference {reference!r}")
        found: Mapping[str, Any] = self._spec["components"]["parameters"][reference[len(prefix) :]]
        return found

    def schema(self, node: Any, anchor: str | None = None) -> Any:
        """One schema, structure only, in 2020-12 words. `anchor` is the component a `$recursiveRef` means."""
        if not isinstance(node, dict):
            return node  # true / false schemas
        out: Schema = {}
        for key, value in node.items():
            if key == "$ref":
                out["$ref"] = self._reference(value)
            elif key == "$recursiveRef" and anchor is not None:
                out["$ref"] = self.ref(anchor)  # 2019-09's recursion to the enclosing component
            elif key in _SCHEMA_MAP_KEYWORDS:
                out[key] = {name: self.schema(child, anchor) for name, child in value.items()}
            elif key in _SCHEMA_KEYWORDS:
                out[key] = self.schema(value, anchor)
            elif key in _SCHEMA_LIST_KEYWORDS:
                out[key] = [self.schema(child, anchor) for child in value]
            elif key == "discriminator":
                out[key] = self._discriminator(value)
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                continue  # OpenAPI 3.0's boolean form, translated below
            elif key in _VALUE_KEYWORDS:
                out[key] = value
        _translate_exclusive_bounds(node, out)
        return _with_null(out) if node.get("nullable") is True else out

    def _reference(self, reference: str) -> str:
        if not reference.startswith(_COMPONENT_PREFIX):
            raise ValueError(f"unsupported schema reference {reference!r}")
        name = reference[len(_COMPONENT_PREFIX) :]
        self.component(name)  # translate now, so a dangling reference fails here
        return self.ref(name)

    def _discriminator(self, value: Mapping[str, Any]) -> Schema:
        kept: Schema = {"propertyName": value["propertyName"]}
        if "mapping" in value:
            kept["mapping"] = {key: self._reference(target) for key, target in value["mapping"].items()}
        return kept

    def object_schema(self, node: Any, *, closed: bool) -> Schema:
        """A request body as one flat object: `$ref`s and `allOf`s at the top merged, so its parameters are listed
        in one `properties` (what validation, form decoding and `additionalProperties: false` need)."""
        merged = _merge_objects(list(self._object_parts(self.schema(node))))
        if closed:
            merged["additionalProperties"] = False
        return merged

    def _object_parts(self, node: Schema) -> Iterator[Schema]:
        rest = {key: value for key, value in node.items() if key not in ("$ref", "allOf")}
        if "$ref" in node:
            yield from self._object_parts(self.component(node["$ref"].rsplit("/", 1)[-1]))
        for branch in node.get("allOf", []):
            yield from self._object_parts(branch)
        if rest:
            yield rest

    def components(self, documents: list[Schema]) -> Schema:
        """The components document: every component schema the documents reach, and nothing else."""
        reached: set[str] = set()
        pending = [name for document in documents for name in self._names_in(document)]
        while pending:
            name = pending.pop()
            if name not in reached:
                reached.add(name)
                pending.extend(self._names_in(self.component(name)))
        return {"$defs": {name: self.component(name) for name in sorted(reached)}}

    def _names_in(self, node: Any) -> Iterator[str]:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for target in node.get("discriminator", {}).get("mapping", {}).values():
            yield target.rsplit("/", 1)[-1]
        for child in subschemas(node):
            yield from self._names_in(child)


def subschemas(node: Schema) -> Iterator[Any]:
    """The schemas directly inside `node` (under properties, items, anyOf, ...), never its data (enum, default)."""
    for key in _SCHEMA_MAP_KEYWORDS:
        yield from node.get(key, {}).values()
    for key in _SCHEMA_KEYWORDS:
        if key in node:
            yield node[key]
    for key in _SCHEMA_LIST_KEYWORDS:
        yield from node.get(key, [])


def _translate_exclusive_bounds(node: Mapping[str, Any], out: Schema) -> None:
    """OpenAPI 3.0's `exclusiveMinimum: true` beside `minimum: m` is 2020-12's `exclusiveMinimum: m`."""
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(exclusive) is True and inclusive in out:
            out[exclusive] = out.pop(inclusive)


def _with_null(out: Schema) -> Schema:
    """OpenAPI 3.0's `nullable: true`: the value may also be null (enums gain null as a member)."""
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if "type" in out or not set(out) - {"default"}:
        return out  # typed (null added above) or unconstrained (null already allowed)
    default = {"default": out.pop("default")} if "default" in out else {}
    return {"anyOf": [out, {"type": "null"}], **default}


def _merge_objects(parts: list[Schema]) -> Schema:
    """allOf of object schemas as one object: properties united (a name declared twice must satisfy both),
    required united, anything else kept in an `allOf` beside them, so the meaning is unchanged."""
    merged: Schema = {"type": "object", "properties": {}}
    required: list[str] = []
    residue: list[Schema] = []
    for part in parts:
        if part.get("type", "object") != "object":
            raise ValueError(f"a request body part is not an object: {part.get('type')!r}")
        for name, schema in part.get("properties", {}).items():
            known = merged["properties"].get(name)
            merged["properties"][name] = schema if known is None or known == schema else _both(known, schema)
        required.extend(name for name in part.get("required", []) if name not in required)
        extra = {key: value for key, value in part.items() if key not in ("type", "properties", "required")}
        if extra and len(parts) > 1 and ("additionalProperties" in extra or "patternProperties" in extra):
            # Inside an allOf, a part's additionalProperties sees only its own properties: keep their names.
            extra["properties"] = {name: True for name in part.get("properties", {})}
        if extra and len(parts) == 1:
            merged.update(extra)
        elif extra:
            residue.append(extra)
    if required:
        merged["required"] = required
    if residue:
        merged["allOf"] = residue
    return merged


def _both(first: Schema, second: Schema) -> Schema:
    branches = first["allOf"] if set(first) == {"allOf"} else [first]
    return {"allOf": [*branches, second]}
