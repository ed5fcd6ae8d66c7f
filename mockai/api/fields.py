"""Give form fields and query parameters the JSON shape their schema declares, so they validate like JSON bodies.

Both arrive as flat (name, text) pairs: `n=2`, `timestamp_granularities[]=word`, `expires_after[seconds]=3600`,
`metadata[team]=ml`. A name ending in `[]`, or repeated for an array-typed field, collects a list; `name[key]` builds
an object (OpenAPI's deepObject style, which the SDKs use for nested form fields and query objects). Each text
becomes the integer, number or boolean its schema asks for, and stays text when it does not parse, so validation
reports the wrong type under the field's name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from starlette.datastructures import UploadFile

Schema = Mapping[str, Any]
Lookup = Callable[[str], Schema]  # a `$ref` → the schema it names

_NAME = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_fields(pairs: Iterable[tuple[str, Any]], schema: Schema, lookup: Lookup) -> dict[str, Any]:
    """The fields as a JSON object shaped by `schema` (an object schema whose `$ref`s `lookup` resolves).

    >>> schema = {"properties": {"n": {"type": "integer"}, "expires_after": {"type": "object", "properties": {
    ...     "anchor": {"type": "string"}, "seconds": {"type": "integer"}}}}}
    >>> decode_fields([("n", "2"), ("expires_after[seconds]", "3600")], schema, lambda ref: {})
    {'n': 2, 'expires_after': {'seconds': 3600}}
    """
    fields: dict[str, Any] = {}
    properties: Mapping[str, Any] = schema.get("properties", {})
    for key, value in pairs:
        matched = _NAME.match(key)
        name, path = (matched.group(1), re.findall(r"\[([^\[\]]*)\]", matched.group(2))) if matched else (key, [])
        spec = _concrete(properties.get(name, {}), lookup)
        if not path and spec.get("type") == "array":
            path = [""]  # a repeated name (`include=a&include=b`) is a list too
        _place(fields, name, path, value, spec, lookup)
    return fields


def _place(holder: dict[str, Any], name: str, path: list[str], value: Any, spec: Schema, lookup: Lookup) -> None:
    if not path:
        holder[name] = coerce(value, spec)
    elif path[0] == "":
        items = holder.get(name)
        if not isinstance(items, list):
            items = holder[name] = []
        items.append(coerce(value, _concrete(spec.get("items", {}), lookup)))
    else:
        inner = holder.get(name)
        if not isinstance(inner, dict):
            inner = holder[name] = {}
        child = _concrete(spec.get("properties", {}).get(path[0], spec.get("additionalProperties", {})), lookup)
        _place(inner, path[0], path[1:], value, child, lookup)


def coerce(value: Any, spec: Schema) -> Any:
    """A field's text as the JSON type its schema declares (uploads stay files)."""
    if isinstance(value, UploadFile) or not isinstance(value, str):
        return value
    wanted = spec.get("type")
    if isinstance(wanted, list):  # nullable fields declare ["integer", "null"]; a text field is never null
        wanted = next((kind for kind in wanted if kind != "null"), None)
    try:
        if wanted == "integer":
            return int(value)
        if wanted == "number":
            return float(value)
    except ValueError:
        return value  # left as text, the schema reports the wrong type with the field's name
    if wanted == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _concrete(spec: Any, lookup: Lookup, depth: int = 0) -> Schema:
    """The schema a field's text is read by: through `$ref`s, and the first non-null branch of a union."""
    if not isinstance(spec, Mapping) or depth > 8:
        return {}
    if "$ref" in spec:
        return _concrete(lookup(spec["$ref"]), lookup, depth + 1)
    for keyword in ("anyOf", "oneOf"):
        for branch in spec.get(keyword, []):
            found = _concrete(branch, lookup, depth + 1)
            if found.get("type") not in (None, "null"):
                return found
    return spec
