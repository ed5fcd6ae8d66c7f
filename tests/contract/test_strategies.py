"""Generated requests validate under the full 2020-12 schemas; invalid ones break one constraint, named by param."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from mockai import errors
from mockai.contract import strategies
from mockai.contract.operations import OPERATIONS
from mockai.contract.registry import default_registry
from mockai.contract.validation import validate_body

WITH_BODY = [op.operation_id for op in OPERATIONS.values() if op.request_schema is not None]
# A share of the loaded profile (ci: 25 → 12; nightly: 500 → 250), so nightly runs dig deeper.
EXAMPLES = settings(max_examples=max(5, settings().max_examples // 2), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


def _validator(operation_id: str) -> Draft202012Validator:
    document = default_registry().document(f"openai/{operation_id}.request")
    return Draft202012Validator(
        document, registry=default_registry().referencing, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("operation_id", WITH_BODY)
def test_generated_requests_validate_under_the_full_schema(operation_id: str) -> None:
    validator = _validator(operation_id)

    @EXAMPLES
    @given(strategies.requests(operation_id))
    def check(body: dict[str, Any]) -> None:
        assert [error.message for error in validator.iter_errors(body)] == []

    check()


@pytest.mark.parametrize("operation_id", WITH_BODY)
def test_invalid_requests_break_the_schema_where_their_param_says(operation_id: str) -> None:
    schema_name = f"openai/{operation_id}.request"

    @EXAMPLES
    @given(strategies.invalid_requests(operation_id))
    def check(invalid: strategies.InvalidRequest) -> None:
        with pytest.raises(errors.OpenAIError) as refused:
            validate_body(default_registry(), schema_name, invalid.body)
        assert refused.value.param == invalid.param, invalid.violation

    check()


@pytest.mark.parametrize(
    ("operation_id", "family"),
    [("createChatCompletion", "chat"), ("createCompletion", "completions"), ("createEmbedding", "embeddings")],
)
def test_generated_requests_name_a_model_that_serves_the_family(operation_id: str, family: str) -> None:
    @EXAMPLES
    @given(strategies.requests(operation_id))
    def check(body: dict[str, Any]) -> None:
        assert body["model"] in strategies.DEFAULT_MODELS[family]

    check()


@given(strategies.requests("createChatCompletion", models=("gpt-4",)))
@EXAMPLES
def test_chat_requests_stay_small_enough_to_answer_fast(body: dict[str, Any]) -> None:
    assert body["model"] == "gpt-4"
    assert 1 <= body["max_tokens"] <= 16
    assert body.get("n") in (None, 1, 2, 3)
    assert 1 <= len(body["messages"]) <= 4
    assert "tools" not in body and "stream" not in body


def test_every_documented_bound_is_among_the_breakers() -> None:
    registry = default_registry()
    schema = registry.document("openai/createChatCompletion.request")
    found = {(b.param, b.violation) for b in strategies._breakers(schema, json_body=True, lookup=registry.lookup)}
    for expected in [
        ("temperature", "above maximum"),
        ("temperature", "below minimum"),
        ("top_p", "above maximum"),
        ("n", "above maximum"),
        ("n", "below minimum"),
        ("presence_penalty", "below minimum"),
        ("frequency_penalty", "above maximum"),
        ("top_logprobs", "above maximum"),
        ("stop", "too many items"),
        ("messages", "missing required parameter"),
        ("model", "wrong type"),
        ("service_tier", "not one of the documented values"),
        ("mockai_unknown_parameter", "unknown parameter"),
    ]:
        assert expected in found


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: strategies.requests("createWidget"), "operation_id='createWidget' is not a documented operation"),
        (lambda: strategies.requests("listModels"), "operation_id='listModels' takes no request body"),
        (lambda: strategies.invalid_requests("retrieveFile"), "operation_id='retrieveFile' takes no request body"),
    ],
    ids=["unknown operation", "no body", "no body (invalid)"],
)
def test_arguments_are_checked_eagerly(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()
