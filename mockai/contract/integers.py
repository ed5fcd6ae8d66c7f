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
                document = self._registry.document(schema_name)
                plan = _Learner(self._registry).learn(document, document.get("$id", ""), depth=0)
                self._plans[schema_name] = None if plan.empty() else plan
            return self._plans[schema_name]


_MAX_SCHEMA_DEPTH = 64  # the derived schemas are finite graphs; this only bounds a pathological one


class _Learner:
    """Walks one schema, following `$ref` into the registry's documents. Each referenced schema is learned once:
    the derived components are shared by many operations and some are recursive (a reference reached again while
    its own plan is being learned contributes what is known so far, which ends the recursion)."""

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
        self._by_node: dict[int, _Plan] = {}

    def learn(self, schema: Any, base: str, *, depth: int) -> _Plan:
        plan = _Plan()
        if not isinstance(schema, dict) or depth > _MAX_SCHEMA_DEPTH:
            return plan
        types = schema.get("type")
        declared = [types] if isinstance(types, str) else types if isinstance(types, list) else []
        plan.integer = "integer" in declared and "number" not in declared
        reference = schema.get("$ref")
        if isinstance(reference, str):
            _merge(plan, self._referenced(reference, base, depth))
        for keyword in _BRANCHES:
            branches = schema.get(keyword)
            for branch in branches if isinstance(branches, list) else [branches] if branches is not None else []:
                _merge(plan, self.learn(branch, base, depth=depth + 1))
        properties = schema.get("properties")
        for name, child in properties.items() if isinstance(properties, dict) else ():
            _merge_child(plan.properties, name, self.learn(child, base, depth=depth + 1))
        for keyword, slot in (("additionalProperties", "additional"), ("items", "items")):
            child_plan = self.learn(schema.get(keyword), base, depth=depth + 1)
            if not child_plan.empty():
                current = getattr(plan, slot)
                setattr(plan, slot, child_plan if current is None else _merge(_copy(current), child_plan))
        return plan

    def _referenced(self, reference: str, base: str, depth: int) -> _Plan:
        try:
            target, target_base = self._registry.resolve(reference, base)
        except KeyError:
            return _Plan()  # validation has already refused a body whose schema names nothing
        known = self._by_node.get(id(target))
        if known is not None:
            return known
        plan = self._by_node[id(target)] = _Plan()  # in progress: a recursive reference sees it as it grows
        _merge(plan, self.learn(target, target_base, depth=depth + 1))
        return plan


def _copy(plan: _Plan) -> _Plan:
    """A plan that can be merged into without changing `plan`, which a referenced schema's plan shares."""
    return _Plan(plan.integer, dict(plan.properties), plan.additional, plan.items)


def _merge(into: _Plan, other: _Plan) -> _Plan:
    into.integer = into.integer or other.integer
    for name, child in other.properties.items():
        _merge_child(into.properties, name, child)
    for slot in ("additional", "items"):
        theirs = getattr(other, slot)
        if theirs is not None and theirs is not getattr(into, slot):
            mine = getattr(into, slot)
            setattr(into, slot, theirs if mine is None else _merge(_copy(mine), theirs))
    return into


def _merge_child(children: dict[str, _Plan], name: str, child: _Plan) -> None:
    if child.empty() or children.get(name) is child:
        return
    children[name] = _merge(_copy(children[name]), child) if name in children else child


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
