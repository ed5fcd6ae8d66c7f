"""The catalog over HTTP: today's models, names inferred from OpenAI's naming, `--strict-models` and `--models FILE`,
through the official SDK (strict) and raw HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from jsonschema import ValidationError

from mockai.engine.png import read_png
from mockai.server import ServerThread
from tests.api.test_audio import wav
from tests.conftest import API_KEY, start_server

HELLO = [{"role": "user", "content": "Hello!"}]
RUSSIAN = [{"role": "user", "content": "Привет, как дела у тебя сегодня?"}]


def journal_entry(http: httpx.Client, path: str) -> dict[str, Any]:
    entries = http.get("/_mockai/requests", params={"path": path}).json()["data"]
    return entries[-1]  # type: ignore[no-any-return]


def strict_client(server: ServerThread, **options: Any) -> Any:
    return openai.OpenAI(
        base_url=f"{server.base_url}/v1", api_key=API_KEY, max_retries=0, _strict_response_validation=True, **options
    )


# -- names inferred from OpenAI's naming ---------------------------------------------------------------------------


def test_a_snapshot_that_ships_tomorrow_answers_chat(client: Any, http: httpx.Client) -> None:
    reply = client.chat.completions.create(model="gpt-4o-mini-2030-01-01", messages=RUSSIAN, max_tokens=5)
    assert reply.model == "gpt-4o-mini-2030-01-01" and reply.choices[0].message.content is not None
    entry = journal_entry(http, "/v1/chat/completions")
    assert entry["model_inferred"] == {"like": "gpt-4o-mini", "reason": "a dated snapshot of gpt-4o-mini"}
    # Counted in o200k like its alias, not in gpt-4's cl100k (they differ on this text: 9 and 16 tokens).
    alias = client.chat.completions.create(model="gpt-4o-mini", messages=RUSSIAN, max_tokens=1)
    older = client.chat.completions.create(model="gpt-4", messages=RUSSIAN, max_tokens=1)
    assert reply.usage.prompt_tokens == alias.usage.prompt_tokens < older.usage.prompt_tokens


def test_a_catalog_model_is_not_marked_inferred(client: Any, http: httpx.Client) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=1)
    assert journal_entry(http, "/v1/chat/completions")["model_inferred"] is None


def test_an_inferred_name_serves_embeddings(client: Any, http: httpx.Client) -> None:
    result = client.embeddings.create(
        model="text-embedding-4-large", input="The food was delicious", encoding_format="float"
    )
    assert result.model == "text-embedding-4-large" and len(result.data[0].embedding) == 3072
    assert journal_entry(http, "/v1/embeddings")["model_inferred"]["like"] == "text-embedding-3-large"


def test_an_inferred_name_serves_images(client: Any, http: httpx.Client) -> None:
    result = client.images.generate(model="gpt-image-3", prompt="A lighthouse at dawn", size="1024x1024", quality="low")
    picture = read_png(base64.b64decode(result.data[0].b64_json))  # GPT image models answer in base64 only
    assert (picture.width, picture.height) == (1024, 1024)
    assert journal_entry(http, "/v1/images/generations")["model_inferred"]["like"] == "gpt-image-1"


def test_an_inferred_name_serves_transcriptions_but_not_translations(client: Any, http: httpx.Client) -> None:
    greeting = "Good morning, the train to Lyon leaves at nine."
    audio = ("greeting.wav", wav(3.0, comment=greeting))  # the transcript rides in the file
    result = client.audio.transcriptions.create(model="gpt-5-transcribe", file=audio)
    assert result.text == greeting
    assert journal_entry(http, "/v1/audio/transcriptions")["model_inferred"]["like"] == "gpt-4o-transcribe"
    refused = http.post("/v1/audio/translations", files={"file": audio}, data={"model": "gpt-5-transcribe"})
    assert refused.status_code == 404
    assert (
        refused.json()["error"]["message"]
        == "The model `gpt-5-transcribe` does not support the v1/audio/translations endpoint."
    )


def test_a_fine_tuned_name_mockai_did_not_train_answers_for_the_callers_organization(
    server: ServerThread, http: httpx.Client
) -> None:
    client = strict_client(server, organization="org-acme")
    name = "ft:gpt-4o-mini-2024-07-18:acme:support:7p4lURel"
    reply = client.chat.completions.create(model=name, messages=HELLO, max_tokens=3)
    assert reply.model == name
    model = client.models.retrieve(name)
    assert (model.id, model.owned_by) == (name, "org-acme")
    assert journal_entry(http, f"/v1/models/{name}")["model_inferred"]["like"] == "gpt-4o-mini-2024-07-18"


def test_inferred_names_are_retrievable_but_never_listed(client: Any) -> None:
    model = client.models.retrieve("gpt-7")
    assert (model.id, model.object, model.owned_by) == ("gpt-7", "model", "system")
    assert "gpt-7" not in {listed.id for listed in client.models.list()}


def test_deleting_an_inferred_name_finds_nothing_to_delete(http: httpx.Client) -> None:
    response = http.delete("/v1/models/ft:gpt-4o-mini-2024-07-18:acme::nothing")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "model_not_found")


# -- today's catalog ---------------------------------------------------------------------------------------------


def test_the_listing_has_todays_models_with_the_modern_object(client: Any, http: httpx.Client) -> None:
    ids = {model.id for model in client.models.list()}
    assert {"gpt-5.5", "gpt-4.1-2025-04-14", "o4-mini", "gpt-image-1", "gpt-4o-transcribe", "tts-1", "sora-2"} <= ids
    assert http.get("/v1/models/gpt-5.5").json().keys() == {"id", "object", "created", "owned_by"}
    assert "permission" in http.get("/v1/models/gpt-3.5-turbo").json()  # the seed era's object stays


def test_gpt_image_1_generates_in_base64(client: Any, http: httpx.Client) -> None:
    result = client.images.generate(model="gpt-image-1", prompt="A red kite", size="1536x1024")
    picture = read_png(base64.b64decode(result.data[0].b64_json))
    assert (picture.width, picture.height) == (1536, 1024)
    refused = http.post(
        "/v1/images/generations", json={"model": "gpt-image-1", "prompt": "x", "response_format": "url"}
    )
    assert (refused.status_code, refused.json()["error"]["param"]) == (400, "response_format")


def test_a_responses_only_model_is_refused_on_chat_as_the_real_api_does(http: httpx.Client) -> None:
    response = http.post("/v1/chat/completions", json={"model": "o3-pro", "messages": HELLO})
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "message": "This model is only supported in v1/responses and not in v1/chat/completions.",
            "type": "invalid_request_error",
            "param": "model",
            "code": None,
        }
    }


# -- --strict-models and --models FILE ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server() -> Iterator[ServerThread]:
    running = start_server(strict_models=True)
    yield running
    running.stop()


def test_strict_models_answer_the_real_404_for_a_name_outside_the_catalog(strict_server: ServerThread) -> None:
    with httpx.Client(base_url=strict_server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        response = http.post("/v1/chat/completions", json={"model": "gpt-4o-mini-2030-01-01", "messages": HELLO})
        assert response.status_code == 404
        assert response.json() == {
            "error": {
                "message": "The model `gpt-4o-mini-2030-01-01` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
        }
        assert http.post("/v1/chat/completions", json={"model": "gpt-4o-mini", "messages": HELLO}).status_code == 200


def test_strict_models_refuse_through_the_sdk(strict_server: ServerThread) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        strict_client(strict_server).embeddings.create(
            model="text-embedding-4-large", input="x", encoding_format="float"
        )
    assert caught.value.body["code"] == "model_not_found"


@pytest.fixture(scope="module")
def custom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    path: Path = tmp_path_factory.mktemp("models") / "models.yaml"
    path.write_text(
        "models:\n"
        "  - {id: acme-support-1, like: gpt-4o-mini, owned_by: acme, max_output_tokens: 100}\n"
        "  - {id: gpt-4o, context_window: 2000}\n",
        encoding="utf-8",
    )
    running = start_server(models_file=path)
    yield running
    running.stop()


def test_a_models_file_adds_a_model(custom_server: ServerThread) -> None:
    client = strict_client(custom_server)
    listed = {model.id: model for model in client.models.list()}
    assert listed["acme-support-1"].owned_by == "acme"
    reply = client.chat.completions.create(model="acme-support-1", messages=HELLO, max_tokens=100)
    assert reply.model == "acme-support-1"
    with pytest.raises(openai.BadRequestError, match="at most 100 completion tokens"):
        client.chat.completions.create(model="acme-support-1", messages=HELLO, max_tokens=101)


def test_a_models_file_overrides_a_model(custom_server: ServerThread) -> None:
    with httpx.Client(base_url=custom_server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        body = {"model": "gpt-4o", "messages": HELLO, "max_tokens": 1995}
        response = http.post("/v1/chat/completions", json=body)
    assert response.json()["error"]["code"] == "context_length_exceeded"
    assert "maximum context length is 2000 tokens" in response.json()["error"]["message"]


def test_models_file_entries_are_checked_against_their_schema(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps([{"id": "acme", "endpoints": ["chat"], "context_window": "big"}]), encoding="utf-8")
    with pytest.raises(ValidationError):
        start_server(models_file=path)
