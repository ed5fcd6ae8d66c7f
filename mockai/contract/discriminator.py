"""Unions that name their branch: OpenAPI's `discriminator` honoured by validation, for clear errors and for speed.

A chat message is one of six shapes told apart by `role`, a Responses input item one of thirty told apart by
`type`. Plain `oneOf` tries every branch and, when all fail, can only say that none matched. With the
discriminator, validation goes straight to the branch the value names: an unknown `role` is an `enum` error at
`role` listing the values the union accepts, a missing one is a missing parameter, and a bad field inside a known
branch is reported at that field. The verdict is exactly plain `oneOf`'s (or `anyOf`'s): the branches skipped are
those whose own `enum` or `const` refuses the value anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

Schema = Mapping[str, Any]
Lookup = Callable[[str], Schema]  # a `$ref` → the schema it names
_ANY = None  # a branch that does not constrain the discriminating property admits every value


@dataclass(frozen=True)
class Routes:
    """Which branches of one union may accept an object, by the value of its discriminating property."""

    known_values: tuple[Any, ...]  # every value some branch names, in the union's order
    by_value: Mapping[Any, tuple[int, ...]]
    unconstrained: tuple[int, ...]  # branches admitting any value
    when_absent: tuple[int, ...]  # branches that do not require the property

    def candidates(self, instance: Mapping[str, Any], name: str) -> tuple[int, ...]:
        if name not in instance:
            return self.when_absent
        try:
            return self.by_value.get(instance[name], self.unconstrained)
        except TypeError:  # an unhashable value (object, array) is none of the named values
            return self.unconstrained


def routes(branches: list[Any], name: str, lookup: Lookup) -> Routes:
    """The routes of a union whose branches are told apart by property `name`."""
    admitted = [_admits(branch, name, lookup, frozenset()) for branch in branches]
    known: list[Any] = []
    for values, _ in admitted:
        known.extend(value for value in values or () if value not in known)
    unconstrained = tuple(index for index, (values, _) in enumerate(admitted) if values is _ANY)
    by_value = {
        value: tuple(index for index, (values, _) in enumerate(admitted) if values is _ANY or value in values)
        for value in known
    }
    when_absent = tuple(index for index, (_, required) in enumerate(admitted) if not required)
    return Routes(tuple(known), by_value, unconstrained, when_absent)


def _admits(node: Any, name: str, lookup: Lookup, seen: frozenset[int]) -> tuple[tuple[Any, ...] | None, bool]:
    """(the values of property `name` that `node` admits, or _ANY; whether `node` requires the property)."""
    if not isinstance(node, Mapping) or id(node) in seen:
        return _ANY, False
    seen = seen | {id(node)}
    values: tuple[Any, ...] | None = _ANY
    required = name in node.get("required", ())
    if name in node.get("properties", {}):
        values = _constants(node["properties"][name], lookup, seen)
    parts = [lookup(node["$ref"])] if "$ref" in node else []
    for part in [*parts, *node.get("allOf", [])]:
        part_values, part_required = _admits(part, name, lookup, seen)
        values, required = _both(values, part_values), required or part_required
    for keyword in ("oneOf", "anyOf"):
        if keyword in node:
            options = [_admits(branch, name, lookup, seen) for branch in node[keyword]]
            values = _both(values, _either([option for option, _ in options]))
            required = required or all(option_required for _, option_required in options)
    return values, required


def _constants(node: Any, lookup: Lookup, seen: frozenset[int]) -> tuple[Any, ...] | None:
    """The values a property schema allows, when it lists them (`const`, `enum`, or unions of those)."""
    if not isinstance(node, Mapping) or id(node) in seen:
        return _ANY
    if "$ref" in node:
        return _constants(lookup(node["$ref"]), lookup, seen | {id(node)})
    if "const" in node:
        return (node["const"],)
    if "enum" in node:
        return tuple(node["enum"])
    if node.get("type") == "null":
        return (None,)  # `{"type": "item_reference"}` or null: the null branch names one value too
    for keyword in ("anyOf", "oneOf"):
        if keyword in node:
            return _either([_constants(branch, lookup, seen) for branch in node[keyword]])
    return _ANY


def _both(first: tuple[Any, ...] | None, second: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    if first is _ANY:
        return second
    return first if second is _ANY else tuple(value for value in first if value in second)


def _either(options: list[tuple[Any, ...] | None]) -> tuple[Any, ...] | None:
    if any(option is _ANY for option in options):
        return _ANY
    merged: list[Any] = []
    for option in options:
        merged.extend(value for value in option or () if value not in merged)
    return tuple(merged)


def discriminating_validator(lookup: Lookup) -> type[Draft202012Validator]:
    """A 2020-12 validator class whose `oneOf` and `anyOf` follow a sibling `discriminator` (see the module)."""
    cache: dict[int, tuple[Schema, Routes]] = {}

    def routes_of(schema: Schema, branches: list[Any], name: str) -> Routes:
        entry = cache.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = (schema, routes(branches, name, lookup))
            cache[id(schema)] = entry  # the schema is kept in the entry, so its id is never reused meanwhile
        return entry[1]

    def keyword(plain: Callable[..., Iterator[ValidationError]]) -> Callable[..., Iterator[ValidationError]]:
        def union(validator: Any, branches: list[Any], instance: Any, schema: Schema) -> Iterator[ValidationError]:
            discriminator = schema.get("discriminator")
            if discriminator is None or not isinstance(instance, dict):
                yield from plain(validator, branches, instance, schema)
                return
            name = discriminator["propertyName"]
            found = routes_of(schema, branches, name)
            chosen = found.candidates(instance, name)
            if not chosen:
                yield _refusal(found, instance, name)
            elif len(chosen) == 1:
                yield from validator.descend(instance, branches[chosen[0]], schema_path=chosen[0])
            else:
                yield from plain(validator, [branches[index] for index in chosen], instance, schema)

        return union

    plain_keywords = Draft202012Validator.VALIDATORS
    unions = {"oneOf": keyword(plain_keywords["oneOf"]), "anyOf": keyword(plain_keywords["anyOf"])}
    extended: type[Draft202012Validator] = validators.extend(Draft202012Validator, unions)  # type: ignore[no-untyped-call]
    return extended


def _refusal(found: Routes, instance: Mapping[str, Any], name: str) -> ValidationError:
    if name not in instance:
        return ValidationError(f"{name!r} is a required property", validator="required", validator_value=[name])
    value = instance[name]
    named = [known for known in found.known_values if known is not None]  # null means "left out", not a value
    return ValidationError(
        f"{value!r} is not one of {named!r}",
        validator="enum",
        validator_value=named,
        instance=value,
        path=[name],
    )
