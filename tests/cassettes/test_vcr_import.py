"""Cassettes written by vcrpy import into mockai's format and replay, with the keys vcrpy kept removed."""

from __future__ import annotations

import base64
from pathlib import Path

import brotli
import httpx
import pytest
import vcr
from click.testing import CliRunner

from mockai import cli
from mockai.cassettes.storage import CassetteError
from mockai.cassettes.vcr import import_vcr
from mockai.server import ServerThread
from tests.cassettes.conftest import LIVE_KEY, REPLAY_KEY, cassette_document, chat, start_deck


def test_a_vcrpy_cassette_imports_and_replays_the_same_bytes(tmp_path: Path, upstream: ServerThread) -> None:
    yaml_path = tmp_path / "vcr" / "test_chat.yaml"
    headers = {"Authorization": f"Bearer {LIVE_KEY}"}
    with vcr.use_cassette(str(yaml_path)), httpx.Client(base_url=upstream.base_url, headers=headers) as client:
        recorded = [
            client.post("/v1/chat/completions", json=chat("Hello from vcr")),
            client.post("/v1/chat/completions", json=chat("Hello from vcr", stream=True)),
            client.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "vcr"}),
            client.get("/v1/models/not-a-model"),
        ]
    assert LIVE_KEY in yaml_path.read_text()  # what vcrpy keeps by default

    result = CliRunner().invoke(cli.main, ["cassettes", "import-vcr", str(tmp_path / "vcr"), str(tmp_path / "mock")])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("imported 1 cassette, 4 interactions\n")
    document = cassette_document(tmp_path / "mock", "test_chat")
    assert LIVE_KEY not in (tmp_path / "mock" / "test_chat.json").read_text()
    assert document["interactions"][1]["response"]["events"][-1]["data"] == "[DONE]"
    assert all(item["recorded_with"].startswith("vcrpy (imported by mockai") for item in document["interactions"])

    server = start_deck(tmp_path / "mock", cassette="test_chat")
    try:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {REPLAY_KEY}"}) as client:
            replayed = [
                client.post("/v1/chat/completions", json=chat("Hello from vcr")),
                client.post("/v1/chat/completions", json=chat("Hello from vcr", stream=True)),
                client.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "vcr"}),
                client.get("/v1/models/not-a-model"),
            ]
    finally:
        server.stop()
    assert [answer.status_code for answer in replayed] == [answer.status_code for answer in recorded]
    assert [answer.content for answer in replayed] == [answer.content for answer in recorded]


VCR_YAML = """\
interactions:
- request:
    body: '{"model": "gpt-4o", "input": "Hi", "stream": true}'
    headers:
      authorization: [Bearer sk-vcr-secret-key-0000000000]
      content-type: [application/json]
    method: POST
    uri: https://example.openai.azure.com/openai/v1/responses?api-version=preview
  response:
    body:
      string: !!binary |
        BODY
    headers:
      content-encoding: [br]
      content-type: [text/event-stream; charset=utf-8]
    status: {code: 200, message: OK}
version: 1
"""


def test_br_bodies_streams_and_custom_base_urls_import(tmp_path: Path) -> None:
    stream = b'event: response.created\ndata: {"type":"response.created"}\n\ndata: [DONE]\n\n'
    source = tmp_path / "azure.yaml"
    source.write_text(VCR_YAML.replace("BODY", base64.b64encode(brotli.compress(stream)).decode()))
    cassette = import_vcr(source, base_url="https://example.openai.azure.com/openai/v1")
    (interaction,) = cassette.interactions
    assert (interaction.request.path, interaction.request.query) == ("/v1/responses", "api-version=preview")
    assert interaction.request.headers["authorization"] == "REDACTED"
    assert interaction.response.content() == stream
    assert [event.get("event") for event in interaction.response.events or ()] == ["response.created", None]
    assert "content-encoding" not in interaction.response.headers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("interactions: [", "is not a vcrpy cassette", id="not-yaml"),
        pytest.param("version: 1\n", "no 'interactions' list", id="no-interactions"),
        pytest.param("interactions:\n- request: {}\n", "interaction 0: KeyError", id="incomplete"),
    ],
)
def test_what_is_not_a_vcrpy_cassette_is_refused_by_name(tmp_path: Path, text: str, expected: str) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(text)
    with pytest.raises(CassetteError, match=expected) as refused:
        import_vcr(source)
    assert str(source) in str(refused.value)
    result = CliRunner().invoke(cli.main, ["cassettes", "import-vcr", str(source), str(tmp_path / "out.json")])
    assert result.exit_code == 1 and expected in result.output
