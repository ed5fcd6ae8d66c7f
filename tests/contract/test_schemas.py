"""`schemas/openai/` is exactly what the vendored specs and the overlay derive, structure only, and it says what the
real API says: the tool message with `name` passes, an unknown top-level parameter does not."""

from __future__ import annotations

import importlib
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockai.api.routes import ENDPOINTS
from mockai.contract import sync
from mockai.contract.derive import subschemas
from mockai.contract.operations import OPERATIONS
from mockai.contract.overlay import parse_overlay
from mockai.contract.registry import SchemaRegistry, default_registry

OPENAI_DIR = sync.output_dir()
FILES = sorted(OPENAI_DIR.glob("*.json"))
DIALECT = "https://json-schema.org/draft/2020-12/schema"
OVERLAY = parse_overlay(sync.load_yaml(sync.SPEC_DIR / sync.OVERLAY_FILE))


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return default_registry()


@pytest.fixture(scope="module", autouse=True)
def _parsed_specs_are_dropped_afterwards() -> Iterator[None]:
    # The parsed 3 MB spec is hundreds of thousands of objects: kept for this module's tests, then let go, so the
    # garbage collector of every later test does not walk it again and again.
    yield
    sync.load_yaml.cache_clear()


def _document(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _all_subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for child in [*schema.get("$defs", {}).values(), *subschemas(schema)]:
            yield from _all_subschemas(child)


def test_the_committed_schemas_are_what_the_specs_and_the_overlay_derive() -> None:
    stale = sync.differences(sync.derive_files(), OPENAI_DIR)
    assert stale == [], (
        "schemas/openai/ differs from what spec/ and spec/overlay.yaml give. Run `python -m mockai.contract.sync` "
        "and review `git diff schemas/openai/`:\n" + "\n".join(stale)
    )


def _spec_operation(spec_id: str, spec_name: str) -> dict[str, Any]:
    spec = sync.load_yaml(sync.SPEC_DIR / spec_name)
    shared = spec.get("components", {}).get("parameters", {})
    for path, item in spec["paths"].items():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == spec_id and "?" not in path:
                parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
                resolved = [shared[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p for p in parameters]
                return {**operation, "parameters": resolved}
    raise AssertionError(f"{spec_id} is not in {spec_name}")


@pytest.mark.parametrize("kept", OVERLAY.operations, ids=[kept.name for kept in OVERLAY.operations])
def test_every_kept_operation_has_its_derived_schemas(kept: Any, registry: SchemaRegistry) -> None:
    operation = _spec_operation(kept.spec_id, kept.spec)
    content = next(
        (answer.get("content", {}) for code, answer in operation["responses"].items() if str(code)[0] == "2"), {}
    )
    expected = {
        "request": "requestBody" in operation,
        "query": any(parameter.get("in") == "query" for parameter in operation["parameters"]),
        "response": "application/json" in content,
        kept.stream_as: "text/event-stream" in content or kept.stream_schema is not None,
    }
    assert {part for part, wanted in expected.items() if wanted} == {
        part for part in ("request", "query", "response", "event", "chunk") if f"openai/{kept.name}.{part}" in registry
    }


def test_the_new_families_have_the_schemas_later_work_builds_on(registry: SchemaRegistry) -> None:
    for name in ("createResponse.request", "createResponse.response", "createResponse.event", "getResponse.query",
                 "listInputItems.query", "getInputTokenCounts.request", "compactConversation.request",
                 "createConversation.request", "createConversationItems.request", "listChatCompletions.query",
                 "updateChatCompletion.request", "getChatCompletionMessages.response", "createSpeech.request",
                 "createBatch.request", "listBatches.response", "createUpload.request", "addUploadPart.request",
                 "completeUpload.request", "pauseFineTuningJob.response", "resumeFineTuningJob.response"):  # fmt: skip
        assert f"openai/{name}" in registry


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_is_a_valid_2020_12_schema_named_by_its_id(path: Path) -> None:
    document = _document(path)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == DIALECT
    assert document["$id"] == f"https://mockai.test/schemas/openai/{path.name}"


PROSE = {"description", "title", "examples", "example", "deprecated", "nullable", "$recursiveRef"}


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_file_keeps_structure_only_in_2020_12_words(path: Path) -> None:
    used = {keyword for schema in _all_subschemas(_document(path)) for keyword in schema}
    assert used & PROSE == set()
    assert [keyword for keyword in used if keyword.startswith("x-")] == []


def test_every_reference_resolves(registry: SchemaRegistry) -> None:
    references = {schema["$ref"] for path in FILES for schema in _all_subschemas(_document(path)) if "$ref" in schema}
    assert references
    for reference in references:
        assert reference.split("#")[0] in ("components.json", "components-2023-06.json"), reference
        registry.lookup(reference)


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_every_operation_has_its_request_response_and_chunk_schemas(operation: Any, registry: SchemaRegistry) -> None:
    expected = [operation.response_schema, operation.request_schema, operation.chunk_schema]
    missing = [name for name in expected if name is not None and name not in registry]
    assert missing == []


def test_every_schema_the_endpoint_table_names_exists(registry: SchemaRegistry) -> None:
    named = {
        name
        for row in ENDPOINTS
        for name in (row.request_schema, row.query_schema, row.response_schema, row.stream_schema)
        if name is not None
    }
    assert sorted(name for name in named if name not in registry) == []


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
        ({**ASKED, "n": 129}, ["n"]),
        ({**ASKED, "colour": "red"}, []),
    ],
    ids=["no model", "no messages", "no content", "null content without tool call", "bad name", "tool without id",
         "temperature > 2", "five stops", "top_logprobs > 20", "n > 128", "unknown parameter"],
)  # fmt: skip
def test_chat_requests_are_refused_where_the_api_draws_the_line(
    body: dict[str, Any], problem_at: list[Any], registry: SchemaRegistry
) -> None:
    problems = list(registry.iter_errors("openai/createChatCompletion.request", body))
    assert problems, "the body should be refused"
    assert any(list(problem.absolute_path)[: len(problem_at)] == problem_at for problem in problems)


@pytest.mark.parametrize(
    "message",
    [
        {"role": "tool", "tool_call_id": "call_1", "name": "get_current_weather", "content": "sunny"},
        {"role": "user", "content": "hi", "x_client_note": "nested objects are as open as the spec says"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
    ],
    ids=["tool message with name", "unknown field inside a message", "assistant calling a tool, null content"],
)  # fmt: skip
def test_messages_the_spec_allows_are_accepted(message: dict[str, Any], registry: SchemaRegistry) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "weather?"}, message]}
    assert [error.message for error in registry.iter_errors("openai/createChatCompletion.request", body)] == []


def test_chat_chunks_accept_null_finish_reason_and_reject_null_role(registry: SchemaRegistry) -> None:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
    }
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
