"""The model catalog: base models from `fixtures/models.json`, fine-tuned models from attached sources, and names
inferred from OpenAI's naming for models the catalog does not list yet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mockai import errors

#: Endpoint families a model can serve; the API layer asks `require(model, family)`. `responses`, `speech`,
#: `realtime` and `videos` are recorded for the models that serve them, though mockai serves no such endpoint yet.
FAMILIES = frozenset(
    {
        "chat",
        "completions",
        "edits",
        "embeddings",
        "moderations",
        "images",
        "transcriptions",
        "translations",
        "speech",
        "responses",
        "realtime",
        "videos",
    }
)
#: What a model may take in or give out.
MODALITIES = frozenset({"text", "image", "audio", "video"})
#: The families a fine-tuned model keeps from its base.
FINE_TUNED_FAMILIES = frozenset({"chat", "completions", "responses"})


@dataclass(frozen=True)
class Modalities:
    """What a model takes in and gives out (`text`, `image`, `audio`, `video`)."""

    input: tuple[str, ...] = ("text",)
    output: tuple[str, ...] = ("text",)


@dataclass(frozen=True)
class Inference:
    """How a name outside the catalog got its capabilities: the catalog model it copies, and the rule that chose it."""

    like: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"like": self.like, "reason": self.reason}


@dataclass(frozen=True)
class ModelInfo:
    """What mockai knows about one model."""

    id: str
    created: int
    owned_by: str
    endpoints: frozenset[str]
    context_window: int | None = None
    max_output_tokens: int | None = None
    encoding: str | None = None
    reasoning: bool = False
    modalities: Modalities = field(default_factory=Modalities)
    family: str | None = None  # the line of models whose curated facts it shares (fixtures/models.json)
    fine_tune: str | None = None  # "legacy" | "modern": which fine-tuning API may use it as a base
    dimensions: int | None = None
    max_input_tokens: int | None = None
    shortenable: bool = False  # embeddings: `dimensions` may shorten the vector
    legacy_object: bool = False  # /v1/models answers with the 2023 object (permission, root, parent)
    parent: str | None = None  # fine-tuned models: the base model
    owner_org: str | None = None  # fine-tuned models: the organization that may see and delete it
    inferred: Inference | None = None  # set when the name is not in the catalog

    @property
    def is_fine_tuned(self) -> bool:
        return self.owner_org is not None

    @property
    def output_cap(self) -> int | None:
        """The most completion tokens one request may ask for, when the model caps them below its window.

        A cap equal to the window is no separate cap: the 2023 models let a completion fill the window, and a
        request over it meets the window's `context_length_exceeded` instead.
        """
        cap, window = self.max_output_tokens, self.context_window
        return cap if cap is not None and (window is None or cap < window) else None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ModelInfo:
        """A model from its flat JSON form (the form `--models FILE` entries resolve to)."""
        fields = dict(raw)
        unknown = set(fields["endpoints"]) - FAMILIES
        if unknown:
            raise ValueError(f"model {fields['id']!r} lists unknown endpoint families {sorted(unknown)}")
        fields["endpoints"] = frozenset(fields["endpoints"])
        if "modalities" in fields:
            modalities = fields["modalities"]
            fields["modalities"] = Modalities(tuple(modalities["input"]), tuple(modalities["output"]))
        return cls(**fields)


class ModelSource(Protocol):
    """Somewhere else models come from (fine-tuned models in the store)."""

    def models_for(self, org: str) -> Iterable[ModelInfo]: ...

    def reserves(self, model_id: str) -> bool:
        """Whether the name is taken (by any organization, deleted or still to come): never inferred."""
        ...


class Inferrer(Protocol):
    """Serves a name outside the catalog from the catalog's models (see `mockai.state.model_inference`)."""

    def __call__(self, name: str, known: Mapping[str, ModelInfo], org: str) -> ModelInfo | None: ...


class ModelCatalog:
    """Lookup of models by id, as one organization sees them.

    >>> catalog = ModelCatalog([ModelInfo("m", 0, "openai", frozenset({"chat"}))])
    >>> catalog.get("m", org="org-1").owned_by
    'openai'
    """

    def __init__(self, base_models: Iterable[ModelInfo], *, infer: Inferrer | None = None) -> None:
        self._base = {model.id: model for model in base_models}
        self._infer = infer
        self._sources: list[ModelSource] = []

    @classmethod
    def from_file(cls, path: Path, *, extra: Iterable[Mapping[str, Any]] = (), strict: bool = False) -> ModelCatalog:
        """The catalog of a catalog document, with `--models FILE` entries on top; `strict`: never infer."""
        from mockai.state.catalog_document import read_catalog

        models, rules = read_catalog(path, extra)
        return cls(models, infer=None if strict else rules.infer)

    def attach(self, source: ModelSource) -> None:
        self._sources.append(source)

    def base_models(self) -> list[ModelInfo]:
        return list(self._base.values())

    def list(self, org: str) -> list[ModelInfo]:
        """Every model `org` may list: inferred names never appear here."""
        models = list(self._base.values())
        for source in self._sources:
            models.extend(source.models_for(org))
        return models

    def find(self, model_id: str, org: str, *, infer: bool = True) -> ModelInfo | None:
        """The model, or one inferred from OpenAI's naming (unless `infer` is off or the catalog is strict)."""
        if model_id in self._base:
            return self._base[model_id]
        for source in self._sources:
            for model in source.models_for(org):
                if model.id == model_id:
                    return model
        if not infer or self._infer is None or any(source.reserves(model_id) for source in self._sources):
            return None
        return self._infer(model_id, self._base, org)

    def get(self, model_id: str, org: str, *, infer: bool = True) -> ModelInfo:
        model = self.find(model_id, org, infer=infer)
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
        if family == "chat" and "responses" in model.endpoints:
            raise errors.responses_only_model()
        raise errors.model_wrong_endpoint(model_id, endpoint_path)
