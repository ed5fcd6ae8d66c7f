"""The model catalog: base models from `fixtures/models.json`, plus fine-tuned models from attached sources."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mockai import errors

#: Endpoint families a model can serve; the API layer asks `require(model, family)`.
FAMILIES = frozenset({"chat", "completions", "edits", "embeddings", "moderations", "images", "audio"})


@dataclass(frozen=True)
class ModelInfo:
    """What mockai knows about one model."""

    id: str
    created: int
    owned_by: str
    endpoints: frozenset[str]
    context_window: int | None = None
    encoding: str | None = None
    fine_tune: str | None = None  # "legacy" | "modern": which fine-tuning API may use it as a base
    dimensions: int | None = None
    max_input_tokens: int | None = None
    shortenable: bool = False  # embeddings: `dimensions` may shorten the vector
    parent: str | None = None  # fine-tuned models: the base model
    owner_org: str | None = None  # fine-tuned models: the organization that may see and delete it

    @property
    def is_fine_tuned(self) -> bool:
        return self.owner_org is not None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ModelInfo:
        unknown = set(raw["endpoints"]) - FAMILIES
        if unknown:
            raise ValueError(f"model {raw['id']!r} lists unknown endpoint families {sorted(unknown)}")
        return cls(**{**raw, "endpoints": frozenset(raw["endpoints"])})


class ModelSource(Protocol):
    """Somewhere else models come from (fine-tuned models in the store)."""

    def models_for(self, org: str) -> Iterable[ModelInfo]: ...


class ModelCatalog:
    """Lookup of models by id, as one organization sees them.

    >>> catalog = ModelCatalog([ModelInfo("m", 0, "openai", frozenset({"chat"}))])
    >>> catalog.get("m", org="org-1").owned_by
    'openai'
    """

    def __init__(self, base_models: Iterable[ModelInfo]) -> None:
        self._base = {model.id: model for model in base_models}
        self._sources: list[ModelSource] = []

    @classmethod
    def from_file(cls, path: Path) -> ModelCatalog:
        document = json.loads(path.read_text(encoding="utf-8"))
        return cls(ModelInfo.from_json(raw) for raw in document["models"])

    def attach(self, source: ModelSource) -> None:
        self._sources.append(source)

    def base_models(self) -> list[ModelInfo]:
        return list(self._base.values())

    def list(self, org: str) -> list[ModelInfo]:
        models = list(self._base.values())
        for source in self._sources:
            models.extend(source.models_for(org))
        return models

    def find(self, model_id: str, org: str) -> ModelInfo | None:
        if model_id in self._base:
            return self._base[model_id]
        for source in self._sources:
            for model in source.models_for(org):
                if model.id == model_id:
                    return model
        return None

    def get(self, model_id: str, org: str) -> ModelInfo:
        model = self.find(model_id, org)
        if model is None:
            raise errors.model_not_found(model_id)
        return model

    def require(self, model_id: str, org: str, family: str, endpoint_path: str) -> ModelInfo:
        """The model, if it exists for `org` and serves `family`; else the real API's refusal."""
        model = self.get(model_id, org)
        if family in model.endpoints:
            return model
        if family == "completions" and "chat" in model.endpoints:
            raise errors.chat_model_on_completions()
        if family == "chat" and "completions" in model.endpoints:
            raise errors.not_a_chat_model()
        raise errors.model_wrong_endpoint(model_id, endpoint_path)
