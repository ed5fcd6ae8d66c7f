"""Hypothesis strategies from JSON Schema 2020-12: the contract kit's own generator, following `$ref`s across files.

It covers what the derived schemas use: `type` (one or several), `enum`, `const`, object `properties` / `required` /
`additionalProperties`, array `items` and sizes, string sizes, `pattern` (via `st.from_regex`) and common formats,
numeric bounds, `anyOf`, `oneOf` (an example valid under exactly one branch), `allOf` (merged), and `$ref`, local
or into another file. Each referenced schema becomes one strategy, built once and shared by every place that refers
to it; a schema that reaches itself again (a compound filter holding filters) becomes a deferred strategy, so it
recurses as hypothesis draws, and a branch that can never end is simply never chosen. Every example validates
against the schema it came from (tests/contract/test_generate.py checks this with the stock 2020-12 validator).
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from mockai.contract.registry import SCHEMA_BASE_URI, SchemaRegistry, default_registry

Schema = Mapping[str, Any]
Strategy = st.SearchStrategy[Any]

_TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
# Formats the validator's format checker verifies get values of that format; others are plain text.
_FORMATS: dict[str, Strategy] = {
    "date-time": st.datetimes(timezones=st.just(datetime.UTC)).map(lambda moment: moment.isoformat()),
    "date": st.dates().map(lambda day: day.isoformat()),
    "uuid": st.uuids().map(str),
    "ipv4": st.ip_addresses(v=4).map(str),
    "ipv6": st.ip_addresses(v=6).map(str),
    "uri": st.from_regex(r"\Ahttps://example\.com/[a-z0-9]{1,12}\Z"),
    "email": st.from_regex(r"\A[a-z]{1,8}@example\.com\Z"),
}
_MAX_REFERENCES = 24  # the longest chain of bare references allOf follows to merge its parts
_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
# Keywords the generator does not build values for: a value drawn without them is checked against the schema.
_CHECKED_AFTER = frozenset({"not", "contains", "patternProperties", "if", "dependentRequired", "dependentSchemas"})
#: How much longer than its minimum an unbounded string or array grows: enough to vary, small enough to send.
_SPREAD = 3
# How two parts of an allOf combine a bound: the tighter one holds.
_BOUNDS: dict[str, Callable[[Any, Any], Any]] = {
    **dict.fromkeys(("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"), max),
    **dict.fromkeys(("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"), min),
}


def from_schema(
    schema: Schema,
    *,
    registry: SchemaRegistry | None = None,
    base: str = SCHEMA_BASE_URI + "openai/",
) -> Strategy:
    """Values valid under `schema`, whose `$ref`s resolve against `base` in `registry`.

    >>> from hypothesis import find
    >>> find(from_schema({"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 2}), lambda drawn: True)
    ['a', 'a']
    """
    return _generator(registry or default_registry()).strategy(schema, base)


@functools.lru_cache(maxsize=4)
def _generator(registry: SchemaRegistry) -> _Generator:
    """One generator per registry: the strategies of shared components are built once for every schema."""
    return _Generator(registry)


class _Generator:
    def __init__(self, registry: SchemaRegistry) -> None:
        self.registry = registry
        self._by_reference: dict[str, Strategy] = {}
        self._recursive: dict[str, bool] = {}

    def _referenced(self, reference: str, base: str) -> Strategy:
        """One strategy per referenced schema, shared: repetition costs nothing, recursion is drawn lazily."""
        key, target, target_base = self._resolve(reference, base)
        if key not in self._by_reference:
            if key not in self._recursive:
                self._classify(key, target, target_base)
            if self._recursive[key]:
                self._by_reference[key] = st.deferred(lambda: self.strategy(target, target_base))
            else:
                self._by_reference[key] = self.strategy(target, target_base)
        return self._by_reference[key]

    def _resolve(self, reference: str, base: str) -> tuple[str, Any, str]:
        target, target_base = self.registry.resolve(reference, base)
        return target_base + "#" + reference.partition("#")[2], target, target_base

    def _classify(self, root: str, target: Any, target_base: str) -> None:
        """Mark every schema reachable from `root` as recursive (on a cycle of references) or not: Tarjan's
        strongly connected components over the reference graph."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        nodes = {root: (target, target_base)}

        def visit(key: str) -> None:
            index[key] = low[key] = len(index)
            stack.append(key)
            node, node_base = nodes[key]
            edges = [self._resolve(reference, node_base) for reference in _references(node)]
            for edge, edge_target, edge_base in edges:
                nodes.setdefault(edge, (edge_target, edge_base))
                if edge not in index and edge not in self._recursive:
                    visit(edge)
                    low[key] = min(low[key], low[edge])
                elif edge in stack:
                    low[key] = min(low[key], index[edge])
            if low[key] == index[key]:
                component: list[str] = []
                while not component or component[-1] != key:
                    component.append(stack.pop())
                looped = len(component) > 1 or key in {edge for edge, _, _ in edges}
                self._recursive.update(dict.fromkeys(component, looped))

        visit(root)

    def strategy(self, schema: Any, base: str) -> Strategy:
        if schema is True or schema == {}:
            return _any_json()
        if schema is False:
            return st.nothing()
        checked = _CHECKED_AFTER.intersection(schema)
        if checked:
            unchecked = {key: value for key, value in schema.items() if key not in checked}
            return self.strategy(unchecked, base).filter(self.registry.validator_for(schema, base).is_valid)
        if "$ref" in schema:
            return self._reference(schema, base)
        if "allOf" in schema:
            return self._all_of(schema, base)
        if "oneOf" in schema or "anyOf" in schema:
            return self._union(schema, base)
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        kinds = schema.get("type", _implied_types(schema))
        options = [self._typed(kind, schema, base) for kind in ([kinds] if isinstance(kinds, str) else kinds)]
        return _either(options)

    def _reference(self, schema: Schema, base: str) -> Strategy:
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        if not rest:
            return self._referenced(schema["$ref"], base)
        target, target_base = self.registry.resolve(schema["$ref"], base)
        return self._all_of({"allOf": [target, rest]}, base, bases=[target_base, base])

    def _all_of(self, schema: Schema, base: str, bases: list[str] | None = None) -> Strategy:
        rest = {key: value for key, value in schema.items() if key != "allOf"}
        parts = [*schema["allOf"], *([rest] if rest else [])]
        resolved: list[Any] = []
        for part, part_base in zip(parts, bases or [base] * len(parts), strict=False):
            for _ in range(_MAX_REFERENCES):  # a chain of bare references, followed to the schema it ends at
                if not (isinstance(part, Mapping) and set(part) == {"$ref"}):
                    break
                part, part_base = self.registry.resolve(part["$ref"], part_base)
            resolved.append(part)
        merged, exact = _merge(resolved)
        drawn = self.strategy(merged, base)
        if exact:
            return drawn
        # The parts could not be merged into one schema (two unions, say): draw from the merge, keep what all accept.
        validator = self.registry.validator_for({"allOf": parts}, base)
        return drawn.filter(validator.is_valid)

    def _union(self, schema: Schema, base: str) -> Strategy:
        keyword = "oneOf" if "oneOf" in schema else "anyOf"
        rest = {key: value for key, value in schema.items() if key not in (keyword, "discriminator")}
        branches = [dict(rest, allOf=[branch]) if rest else branch for branch in schema[keyword]]
        drawn = _either([self.strategy(branch, base) for branch in branches])
        if keyword == "anyOf" or len(branches) == 1:
            return drawn
        validator = self.registry.validator_for({"oneOf": schema[keyword]}, base)  # exactly one branch must hold
        return drawn.filter(validator.is_valid)

    def _typed(self, kind: str, schema: Schema, base: str) -> Strategy:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind in ("integer", "number"):
            return _number(kind, schema)
        if kind == "string":
            return _string(schema)
        if kind == "array":
            return self._array(schema, base)
        if kind == "object":
            return self._object(schema, base)
        raise ValueError(f"unknown JSON type {kind!r} in schema")

    def _array(self, schema: Schema, base: str) -> Strategy:
        items = self.strategy(schema.get("items", {}), base)
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + _SPREAD), low + _SPREAD)
        unique = _canonical if schema.get("uniqueItems") else None
        return st.lists(items, min_size=low, max_size=high, unique_by=unique)

    def _object(self, schema: Schema, base: str) -> Strategy:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required: list[str] = schema.get("required", [])
        fixed: dict[str, Strategy] = {}
        optional: dict[str, Strategy] = {}
        for name in required:
            fixed[name] = self.strategy(properties.get(name, True), base)
        for name, child in properties.items():
            if name not in fixed:
                optional[name] = self.strategy(child, base)
        known = st.fixed_dictionaries(fixed, optional=optional)
        extra = schema.get("additionalProperties")
        if properties or not isinstance(extra, Mapping):
            return known  # only documented keys: valid whether or not others are allowed
        return self._map(schema, extra, base)

    def _map(self, schema: Schema, values: Schema, base: str) -> Strategy:
        names = schema.get("propertyNames", {})
        keys = _string({"minLength": 1, **names}) if isinstance(names, Mapping) else _string({"minLength": 1})
        low = schema.get("minProperties", 0)
        high = min(schema.get("maxProperties", low + _SPREAD), low + _SPREAD)
        return st.dictionaries(keys, self.strategy(values, base), min_size=low, max_size=high)


def _number(kind: str, schema: Schema) -> Strategy:
    low, high = schema.get("minimum"), schema.get("maximum")
    above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if kind == "integer":
        low = _tighter(low, None if above is None else math.floor(above) + 1, max)
        high = _tighter(high, None if below is None else math.ceil(below) - 1, min)
        drawn: Strategy = st.integers(
            min_value=None if low is None else math.ceil(low), max_value=None if high is None else math.floor(high)
        )
    else:
        low, high = _tighter(low, above, max), _tighter(high, below, min)
        drawn = st.floats(
            min_value=low,
            max_value=high,
            exclude_min=above is not None and low == above,
            exclude_max=below is not None and high == below,
            allow_nan=False,
            allow_infinity=False,
        )
    step = schema.get("multipleOf")
    return drawn if step is None else drawn.filter(lambda value: (value / step) == int(value / step))


def _string(schema: Schema) -> Strategy:
    low = schema.get("minLength", 0)
    high = schema.get("maxLength", low + 12)
    fits: Callable[[str], bool] = lambda text: low <= len(text) <= high  # noqa: E731
    if "pattern" in schema:
        pattern: str = schema["pattern"]
        # An anchored pattern is drawn as a full match: Python's `$` would also let a trailing newline through.
        anchored = pattern.startswith("^") and pattern.endswith("$")
        return st.from_regex(pattern, fullmatch=anchored, alphabet=_TEXT).filter(fits)
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]].filter(fits)
    return st.text(_TEXT, min_size=low, max_size=min(high, low + 12))


