"""The catalog is current to the vendored spec: every model id of every model enum in `spec/openapi.yaml` is in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockai._paths import resource_dir
from mockai.contract.spec_models import DEFAULT_SPEC, load_spec, main, model_enums
from mockai.state.catalog import ModelCatalog

#: Enums the scan must find: if the spec's structure changes so that one disappears, the scan is wrong, not done.
KNOWN_ENUMS = {
    "components.schemas.ModelIdsShared.anyOf.1",  # chat completions (the SDK's ChatModel)
    "components.schemas.ModelIdsResponses.anyOf.1",  # Responses-only models
    "components.schemas.CreateCompletionRequest.properties.model.anyOf.1",
    "components.schemas.CreateEmbeddingRequest.properties.model.anyOf.1",
    "components.schemas.CreateImageRequest.properties.model.anyOf.1",
    "components.schemas.CreateModerationRequest.properties.model.anyOf.1",
    "components.schemas.CreateSpeechRequest.properties.model.anyOf.1",
    "components.schemas.CreateTranscriptionRequest.properties.model.anyOf.1",
    "components.schemas.CreateTranslationRequest.properties.model.anyOf.1",
    "components.schemas.CreateFineTuningJobRequest.properties.model.anyOf.1",
    "components.schemas.RealtimeSessionCreateRequestGA.properties.model.anyOf.1",
    "components.schemas.VideoModel.anyOf.1",
}


@pytest.fixture(scope="module")
def enums() -> dict[str, tuple[str, ...]]:
    return model_enums(load_spec(DEFAULT_SPEC))


def test_the_scan_finds_every_kind_of_model_enum(enums: dict[str, tuple[str, ...]]) -> None:
    assert set(enums) >= KNOWN_ENUMS
    assert all(values for values in enums.values())


def test_every_model_the_spec_names_is_in_the_catalog(enums: dict[str, tuple[str, ...]]) -> None:
    catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json", strict=True)
    missing = {
        model_id: location
        for location, values in enums.items()
        for model_id in values
        if catalog.find(model_id, "org-any") is None
    }
    assert missing == {}, "add these to fixtures/models.json (python -m mockai.contract.spec_models lists them)"


def test_the_script_lists_the_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "components:\n  schemas:\n    VideoModel:\n      anyOf: [{type: string}, {enum: [sora-2, sora-3]}]\n"
        "    CreateX:\n      properties:\n        model: {enum: [gpt-4o]}\n        type: {enum: [label_model]}\n",
        encoding="utf-8",
    )
    assert main([str(spec), "--ids"]) == 0
    assert capsys.readouterr().out.split() == ["gpt-4o", "sora-2", "sora-3"]
    assert main([str(spec)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "components.schemas.VideoModel.anyOf.1 (2): sora-2, sora-3",
        "components.schemas.CreateX.properties.model (1): gpt-4o",
    ]
