"""`POST /v1/embeddings` (and the engine-routed twin) through the official SDK and raw HTTP."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from tests.conftest import API_KEY
from tests.response_guard import ResponseGuard

DOC_EXAMPLE = "The food was delicious and the waiter..."


def as_float32(values: Sequence[float]) -> list[float]:
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize(
    ("model", "dims"),
    [("text-embedding-ada-002", 1536), ("text-embedding-3-small", 1536), ("text-embedding-3-large", 3072)],
)
def test_the_sdk_gets_unit_vectors_of_the_models_size(client: Any, model: str, dims: int) -> None:
    # The strict client must ask for floats: with the SDK's default (base64) its pydantic check runs before decoding.
    response = client.embeddings.create(model=model, input=DOC_EXAMPLE, encoding_format="float")
    assert response.object == "list" and response.model == model
    vector = response.data[0].embedding
    assert len(vector) == dims
    assert math.sqrt(math.fsum(x * x for x in vector)) == pytest.approx(1.0, abs=1e-5)


def test_doc_example_usage_is_exact(client: Any) -> None:
    response = client.embeddings.create(model="text-embedding-ada-002", input=DOC_EXAMPLE, encoding_format="float")
    assert (response.usage.prompt_tokens, response.usage.total_tokens) == (8, 8)


def test_every_input_shape_gives_one_vector_each(client: Any) -> None:
    strings = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], encoding_format="float")
    tokens = client.embeddings.create(model="text-embedding-3-small", input=[64, 293], encoding_format="float")
    arrays = client.embeddings.create(model="text-embedding-3-small", input=[[64, 293], [66]], encoding_format="float")
    assert [d.index for d in strings.data] == [0, 1]
    assert len(tokens.data) == 1 and tokens.usage.prompt_tokens == 2
    assert len(arrays.data) == 2 and arrays.usage.prompt_tokens == 3
    assert arrays.data[0].embedding == tokens.data[0].embedding


def test_default_sdk_client_decodes_base64_to_the_same_floats(
    base_url: str, client: Any, response_guard: ResponseGuard
) -> None:
    lax = response_guard.openai(base_url, api_key=API_KEY, _strict_response_validation=False)
    decoded = lax.embeddings.create(model="text-embedding-3-small", input=DOC_EXAMPLE).data[0].embedding
    floats = client.embeddings.create(model="text-embedding-3-small", input=DOC_EXAMPLE, encoding_format="float")
    assert as_float32(decoded) == as_float32(floats.data[0].embedding)


def test_base64_is_little_endian_float32(http: httpx.Client) -> None:
    body = {"model": "text-embedding-3-large", "input": "hello", "encoding_format": "base64", "dimensions": 64}
    raw = base64.b64decode(http.post("/v1/embeddings", json=body).json()["data"][0]["embedding"])
    assert len(raw) == 64 * 4
    floats = http.post("/v1/embeddings", json={**body, "encoding_format": "float"}).json()["data"][0]["embedding"]
    assert list(struct.unpack("<64f", raw)) == as_float32(floats)
    assert all(len(repr(x).lstrip("-0.").replace(".", "").split("e")[0]) <= 9 for x in floats)  # 9 digits at most


def test_dimensions_shorten_3_models(client: Any) -> None:
    response = client.embeddings.create(
        model="text-embedding-3-large", input=DOC_EXAMPLE, dimensions=256, encoding_format="float"
    )
    assert len(response.data[0].embedding) == 256


def test_texts_sharing_words_are_closer(client: Any) -> None:
    texts = ["The cat sat on the warm mat", "The cat sat on the warm sofa", "Quarterly revenue grew five percent"]
    vectors = [
        d.embedding
        for d in client.embeddings.create(model="text-embedding-3-small", input=texts, encoding_format="float").data
    ]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.3


def test_same_request_same_vector(http: httpx.Client) -> None:
    body = {"model": "text-embedding-ada-002", "input": "repeatable"}
    assert http.post("/v1/embeddings", json=body).json() == http.post("/v1/embeddings", json=body).json()


def test_engine_routed_twin(http: httpx.Client) -> None:
    response = http.post("/v1/engines/text-embedding-ada-002/embeddings", json={"input": DOC_EXAMPLE})
    assert response.status_code == 200
    assert response.json()["usage"]["prompt_tokens"] == 8
    assert len(response.json()["data"][0]["embedding"]) == 1536


LONG_TEXT = "word " * 9000

REFUSALS = [
    ("empty-string", {"model": "text-embedding-ada-002", "input": ""}, 400, None, None),
    ("empty-string-in-array", {"model": "text-embedding-ada-002", "input": ["ok", ""]}, 400, None, None),
    ("too-long", {"model": "text-embedding-ada-002", "input": LONG_TEXT}, 400, None, "context_length_exceeded"),
    ("dimensions-on-ada", {"model": "text-embedding-ada-002", "input": "x", "dimensions": 8}, 400, "dimensions", None),
    (
        "dimensions-too-big",
        {"model": "text-embedding-3-small", "input": "x", "dimensions": 2000},
        400,
        "dimensions",
        "integer_above_max_value",
    ),
    ("unknown-model", {"model": "nomic-embed-9", "input": "x"}, 404, None, "model_not_found"),
    ("chat-model", {"model": "gpt-4", "input": "x"}, 404, "model", None),
    ("missing-input", {"model": "text-embedding-ada-002"}, 400, "input", "missing_required_parameter"),
    (
        "too-many-inputs",
        {"model": "text-embedding-ada-002", "input": ["x"] * 2049},
        400,
        "input",
        "invalid_value",
    ),
]


@pytest.mark.parametrize(("body", "status", "param", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals(http: httpx.Client, body: dict[str, Any], status: int, param: str | None, code: str | None) -> None:
    response = http.post("/v1/embeddings", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_empty_string_message_is_the_real_one(http: httpx.Client) -> None:
    error = http.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": ""}).json()["error"]
    assert error["message"].startswith("'$.input' is invalid.")


def test_too_long_message_names_the_limit(http: httpx.Client) -> None:
    error = http.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": LONG_TEXT}).json()["error"]
    assert "maximum context length is 8191 tokens" in error["message"]


def test_engine_twin_refuses_unknown_engine(http: httpx.Client) -> None:
    response = http.post("/v1/engines/nope/embeddings", json={"input": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
