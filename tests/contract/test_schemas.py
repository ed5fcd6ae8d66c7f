"""The OpenAI schemas are valid 2020-12, named by their `$id`, inside the draft-07 subset, and their examples hold."""

from __future__ import annotations

import importlib
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockai._paths import resource_dir
from mockai.contract.operations import OPERATIONS
from mockai.contract.registry import SchemaRegistry, default_registry

OPENAI_DIR = resource_dir("schemas") / "openai"
FILES = sorted(OPENAI_DIR.glob("*.json"))
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# What hypothesis-jsonschema understands (draft-07), plus annotations and the 2020-12 spelling of definitions.
ALLOWED_KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$comment", "title", "description", "examples", "default",
    "type", "enum", "const", "format", "contentMediaType", "contentEncoding",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "minLength", "maxLength", "pattern",
    "items", "minItems", "maxItems", "uniqueItems", "contains",
    "properties", "required", "additionalProperties", "propertyNames", "minProperties", "maxProperties",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
}  # fmt: skip
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_SCHEMA_VALUES = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def _subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(schema, dict):
        return
    yield schema
    for key in _SCHEMA_MAPS:
        for child in schema.get(key, {}).values():
            yield from _subschemas(child)
    for key in _SCHEMA_VALUES:
        yield from _subschemas(schema.get(key))
    for key in _SCHEMA_LISTS:
        for child in schema.get(key, []):
            yield from _subschemas(child)


def _document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return default_registry()


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_is_a_valid_2020_12_schema_named_by_its_id(path: Path) -> None:
    document = _document(path)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == DIALECT
    assert document["$id"] == f"https://mockai.test/schemas/openai/{path.name}"


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_keeps_to_the_draft_07_keyword_subset(path: Path) -> None:
    used = {keyword for schema in _subschemas(_document(path)) for keyword in schema}
    assert used <= ALLOWED_KEYWORDS, f"keywords outside the draft-07 subset: {sorted(used - ALLOWED_KEYWORDS)}"


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_every_documented_example_validates(path: Path, registry: SchemaRegistry) -> None:
    name = f"openai/{path.stem}"
    examples = registry.examples(name)
    if path.name != "common.json":
        assert examples, f"{path.name} carries no example"
    for example in examples:
        problems = [error.message for error in registry.iter_errors(name, example)]
        assert problems == [], f"{path.name}: {problems[:3]}"


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_every_operation_has_its_request_response_and_chunk_schemas(operation: Any, registry: SchemaRegistry) -> None:
    expected = [operation.response_schema, operation.request_schema, operation.chunk_schema]
    missing = [name for name in expected if name is not None and name not in registry]
    assert missing == []


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_bundled_schemas_are_self_contained(path: Path, registry: SchemaRegistry) -> None:
    bundled = registry.bundled(f"openai/{path.stem}")
    assert "$ref" not in json.dumps(bundled)
    Draft202012Validator.check_schema(bundled)


def test_bundling_keeps_validation_unchanged(registry: SchemaRegistry) -> None:
    name = "openai/createChatCompletion.request"
    bundled = Draft202012Validator(registry.bundled(name))
    good = registry.examples(name)[0]
    bad = {**good, "messages": [{"role": "user"}]}
    assert bundled.is_valid(good) and registry.validator(name).is_valid(good)
    assert not bundled.is_valid(bad) and not registry.validator(name).is_valid(bad)


ASKED = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}


@pytest.mark.parametrize(
    ("body", "problem_at"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, []),
        ({"model": "gpt-4o", "messages": []}, ["messages"]),
        ({"model": "gpt-4o", "messages": [{"role": "user"}]}, ["messages", 0]),
        ({"model": "gpt-4o", "messages": [{"role": "assistant", "content": None}]}, ["messages", 0]),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "x", "name": "a b"}]}, ["messages", 0, "name"]),
        ({"model": "gpt-4o", "messages": [{"role": "tool", "content": "x"}]}, ["messages", 0]),
        ({**ASKED, "temperature": 2.5}, ["temperature"]),
        ({**ASKED, "stop": ["a"] * 5}, ["stop"]),
        ({**ASKED, "top_logprobs": 21}, ["top_logprobs"]),
        ({**ASKED, "logit_bias": {"1": 101}}, ["logit_bias", "1"]),
        ({**ASKED, "n": 129}, ["n"]),
        ({**ASKED, "colour": "red"}, []),
    ],
    ids=["no model", "no messages", "no content", "null content without tool call", "bad name", "tool without id",
         "temperature > 2", "five stops", "top_logprobs > 20", "logit bias > 100", "n > 128", "unknown parameter"],
)  # fmt: skip
def test_chat_requests_are_refused_where_the_docs_draw_the_line(
    body: dict[str, Any], problem_at: list[Any], registry: SchemaRegistry
) -> None:
    problems = list(registry.iter_errors("openai/createChatCompletion.request", body))
    assert problems, "the body should be refused"
    assert any(list(problem.absolute_path)[: len(problem_at)] == problem_at for problem in problems)


def test_an_assistant_turn_that_calls_a_tool_may_have_null_content(registry: SchemaRegistry) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    body = {
        "model": "gpt-4o",
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
        ],
    }
    assert registry.validator("openai/createChatCompletion.request").is_valid(body)


def test_chat_chunks_accept_null_finish_reason_and_reject_null_role(registry: SchemaRegistry) -> None:
    chunk = registry.examples("openai/createChatCompletion.chunk")[1]
    assert chunk["choices"][0]["finish_reason"] is None
    assert registry.validator("openai/createChatCompletion.chunk").is_valid(chunk)
    chunk["choices"][0]["delta"]["role"] = None
    assert not registry.validator("openai/createChatCompletion.chunk").is_valid(chunk)


SDK_PARAMS = {
    "createChatCompletion": ("openai.types.chat.completion_create_params", "CompletionCreateParamsBase"),
    "createCompletion": ("openai.types.completion_create_params", "CompletionCreateParamsBase"),
    "createEmbedding": ("openai.types.embedding_create_params", "EmbeddingCreateParams"),
    "createModeration": ("openai.types.moderation_create_params", "ModerationCreateParams"),
    "createImage": ("openai.types.image_generate_params", "ImageGenerateParamsBase"),
    "createImageEdit": ("openai.types.image_edit_params", "ImageEditParamsBase"),
    "createImageVariation": ("openai.types.image_create_variation_params", "ImageCreateVariationParams"),
    "createTranscription": ("openai.types.audio.transcription_create_params", "TranscriptionCreateParamsBase"),
    "createTranslation": ("openai.types.audio.translation_create_params", "TranslationCreateParams"),
    "createFile": ("openai.types.file_create_params", "FileCreateParams"),
    "createFineTuningJob": ("openai.types.fine_tuning.job_create_params", "JobCreateParams"),
}


@pytest.mark.parametrize("operation_id", sorted(SDK_PARAMS))
def test_every_parameter_the_official_sdk_can_send_is_accepted(operation_id: str, registry: SchemaRegistry) -> None:
    module_name, class_name = SDK_PARAMS[operation_id]
    module = importlib.import_module(module_name)
    sent = set(typing.get_type_hints(getattr(module, class_name)))
    accepted = set(registry.document(f"openai/{operation_id}.request")["properties"])
    assert sent - accepted == set()
