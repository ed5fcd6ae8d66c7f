"""Integral floats in integer fields become ints after validation, so handlers never see `2.0` where they count.

JSON has one number type and JSON Schema 2020-12 counts `2.0` as an integer, so `"n": 2.0` validates (as it did on
the real API, whose validator spoke the same draft). Handlers then do `range(n)` and slice with it, which a float
breaks. This module learns once per schema where integers live (following `properties`, `items`, and every branch
of `anyOf`/`oneOf`/`allOf`/`if`) and rewrites only those places, so a float inside free-form JSON (a tool's own
schema, a rule's reply body) stays exactly what the client sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mockai.contract.registry import SchemaRegistry

__all__ = ["IntegerFields"]

_BRANCHES = ("anyOf", "oneOf", "allOf", "then", "else")


@dataclass
class _Plan:
    """Where integers sit below one place of a schema (only places that lead to an integer are kept)."""

    integer: bool = False
    properties: dict[str, _Plan] = field(default_factory=dict)
    additional: _Plan | None = None
    items: _Plan | None = None

    def empty(self) -> bool:
        return not (self.integer or self.properties or self.additional or self.items)


class IntegerFields:
    """Per-schema plans of the integer fields, built on first use.

    >>> from mockai.contract.registry import default_registry
    >>> fields = IntegerFields(default_registry())
    >>> fields.normalise("openai/createCompletion.request", {"model": "m", "n": 2.0, "temperature": 1.0})
    {'model': 'm', 'n': 2, 'temperature': 1.0}
    """

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self._plans: dict[str, _Plan | None] = {}
        self._lock = threading.Lock()

    def normalise(self, schema_name: str, body: Any) -> Any:
        """`body` (already valid against `schema_name`) with integral floats in integer places made ints."""
        plan = self._plan(schema_name)
        return body if plan is None else _apply(plan, body)

    def _plan(self, schema_name: str) -> _Plan | None:
        with self._lock:
            if schema_name not in self._plans:
                plan = _learn(self._registry.bundled(schema_name), depth=0)
                self._plans[schema_name] = None if plan.empty() else plan
            return self._plans[schema_name]


_MAX_SCHEMA_DEPTH = 64  # bundled schemas are finite; this only bounds a pathological one


def _learn(schema: Any, *, depth: int) -> _Plan:
    plan = _Plan()
    if not isinstance(schema, dict) or depth > _MAX_SCHEMA_DEPTH:
        return plan
    types = schema.get("type")
    declared = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    plan.integer = "integer" in declared and "number" not in declared
    for keyword in _BRANCHES:
        branches = schema.get(keyword)
        for branch in branches if isinstance(branches, list) else [branches] if branches is not None else []:
            _merge(plan, _learn(branch, depth=depth + 1))
    for name, child in (schema.get("properties") or {}).items():
        _merge_child(plan.properties, name, _learn(child, depth=depth + 1))
    for keyword, slot in (("additionalProperties", "additional"), ("items", "items")):
        child_plan = _learn(schema.get(keyword), depth=depth + 1)
        if not child_plan.empty():
            current = getattr(plan, slot)
            setattr(plan, slot, child_plan if current is None else _merge(current, child_plan))
    return plan


def _merge(into: _Plan, other: _Plan) -> _Plan:
    into.integer = into.integer or other.integer
    for name, child in other.properties.items():
        _merge_child(into.properties, name, child)
    for slot in ("additional", "items"):
        theirs = getattr(other, slot)
        if theirs is not None:
            mine = getattr(into, slot)
            setattr(into, slot, theirs if mine is None else _merge(mine, theirs))
    return into


def _merge_child(children: dict[str, _Plan], name: str, child: _Plan) -> None:
    if child.empty():
        return
    children[name] = _merge(children[name], child) if name in children else child


def _apply(plan: _Plan, value: Any) -> Any:
    if plan.integer and type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, dict) and (plan.properties or plan.additional is not None):
        for key, item in value.items():
            child = plan.properties.get(key, plan.additional)
            if child is not None:
                value[key] = _apply(child, item)
    elif isinstance(value, list) and plan.items is not None:
        value[:] = [_apply(plan.items, item) for item in value]
    return value
