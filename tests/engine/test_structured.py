"""Tests for the JSON Schema instance builder: total (a refusal or a valid value), bounded, and filled sensibly."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockai.engine import structured
from mockai.engine.structured import BUDGET, Material, SchemaError, check_schema, instance_for_schema

ITERABLE_USER = {  # instructor's create_iterable tool: an optional array of $ref items
    "$defs": {
        "User": {
            "properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}},
            "required": ["name", "age"],
            "title": "User",
            "type": "object",
        }
    },
    "properties": {"tasks": {"items": {"$ref": "#/$defs/User"}, "title": "Tasks", "type": "array"}},
    "title": "IterableUser",
    "type": "object",
}
JASON = Material.from_texts("Extract Jason is 25 years old.")


def build(schema: Any, seed: int = 0, material: Material = JASON) -> Any:
    return instance_for_schema(schema, random.Random(seed), material)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"anyOf": [{"$ref": "#"}]}, "a '$ref' cycle"),
        ({"$ref": "#/$defs/nothing"}, "could not resolve reference '#/$defs/nothing'"),
        ({"$ref": "https://example.com/schema.json"}, "is not a local JSON pointer"),
        ({"type": "integer", "minimum": "x"}, "'x' is not of type 'number'"),
        ({"type": "object", "properties": ["a"]}, "['a'] is not of type 'object'"),
        ({"type": "object", "required": 3}, "3 is not of type 'array'"),
        ({"type": "array", "minItems": 1000000}, "too large to build"),
        ({"type": "string", "minLength": 10**9}, "too large to build"),
        ({"type": "string", "minLength": 5, "maxLength": 2}, "no value satisfies this schema"),
        ({"type": "integer", "minimum": 1.5, "maximum": 1.7}, "no value satisfies this schema"),
        ({"not": {}}, "no value satisfies this schema"),
        ([], "[] is not of type 'object', 'boolean'"),
        (False, "admits no value"),
    ],
    ids=["ref-cycle", "ref-to-nothing", "remote-ref", "minimum-not-a-number", "properties-as-list",
         "required-as-int", "a-million-items", "a-billion-characters", "unsatisfiable-length",
         "no-integer-between", "not-anything", "not-a-schema", "false"],
)  # fmt: skip
def test_schemas_no_value_can_be_built_for_are_refused_with_the_reason(schema: Any, message: str) -> None:
    with pytest.raises(SchemaError) as refused:
        check_schema(schema)
    assert message in refused.value.message


def test_a_self_referencing_array_gets_a_finite_valid_value() -> None:
    schema = {"type": "array", "items": {"$ref": "#"}}
    Draft202012Validator(schema).validate(build(schema))


def test_an_optional_array_of_ref_items_gets_one_to_three_items() -> None:
    for seed in range(8):
        value = build(ITERABLE_USER, seed)
        Draft202012Validator(ITERABLE_USER).validate(value)
        assert 1 <= len(value["tasks"]) <= 3
    assert build(ITERABLE_USER)["tasks"][0] == {"name": "Jason", "age": 25}


def test_values_come_from_the_conversation() -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "city": {"type": "string"}, "age": {"type": "integer"}},
    }
    material = Material.from_texts("Anna is 31 and lives in Berlin. Return JSON with name, city and age.")
    assert build(schema, material=material) == {"name": "Anna", "city": "Berlin", "age": 31}


def test_prose_fields_get_a_sentence_of_the_answer() -> None:
    schema = {"type": "object", "properties": {"setup": {"type": "string"}, "punchline": {"type": "string"}}}
    material = Material.from_texts("Tell me a joke.", "Why did the cat sit on the computer? To watch the mouse.")
    assert build(schema, material=material) == {
        "setup": "Why did the cat sit on the computer?",
        "punchline": "To watch the mouse.",
    }


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "pattern": "^[A-Z]{2}$"},
        {"type": "string", "pattern": r"^\d{5}$"},
        {"type": "string", "format": "date-time"},
        {"type": "number", "multipleOf": 0.1, "minimum": 0.3},
        {"type": "integer", "exclusiveMinimum": 3, "exclusiveMaximum": 5},
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True, "minItems": 3},
        {"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "items": False},
        {"type": "object", "properties": {"a": {"type": ["string", "null"]}}, "required": ["a"]},
        {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/n"}], "$defs": {"n": {"type": "number"}}},
        {"allOf": [{"properties": {"a": {"type": "integer"}}}, {"required": ["a"]}], "type": "object"},
        {"type": "object", "minProperties": 2, "additionalProperties": {"type": "boolean"}},
        {"enum": ["celsius", "fahrenheit"]},
        {"const": {"fixed": [1, 2]}},
    ],
    ids=["pattern-code", "pattern-digits", "format", "multiple-of", "exclusive-bounds", "unique-items",
         "prefix-items", "nullable", "optional-ref", "all-of", "min-properties", "enum", "const"],
)  # fmt: skip
def test_common_keywords_get_valid_values(schema: dict[str, Any]) -> None:
    for seed in range(3):
        Draft202012Validator(schema).validate(build(schema, seed))


_KEYWORDS = st.sampled_from(
    ["type", "properties", "required", "items", "prefixItems", "anyOf", "oneOf", "allOf", "not", "$ref", "enum",
     "const", "minimum", "maximum", "exclusiveMinimum", "multipleOf", "minItems", "maxItems", "minLength",
     "maxLength", "pattern", "format", "additionalProperties", "uniqueItems", "$defs", "minProperties"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**7), 10**7),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null", "#", "#/$defs/a", "^a+$"]),
    st.text(max_size=8),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_KEYWORDS, st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=25,
)


_NUMBERS = st.one_of(st.integers(-20, 20), st.sampled_from([0.5, 1.5, -2.25]))
_SCHEMAS = st.recursive(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(
                st.sampled_from(["string", "integer", "number", "object", "array", "boolean", "null"]),
                st.lists(st.sampled_from(["string", "integer", "null", "array"]), min_size=1, max_size=3, unique=True),
            ),
            "minimum": _NUMBERS,
            "maximum": _NUMBERS,
            "exclusiveMinimum": _NUMBERS,
            "multipleOf": st.sampled_from([0.5, 2, 3, 0.1]),
            "minLength": st.integers(0, 6),
            "maxLength": st.integers(0, 6),
            "pattern": st.sampled_from(["^a+$", r"^\d{3}$", "[A-Z]", "^$", "x|y"]),
            "format": st.sampled_from(["date", "email", "uuid", "unknown-format"]),
            "minItems": st.integers(0, 5),
            "maxItems": st.integers(0, 5),
            "uniqueItems": st.booleans(),
            "required": st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True),
            "enum": st.lists(_SCALARS, min_size=1, max_size=3),
            "$ref": st.sampled_from(["#", "#/$defs/a"]),
        },
    ),
    lambda inner: st.fixed_dictionaries(
        {},
        optional={
            "properties": st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=3),
            "items": inner,
            "anyOf": st.lists(inner, min_size=1, max_size=3),
            "oneOf": st.lists(inner, min_size=1, max_size=2),
            "allOf": st.lists(inner, min_size=1, max_size=2),
            "not": inner,
            "additionalProperties": st.one_of(st.booleans(), inner),
            "$defs": st.fixed_dictionaries({"a": inner}),
            "type": st.sampled_from(["object", "array"]),
        },
    ),
    max_leaves=12,
)


@given(schema=st.one_of(_JSON, _SCHEMAS), seed=st.integers(0, 2**16))
def test_any_json_value_as_a_schema_is_refused_or_gets_a_valid_value_within_the_budget(
    schema: Any, seed: int, monkeypatch_steps: list[int]
) -> None:
    try:
        value = build(schema, seed)
    except SchemaError:
        return
    finally:
        assert max(monkeypatch_steps, default=0) <= BUDGET
        monkeypatch_steps.clear()
    assert Draft202012Validator(schema if schema is not True else {}).is_valid(value)


@pytest.fixture(scope="module")
def monkeypatch_steps() -> Any:
    """Count the builder's steps: the bound on its work is deterministic, never wall time."""
    steps: list[int] = []
    original = structured._Builder._spend

    def counting(self: Any, count: int = 1) -> None:
        original(self, count)
        steps.append(self._steps)

    structured._Builder._spend = counting  # type: ignore[method-assign]
    yield steps
    structured._Builder._spend = original  # type: ignore[method-assign]
