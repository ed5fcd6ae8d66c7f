"""The model catalog: the curated document, the seed era kept as it was, inference from names, `--models` entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tiktoken.model

from mockai import errors
from mockai._paths import resource_dir
from mockai.state.catalog import FAMILIES, ModelCatalog, ModelInfo
from mockai.state.catalog_document import read_model_file

CATALOG_FILE = resource_dir("fixtures") / "models.json"
DOCUMENT = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> ModelCatalog:
    return ModelCatalog.from_file(CATALOG_FILE)


def custom(entries: list[dict[str, Any]], *, strict: bool = False) -> ModelCatalog:
    return ModelCatalog.from_file(CATALOG_FILE, extra=entries, strict=strict)


# -- the document -------------------------------------------------------------------------------------------------

#: The 32 entries of the seed's catalog as they were: (id, created, owned_by, endpoints, window, encoding, fine_tune).
SEED = [
    ("gpt-3.5-turbo", 1677610602, "openai", {"chat"}, 16385, "cl100k_base", "modern"),
    ("gpt-3.5-turbo-0301", 1677649963, "openai", {"chat"}, 4097, "cl100k_base", None),
    ("gpt-3.5-turbo-0613", 1686587434, "openai", {"chat"}, 4097, "cl100k_base", "modern"),
    ("gpt-3.5-turbo-16k", 1683758102, "openai-internal", {"chat"}, 16385, "cl100k_base", None),
    ("gpt-3.5-turbo-16k-0613", 1685474247, "openai", {"chat"}, 16385, "cl100k_base", None),
    ("gpt-3.5-turbo-1106", 1698959748, "system", {"chat"}, 16385, "cl100k_base", "modern"),
    ("gpt-3.5-turbo-0125", 1706048358, "system", {"chat"}, 16385, "cl100k_base", "modern"),
    ("gpt-3.5-turbo-instruct", 1692901427, "system", {"completions"}, 4096, "cl100k_base", None),
    ("gpt-4", 1687882411, "openai", {"chat"}, 8192, "cl100k_base", None),
    ("gpt-4-0613", 1686588896, "openai", {"chat"}, 8192, "cl100k_base", "modern"),
    ("gpt-4o", 1715367049, "system", {"chat"}, 128000, "o200k_base", None),
    ("gpt-4o-2024-08-06", 1722814719, "system", {"chat"}, 128000, "o200k_base", "modern"),
    ("gpt-4o-mini", 1721172741, "system", {"chat"}, 128000, "o200k_base", "modern"),
    ("text-davinci-003", 1669599635, "openai-internal", {"completions"}, 4097, "p50k_base", None),
    ("text-davinci-002", 1649880484, "openai", {"completions"}, 4097, "p50k_base", None),
    ("text-davinci-edit-001", 1649809179, "openai", {"edits"}, 2049, "p50k_edit", None),
    ("code-davinci-edit-001", 1649880484, "openai", {"edits"}, 2049, "p50k_edit", None),
    ("davinci", 1649359874, "openai", {"completions"}, 2049, "r50k_base", "legacy"),
    ("curie", 1649359874, "openai", {"completions"}, 2049, "r50k_base", "legacy"),
    ("babbage", 1649358449, "openai", {"completions"}, 2049, "r50k_base", "legacy"),
    ("ada", 1649357491, "openai", {"completions"}, 2049, "r50k_base", "legacy"),
    ("davinci-002", 1692634301, "system", {"completions"}, 16384, "cl100k_base", "modern"),
    ("babbage-002", 1692634615, "system", {"completions"}, 16384, "cl100k_base", "modern"),
    ("text-embedding-ada-002", 1671217299, "openai-internal", {"embeddings"}, 8191, "cl100k_base", None),
    ("text-embedding-3-small", 1705948997, "system", {"embeddings"}, 8191, "cl100k_base", None),
    ("text-embedding-3-large", 1705953180, "system", {"embeddings"}, 8191, "cl100k_base", None),
    ("whisper-1", 1677532384, "openai-internal", {"transcriptions", "translations"}, None, None, None),
    ("text-moderation-latest", 1677610602, "openai", {"moderations"}, 32768, "cl100k_base", None),
    ("text-moderation-stable", 1677610602, "openai", {"moderations"}, 32768, "cl100k_base", None),
    ("omni-moderation-latest", 1731689265, "system", {"moderations"}, 32768, "o200k_base", None),
    ("dall-e-2", 1698798177, "system", {"images"}, None, None, None),
    ("dall-e-3", 1698785189, "system", {"images"}, None, None, None),
]


@pytest.mark.parametrize("row", SEED, ids=[row[0] for row in SEED])
def test_the_seed_catalog_keeps_its_values(catalog: ModelCatalog, row: tuple[Any, ...]) -> None:
    model_id, created, owned_by, endpoints, window, encoding, fine_tune = row
    model = catalog.get(model_id, "org-a", infer=False)
    # The seed's chat models now also list `responses`, served by no mockai endpoint yet; nothing else moved.
    assert (model.created, model.owned_by, model.context_window, model.encoding, model.fine_tune) == (
        created,
        owned_by,
        window,
        encoding,
        fine_tune,
    )
    assert endpoints <= model.endpoints <= endpoints | {"responses"}
    assert model.legacy_object and model.inferred is None


def test_the_seed_embeddings_keep_their_shapes(catalog: ModelCatalog) -> None:
    shapes = {m: catalog.get(m, "o").dimensions for m in ("text-embedding-ada-002", "text-embedding-3-large")}
    assert shapes == {"text-embedding-ada-002": 1536, "text-embedding-3-large": 3072}
    assert catalog.get("text-embedding-3-small", "o").shortenable
    assert not catalog.get("text-embedding-ada-002", "o").shortenable


def test_every_model_names_a_family_and_every_family_is_used() -> None:
    used = {entry["family"] for entry in DOCUMENT["models"]}
    assert used == set(DOCUMENT["families"])
    ids = [entry["id"] for entry in DOCUMENT["models"]]
    assert len(ids) == len(set(ids))


def test_every_family_cites_its_sources() -> None:
    sources = set(DOCUMENT["sources"])
    for name, family in DOCUMENT["families"].items():
        cited = set(
            tokens.strip() for part in family["$comment"].split("[")[1:] for tokens in part.split("]")[0].split(",")
        )
        cited = {source.split(":")[0] for source in cited}
        assert cited and cited <= sources, (name, cited - sources)


def test_encodings_agree_with_tiktoken_wherever_tiktoken_knows_the_model(catalog: ModelCatalog) -> None:
    disagree = {}
    for model in catalog.base_models():
        try:
            expected = tiktoken.model.encoding_name_for_model(model.id)
        except KeyError:
            continue
        if model.encoding != expected:
            disagree[model.id] = (model.encoding, expected)
    assert disagree == {}


def test_every_text_model_has_a_window_an_output_cap_and_an_encoding(catalog: ModelCatalog) -> None:
    text = [m for m in catalog.base_models() if m.endpoints & {"chat", "completions", "responses", "edits"}]
    assert text
    for model in text:
        assert model.context_window and model.max_output_tokens and model.encoding, model.id
        assert model.max_output_tokens <= model.context_window, model.id


@pytest.mark.parametrize(
    ("model_id", "cap"),
    [
        ("gpt-3.5-turbo", 4096),  # 1106 and later: a separate cap
        ("gpt-4o", 16384),
        ("gpt-4o-2024-05-13", 4096),
        ("gpt-4.1-mini", 32768),
        ("o3", 100000),
        ("gpt-5", 128000),
        ("gpt-3.5-turbo-0613", None),  # the 2023 models let a completion fill the window
        ("gpt-4", None),
        ("davinci", None),
    ],
)
def test_output_caps(catalog: ModelCatalog, model_id: str, cap: int | None) -> None:
    assert catalog.get(model_id, "o").output_cap == cap


def test_fine_tuning_bases() -> None:
    bases = {entry["id"]: entry.get("fine_tune") for entry in DOCUMENT["models"] if entry.get("fine_tune")}
    modern = {model_id for model_id, api in bases.items() if api == "modern"}
    assert {
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-3.5-turbo-0125",
        "gpt-3.5-turbo-1106",
        "gpt-3.5-turbo-0613",
        "o4-mini-2025-04-16",
        "babbage-002",
        "davinci-002",
    } <= modern
    assert {model_id for model_id, api in bases.items() if api == "legacy"} == {"davinci", "curie", "babbage", "ada"}


def test_the_families_list_only_known_endpoint_families() -> None:
    for family in DOCUMENT["families"].values():
        assert set(family["endpoints"]) <= FAMILIES


# -- inference -------------------------------------------------------------------------------------------------

INFERRED = [
    # (name, the catalog model it is served as, endpoint family it serves)
    ("gpt-4o-mini-2030-01-01", "gpt-4o-mini", "chat"),
    ("gpt-4o-mini-0101", "gpt-4o-mini", "chat"),
    ("gpt-4.1-mini-fast", "gpt-4.1-mini", "chat"),
    ("gpt-7", "gpt-5.6-sol", "chat"),
    ("gpt-5.9-nova", "gpt-5.6-sol", "chat"),
    ("chatgpt-5-latest", "chatgpt-4o-latest", "chat"),
    ("o5", "o3", "chat"),
    ("o5-mini", "o4-mini", "chat"),
    ("o7-pro", "o3-pro", "responses"),
    ("gpt-6-pro", "gpt-5.5-pro", "responses"),
    ("gpt-6-codex", "gpt-5.1-codex-max", "responses"),
    ("gpt-6-chat-latest", "gpt-5.3-chat-latest", "chat"),
    ("gpt-6-search-preview", "gpt-4o-search-preview", "chat"),
    ("gpt-6-audio", "gpt-audio-1.5", "chat"),
    ("gpt-realtime-3", "gpt-realtime", "realtime"),
    ("gpt-image-3", "gpt-image-1", "images"),
    ("chatgpt-image-2", "gpt-image-1", "images"),
    ("dall-e-4", "dall-e-3", "images"),
    ("text-embedding-4-small", "text-embedding-3-small", "embeddings"),
    ("text-embedding-4-large", "text-embedding-3-large", "embeddings"),
    ("omni-moderation-2030-01-01", "omni-moderation-latest", "moderations"),
    ("gpt-5-transcribe", "gpt-4o-transcribe", "transcriptions"),
    ("whisper-2", "whisper-1", "translations"),
    ("tts-2-hd", "tts-1-hd", "speech"),
    ("gpt-5-mini-tts", "gpt-4o-mini-tts", "speech"),
    ("acme-tts", "gpt-4o-mini-tts", "speech"),
    ("sora-2-2030-01-01", "sora-2", "videos"),  # a dated snapshot of any catalog model
]


@pytest.mark.parametrize(("name", "like", "family"), INFERRED, ids=[row[0] for row in INFERRED])
def test_a_name_following_openai_naming_is_inferred(catalog: ModelCatalog, name: str, like: str, family: str) -> None:
    model = catalog.get(name, "org-a")
    template = catalog.get(like, "org-a")
    assert model.id == name and model.inferred is not None and model.inferred.like == like
    assert family in model.endpoints
    assert (model.endpoints, model.context_window, model.max_output_tokens, model.encoding) == (
        template.endpoints,
        template.context_window,
        template.max_output_tokens,
        template.encoding,
    )
    assert model.fine_tune is None and not model.legacy_object


@pytest.mark.parametrize(
    "name", ["llama-3-70b", "claude-9", "davinci-003", "sora-3", "text-moderation-999", "o", "ft:"]
)
def test_other_names_stay_unknown(catalog: ModelCatalog, name: str) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        catalog.get(name, "org-a")
    assert (caught.value.status, caught.value.code) == (404, "model_not_found")


def test_a_dated_snapshot_is_created_on_its_date(catalog: ModelCatalog) -> None:
    assert catalog.get("gpt-4o-mini-2030-01-01", "o").created == 1893456000
    assert catalog.get("gpt-4o-mini-0101", "o").created == catalog.get("gpt-4o-mini", "o").created


def test_a_fine_tuned_name_is_served_from_its_base_as_the_callers_model(catalog: ModelCatalog) -> None:
    model = catalog.get("ft:gpt-4o-mini-2024-07-18:acme:support:abc123", "org-acme")
    assert model.owned_by == model.owner_org == "org-acme" and model.is_fine_tuned
    assert model.parent == "gpt-4o-mini-2024-07-18" and model.encoding == "o200k_base"
    assert model.endpoints == frozenset({"chat", "responses"})
    tomorrow = catalog.get("ft:gpt-7:acme::x", "org-acme")
    assert tomorrow.inferred is not None and tomorrow.inferred.like == "gpt-5.6-sol"


def test_a_fine_tuned_name_needs_a_text_base(catalog: ModelCatalog) -> None:
    assert catalog.find("ft:dall-e-3:acme::x", "org-acme") is None
    assert catalog.find("ft:llama-3:acme::x", "org-acme") is None


def test_inferred_names_are_never_listed(catalog: ModelCatalog) -> None:
    catalog.get("gpt-7", "org-a")
    assert "gpt-7" not in {model.id for model in catalog.list("org-a")}


def test_strict_catalogs_infer_nothing() -> None:
    strict = custom([], strict=True)
    assert strict.find("gpt-4o-mini-2030-01-01", "org-a") is None
    assert strict.find("gpt-4o-mini", "org-a") is not None


def test_inference_can_be_asked_to_stay_out(catalog: ModelCatalog) -> None:
    assert catalog.find("gpt-7", "org-a", infer=False) is None


def test_a_reserved_name_is_not_inferred() -> None:
    class Store:
        def models_for(self, org: str) -> list[ModelInfo]:
            return []

        def reserves(self, model_id: str) -> bool:
            return model_id == "ft:gpt-4o-mini-2024-07-18:other::abc"

    catalog = custom([])
    catalog.attach(Store())
    assert catalog.find("ft:gpt-4o-mini-2024-07-18:other::abc", "org-a") is None
    assert catalog.find("ft:gpt-4o-mini-2024-07-18:mine::abc", "org-a") is not None


def test_a_model_the_catalog_serves_elsewhere_gets_the_responses_only_refusal(catalog: ModelCatalog) -> None:
    with pytest.raises(errors.OpenAIError) as caught:
        catalog.require("o3-pro", "org-a", "chat", "v1/chat/completions")
    refusal = caught.value.envelope()["error"]
    assert refusal["message"] == "This model is only supported in v1/responses and not in v1/chat/completions."
    assert (caught.value.status, refusal["param"], refusal["code"]) == (404, "model", None)


# -- --models entries ---------------------------------------------------------------------------------------------


def test_an_entry_changes_a_catalog_model() -> None:
    model = custom([{"id": "gpt-4o", "context_window": 32000, "max_output_tokens": 1000}]).get("gpt-4o", "o")
    assert (model.context_window, model.max_output_tokens, model.encoding) == (32000, 1000, "o200k_base")


def test_an_entry_copies_a_model_like_another() -> None:
    catalog = custom([{"id": "acme-chat", "like": "gpt-4o-mini-2024-07-18", "owned_by": "acme"}])
    model = catalog.get("acme-chat", "o")
    assert model.owned_by == "acme" and model.encoding == "o200k_base" and "chat" in model.endpoints
    assert model.fine_tune is None and model.inferred is None
    assert "acme-chat" in {m.id for m in catalog.list("o")}


def test_an_entry_stands_alone() -> None:
    entry = {"id": "acme-embed", "endpoints": ["embeddings"], "encoding": "cl100k_base", "context_window": 512}
    model = custom([{**entry, "dimensions": 64}]).get("acme-embed", "o")
    assert (model.created, model.owned_by, model.dimensions) == (0, "system", 64)


def test_a_change_reaches_the_names_inferred_from_it() -> None:
    catalog = custom([{"id": "gpt-4o-mini", "context_window": 9000}])
    assert catalog.get("gpt-4o-mini-2030-01-01", "o").context_window == 9000


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"id": "acme", "like": "gpt-99"}, "'like' names 'gpt-99'"),
        ({"id": "acme"}, "give its 'endpoints'"),
        ({"id": "acme", "endpoints": ["chat"], "owner_org": "org-x"}, "cannot be set"),
        ({"id": "acme", "endpoints": ["telepathy"]}, "unknown endpoint families"),
    ],
    ids=["like-unknown", "new-without-endpoints", "derived-field", "unknown-family"],
)
def test_entries_that_cannot_load_say_why(entry: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        custom([entry])


def test_a_models_file_may_be_yaml_or_json(tmp_path: Path) -> None:
    listed = tmp_path / "models.yaml"
    listed.write_text("- id: acme-chat\n  like: gpt-4o-mini\n", encoding="utf-8")
    wrapped = tmp_path / "models.json"
    wrapped.write_text(json.dumps({"models": [{"id": "acme-chat", "like": "gpt-4o-mini"}]}), encoding="utf-8")
    assert read_model_file(listed) == read_model_file(wrapped) == [{"id": "acme-chat", "like": "gpt-4o-mini"}]
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("id: acme\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a list of models"):
        read_model_file(wrong)
