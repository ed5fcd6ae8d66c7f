"""Tests for JSON mode's reading of the shape the messages ask for: an embedded JSON Schema, or named keys."""

from __future__ import annotations

import json

import pytest

from mockai.engine.json_mode import requested_schema

USER_DETAIL = {
    "properties": {"name": {"title": "Name", "type": "string"}, "age": {"title": "Age", "type": "integer"}},
    "required": ["name", "age"],
    "title": "UserDetail",
    "type": "object",
}
INSTRUCTOR_SYSTEM = (
    "\n        As a genius expert, your task is to understand the content and provide\n        the parsed objects in "
    f"json that match the following json_schema:\n\n\n        {json.dumps(USER_DETAIL, indent=2)}\n\n        Make sure "
    "to return an instance of the JSON, not the schema itself\n"
)


def test_the_schema_instructor_writes_into_the_system_message_is_the_shape() -> None:
    messages = [{"role": "system", "content": INSTRUCTOR_SYSTEM}, {"role": "user", "content": "Extract Jason is 25"}]
    assert requested_schema(messages) == USER_DETAIL


def test_json_that_is_not_a_schema_is_not_taken_for_one() -> None:
    messages = [{"role": "user", "content": 'Here is my data: {"city": "Paris"}. Summarise it in JSON.'}]
    assert requested_schema(messages) is None


@pytest.mark.parametrize(
    ("prompt", "keys"),
    [
        ("Tell me a joke about cats, respond in JSON with `setup` and `punchline` keys", ["setup", "punchline"]),
        ("Return a JSON object with the keys name, age and city.", ["name", "age", "city"]),
        ("Respond in JSON with name, age, and city keys.", ["name", "age", "city"]),
        ('Use the fields "title" and "tags".', ["title", "tags"]),
        ("Give me JSON with fields: title, tags, is_done", ["title", "tags", "is_done"]),
        ("用JSON格式回答，包含name、age和city字段。", ["name", "age", "city"]),
    ],
    ids=["backticks-before-keys", "list-after-keys", "list-before-keys", "quoted-fields", "fields-colon", "chinese"],
)
def test_keys_named_in_prose_become_a_required_object(prompt: str, keys: list[str]) -> None:
    schema = requested_schema([{"role": "user", "content": prompt}])
    assert schema is not None and list(schema["properties"]) == keys and schema["required"] == keys


def test_key_names_suggest_their_types() -> None:
    schema = requested_schema([{"role": "user", "content": "Reply in JSON with keys name, age, tags, is_open, price"}])
    assert schema is not None
    assert {key: value["type"] for key, value in schema["properties"].items()} == {
        "name": "string",
        "age": "integer",
        "tags": "array",
        "is_open": "boolean",
        "price": "number",
    }


@pytest.mark.parametrize("prompt", ["Answer in JSON.", "What is the weather like in Boston today?", "The key is blue."])
def test_no_named_shape_means_no_schema(prompt: str) -> None:
    assert requested_schema([{"role": "user", "content": prompt}]) is None


def test_a_message_full_of_braces_is_scanned_in_bounded_time() -> None:
    assert requested_schema([{"role": "user", "content": "{" * 100_000}]) is None
