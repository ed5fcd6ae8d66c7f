"""`POST /v1/embeddings` (also engine-routed, `/v1/engines/{engine}/embeddings`): token-feature vectors, exact usage."""

from __future__ import annotations

from typing import Any

import tiktoken
from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.models import resolve_model
from mockai.api.responses import json_response
from mockai.engine.embedding import embed_tokens, to_base64, truncate
from mockai.engine.tokenizer import get_encoding
from mockai.state.catalog import ModelInfo


async def create_embedding(request: Request, body: dict[str, Any]) -> Response:
    model = resolve_model(request, body["model"], "embeddings", "v1/embeddings")
    return embedding_response(model, body)


def embedding_response(model: ModelInfo, body: dict[str, Any]) -> Response:
    encoding = get_encoding(model.encoding or "cl100k_base")
    inputs = token_inputs(body["input"], encoding)
    limit = model.max_input_tokens or model.context_window
    for tokens in inputs:
        if limit is not None and len(tokens) > limit:
            raise errors.context_length_exceeded(limit, len(tokens), len(tokens), 0, chat=False)
    dims = output_dimensions(model, body.get("dimensions"))
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, tokens in enumerate(inputs):
        vector = embed_tokens(tokens, model.dimensions or 1536, model=model.id)
        if dims != len(vector):
            vector = truncate(vector, dims)
        data.append(
            {"object": "embedding", "index": index, "embedding": to_base64(vector) if as_base64 else _decimal(vector)}
        )
    used = sum(len(tokens) for tokens in inputs)
    usage = {"prompt_tokens": used, "total_tokens": used}
    return json_response({"object": "list", "data": data, "model": model.id, "usage": usage}, model=model.id)


def token_inputs(raw: str | list[Any], encoding: tiktoken.Encoding) -> list[list[int]]:
    """Every accepted `input` shape as a list of token lists; empty entries get the real API's refusal."""
    if isinstance(raw, str):
        raw = [raw]
    if raw and all(isinstance(item, int) for item in raw):
        raw = [raw]
    inputs = [encoding.encode(item, disallowed_special=()) if isinstance(item, str) else list(item) for item in raw]
    if any(not tokens for tokens in inputs):
        raise errors.invalid_input_path()
    return inputs


def output_dimensions(model: ModelInfo, requested: int | None) -> int:
    """The vector length: the model's own, or `dimensions` on models that can shorten their vectors."""
    full = model.dimensions or 1536
    if requested is None:
        return full
    if not model.shortenable:
        raise errors.dimensions_not_supported()
    if requested > full:
        raise errors.value_out_of_range("dimensions", "integer", "above_max", full, requested)
    return requested


def _decimal(vector: list[float]) -> list[float]:
    """Nine significant digits, as the real API prints its float32 values: each reads back as the same float32."""
    return [float(f"{x:.9g}") for x in vector]