def _merge(parts: list[Any]) -> tuple[dict[str, Any], bool]:
    """One schema meaning all of `parts` where their keywords combine exactly; False when a filter must finish."""
    merged: dict[str, Any] = {}
    exact = True
    for part in parts:
        if not isinstance(part, Mapping):
            exact = exact and part is True
            continue
        for key, value in part.items():
            if key not in merged:
                merged[key] = value
            elif key in _BOUNDS:
                merged[key] = _BOUNDS[key](merged[key], value)
            elif key == "required":
                merged[key] = [*merged[key], *(name for name in value if name not in merged[key])]
            elif key == "properties":
                merged[key] = _merged_properties(merged[key], value)
            elif key == "type":
                merged[key] = _common_types(merged[key], value)
            elif key == "enum":
                merged[key] = [choice for choice in merged[key] if choice in value]
            elif merged[key] != value:
                exact = False  # two unions, two patterns, ...: the first one is drawn from, the filter does the rest
    return merged, exact


def _merged_properties(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    both = dict(first)
    for name, schema in second.items():
        both[name] = schema if name not in both or both[name] == schema else {"allOf": [both[name], schema]}
    return both


def _common_types(first: Any, second: Any) -> list[str]:
    wanted = {second} if isinstance(second, str) else set(second)
    have = [first] if isinstance(first, str) else list(first)
    common = [kind for kind in have if kind in wanted or (kind == "number" and "integer" in wanted)]
    return ["integer" if kind == "number" and "integer" in wanted else kind for kind in common]


def _either(options: list[Strategy]) -> Strategy:
    # No pruning of impossible options here: asking whether a deferred strategy is empty while it is being defined
    # would re-enter its definition. `one_of` leaves empty options out when it draws.
    return st.one_of(options) if options else st.nothing()


def _tighter(first: Any, second: Any, pick: Callable[[Any, Any], Any]) -> Any:
    return second if first is None else first if second is None else pick(first, second)


def _references(node: Any) -> list[str]:
    """Every `$ref` inside a schema (not inside its data: enum, const, default)."""
    found: list[str] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            elif key in ("properties", "patternProperties", "$defs") and isinstance(value, Mapping):
                found.extend(reference for child in value.values() for reference in _references(child))
            elif key not in ("enum", "const", "default", "examples"):
                found.extend(_references(value))
    elif isinstance(node, list):
        found.extend(reference for item in node for reference in _references(item))
    return found


def _implied_types(schema: Schema) -> tuple[str, ...]:
    """The types a schema without `type` is about: an object schema's keywords mean an object, and so on."""
    if {"properties", "required", "additionalProperties", "propertyNames"}.intersection(schema):
        return ("object",)
    if {"items", "prefixItems", "minItems", "maxItems"}.intersection(schema):
        return ("array",)
    if {"pattern", "minLength", "maxLength", "format"}.intersection(schema):
        return ("string",)
    if {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}.intersection(schema):
        return ("number",)
    return _TYPES


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _any_json() -> Strategy:
    scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(_TEXT, max_size=12)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(_TEXT, min_size=1, max_size=8), inner, max_size=3), max_leaves=6)  # fmt: skip
