"""The contract kit's generator: every value it draws is valid under the stock 2020-12 validator, for every derived
schema (references across files, recursion, unions) and for each keyword on its own."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockai.contract.generate import from_schema
from mockai.contract.registry import SCHEMA_BASE_URI, SchemaRegistry, default_registry

DERIVED = [name for name in default_registry().names() if name.startswith("openai/") and "components" not in name]
# A few examples per document: 100-odd documents, some of them (the Responses API) large.
FEW = settings(
    max_examples=max(3, settings().max_examples // 8), deadline=None, suppress_health_check=list(HealthCheck)
)


def _stock_validator(schema: dict[str, Any], registry: SchemaRegistry) -> Draft202012Validator:
    return Draft202012Validator(
        schema, registry=registry.referencing, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("name", DERIVED)
def test_every_value_drawn_from_a_derived_schema_is_valid(name: str) -> None:
    registry = default_registry()
    document = registry.document(name)
    validator = _stock_validator(document, registry)

    @FEW
    @given(from_schema(document, registry=registry, base=document["$id"]))
    def check(value: Any) -> None:
        assert [error.message[:200] for error in validator.iter_errors(value)] == []

    check()


TREE = {
    "$id": SCHEMA_BASE_URI + "test/tree.json",
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "pattern": "^[a-z]{1,4}$"},
        "children": {"type": "array", "items": {"$ref": "tree.json"}, "maxItems": 2},
    },
    "additionalProperties": False,
}


def _depth(tree: dict[str, Any]) -> int:
    return 1 + max((_depth(child) for child in tree.get("children", [])), default=0)


@given(st.data())
@settings(deadline=None)
def test_a_recursive_schema_recurses_and_stays_valid(data: st.DataObject) -> None:
    registry = SchemaRegistry({"test/tree": TREE})
    tree = data.draw(from_schema(TREE, registry=registry, base=TREE["$id"]))
    assert _stock_validator(TREE, registry).is_valid(tree)


def test_a_recursive_schema_reaches_more_than_one_level() -> None:
    registry = SchemaRegistry({"test/tree": TREE})
    strategy = from_schema(TREE, registry=registry, base=TREE["$id"])
    depths: set[int] = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(strategy)
    def collect(tree: dict[str, Any]) -> None:
        depths.add(_depth(tree))

    collect()
    assert max(depths) >= 3


KEYWORDS = {
    "exclusive bounds": {"type": "integer", "exclusiveMinimum": 1.5, "exclusiveMaximum": 4},
    "number bounds": {"type": "number", "minimum": -2, "maximum": 2, "exclusiveMinimum": -2},
    "anchored pattern": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
    "unanchored pattern": {"type": "string", "pattern": "ab+", "maxLength": 6},
    "formats": {"type": "array", "items": {"anyOf": [{"type": "string", "format": "date"},
                                                    {"type": "string", "format": "uuid"}]}},
    "overlapping oneOf": {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 10}]},
    "allOf merged": {"allOf": [{"type": "object", "properties": {"a": {"type": "integer", "minimum": 3}},
                                "required": ["a"]},
                               {"properties": {"a": {"maximum": 5}, "b": {"const": True}}, "required": ["b"]}]},
    "nullable enum": {"type": ["string", "null"], "enum": ["low", "high", None]},
    "unique items": {"type": "array", "items": {"enum": [1, 2, 3]}, "minItems": 2, "uniqueItems": True},
    "map": {"type": "object", "additionalProperties": {"type": "integer"}, "propertyNames": {"pattern": "^[0-9]+$"},
            "maxProperties": 3},
    "not": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "not": {"required": ["a", "b"]}},
    "untyped object keywords": {"properties": {"x": {"type": "boolean"}}, "required": ["x"]},
}  # fmt: skip


@pytest.mark.parametrize("schema", KEYWORDS.values(), ids=list(KEYWORDS))
def test_each_keyword_is_honoured(schema: dict[str, Any]) -> None:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    @settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(from_schema(schema))
    def check(value: Any) -> None:
        assert [error.message for error in validator.iter_errors(value)] == []

    check()


@given(from_schema({"type": "string", "pattern": "^[a-z]{1,5}$"}))
def test_an_anchored_pattern_is_matched_whole_with_no_trailing_newline(text: str) -> None:
    assert re.fullmatch("[a-z]{1,5}", text)
