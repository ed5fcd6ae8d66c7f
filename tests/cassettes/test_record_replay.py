"""Record real traffic once, replay it offline: the same bytes and the same events, with the upstream gone."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from mockai.cassettes.events import EventSplitter
from mockai.contract.registry import default_registry
from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.cassettes.conftest import LIVE_KEY, REPLAY_KEY, cassette_document, chat, start_deck
from tests.conftest import start_server

UPLOAD = b'{"prompt": "Say hi", "completion": " hi"}\n{"prompt": "Say bye", "completion": " bye"}\n'
ORGANIZATION = "org-secret-organization-0042"


def _traffic(client: httpx.Client) -> dict[str, httpx.Response]:
    """One of everything: chat as JSON and as a stream, base64 embeddings, a file upload, an error, and a path
    mockai itself does not serve."""
    return {
        "chat": client.post("/v1/chat/completions", json=chat("Hello there")),
        "stream": client.post("/v1/chat/completions", json=chat("Hello there", stream=True)),
        "embeddings": client.post(
            "/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "hi", "encoding_format": "base64"}
        ),
        "upload": client.post("/v1/files", data={"purpose": "fine-tune"}, files={"file": ("t.jsonl", UPLOAD)}),
        "error": client.get("/v1/models/no-such-model"),
        "unknown": client.post("/v1/vector_stores", json={"name": "docs"}),
    }


def _events(body: bytes) -> list[bytes]:
    splitter = EventSplitter()
    events = splitter.feed(body)
    assert splitter.rest() == b""
    return events


def test_a_recording_replays_byte_for_byte_with_the_upstream_stopped(tmp_path: Path) -> None:
    upstream = start_server()
    recorder = start_deck(tmp_path, upstream=upstream.base_url + "/v1", cassette="everything", record="all")
    headers = {"Authorization": f"Bearer {LIVE_KEY}", "OpenAI-Organization": ORGANIZATION}
    with httpx.Client(base_url=recorder.base_url, headers=headers, timeout=30) as client:
        recorded = _traffic(client)
    upstream.stop()
    recorder.stop()
    assert [response.status_code for response in recorded.values()] == [200, 200, 200, 200, 404, 404]

    replayer = start_deck(tmp_path, cassette="everything")  # no upstream at all
    try:
        with httpx.Client(base_url=replayer.base_url, headers={"Authorization": f"Bearer {REPLAY_KEY}"}) as client:
            replayed = _traffic(client)
    finally:
        replayer.stop()

    for name, original in recorded.items():
        assert replayed[name].status_code == original.status_code, name
        assert replayed[name].content == original.content, name
        assert replayed[name].headers["content-type"] == original.headers["content-type"], name
    stream = _events(replayed["stream"].content)
    assert stream == _events(recorded["stream"].content)
    assert stream[-1] == b"data: [DONE]\n\n" and len(stream) > 3


def test_secrets_never_reach_the_cassette(tmp_path: Path, upstream: ServerThread) -> None:
    recorder = start_deck(tmp_path, upstream=upstream.base_url + "/v1", cassette="secrets", record="all")
    headers = {"Authorization": f"Bearer {LIVE_KEY}", "OpenAI-Organization": ORGANIZATION, "Cookie": "s=c00kie-value"}
    try:
        with httpx.Client(base_url=recorder.base_url, headers=headers, timeout=30) as client:
            _traffic(client)
            client.get("/v1/models", params={"api-key": LIVE_KEY})
    finally:
        recorder.stop()
    text = (tmp_path / "secrets.json").read_text(encoding="utf-8")
    assert LIVE_KEY not in text and ORGANIZATION not in text and "c00kie-value" not in text
    requests = [item["request"] for item in cassette_document(tmp_path, "secrets")["interactions"]]
    assert {request["headers"]["authorization"] for request in requests} == {"REDACTED"}
    assert requests[0]["headers"]["openai-organization"] == requests[0]["headers"]["cookie"] == "REDACTED"
    assert requests[-1]["query"] == "api-key=REDACTED"


def test_a_cassette_keeps_bodies_readable(tmp_path: Path, upstream: ServerThread) -> None:
    recorder = start_deck(tmp_path, upstream=upstream.base_url + "/v1", cassette="readable", record="all")
    try:
        with httpx.Client(base_url=recorder.base_url, headers={"Authorization": f"Bearer {LIVE_KEY}"}) as client:
            _traffic(client)
    finally:
        recorder.stop()
    chat_json, stream, embeddings, upload, error, _ = cassette_document(tmp_path, "readable")["interactions"]
    assert chat_json["request"]["body"] == {"json": chat("Hello there")}
    assert chat_json["response"]["body"]["json"]["object"] == "chat.completion"
    assert [event["data"]["object"] for event in stream["response"]["events"][:-1]] == ["chat.completion.chunk"] * (
        len(stream["response"]["events"]) - 1
    )
    assert stream["response"]["events"][-1]["data"] == "[DONE]"
    assert isinstance(embeddings["response"]["body"]["json"]["data"][0]["embedding"], str)  # base64, as sent
    file_part = upload["request"]["body"]["form"][-1]
    assert (file_part["name"], file_part["filename"], file_part["text"]) == ("file", "t.jsonl", UPLOAD.decode())
    assert error["response"]["status"] == 404
    assert all(item["recorded_with"] == "mockai 0.1.0" for item in (chat_json, stream, upload))


def test_record_new_records_only_what_is_missing(deck: MockAI, live: httpx.Client, upstream: ServerThread) -> None:
    upstream_log = MockAI(upstream.base_url)
    deck.cassettes.use("partial", record="new")
    first = live.post("/v1/chat/completions", json=chat("first"))
    deck.cassettes.use("partial", record="new")  # a later run
    upstream_log.requests.clear()
    again = live.post("/v1/chat/completions", json=chat("first"))
    live.post("/v1/chat/completions", json=chat("second"))
    assert again.content == first.content
    assert [request.json["messages"][0]["content"] for request in upstream_log.requests] == ["second"]
    outcomes = [entry.cassette["outcome"] for entry in deck.requests.filter(path="/v1/chat/completions")]
    assert outcomes == ["recorded", "replayed", "recorded"]
    assert deck.cassettes.state()["interactions"] == 2
    upstream_log.close()


def test_a_miss_answers_404_cassette_miss_with_the_closest_recording(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("miss", record="all")
    live.post("/v1/chat/completions", json=chat("What's the weather in Paris?", temperature=0.2))
    deck.cassettes.use("miss")
    answer = live.post("/v1/chat/completions", json=chat("What's the weather in Rome?"))
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "cassette_miss", None)
    assert error["message"].splitlines() == [
        "mockai: no recorded interaction in cassette 'miss' matches POST /v1/chat/completions, and the cassette only "
        "replays (record mode 'none').",
        "Closest recording: interaction 0 (POST /v1/chat/completions), which differs in:",
        '  body.messages[0].content: recorded "What\'s the weather in Paris?", sent "What\'s the weather in Rome?"',
        "  body.temperature: recorded 0.2, sent nothing",
        "Record what is missing with record mode 'new': @pytest.mark.mockai(record=\"new\"), pytest "
        "--mockai-record=new, or mockai serve --record new --record-upstream URL.",
    ]
    entry = deck.requests.last.raw
    default_registry().validator("mockai/journal-entry").validate(entry)
    assert entry["cassette"]["closest"] == {
        "interaction": 0,
        "differences": [line.strip() for line in error["message"].splitlines()[2:4]],
        "played": False,
    }
    assert [miss.path for miss in deck.cassettes.misses()] == ["/v1/chat/completions"]


def test_identical_requests_replay_in_recorded_order_each_once(deck: MockAI, live: httpx.Client) -> None:
    unseeded = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Pick"}], "max_tokens": 4}
    deck.cassettes.use("twice", record="all")
    recorded = [live.post("/v1/chat/completions", json=unseeded).json()["id"] for _ in range(2)]
    assert recorded[0] != recorded[1]
    deck.cassettes.use("twice")
    replayed = [live.post("/v1/chat/completions", json=unseeded) for _ in range(3)]
    assert [answer.json().get("id") for answer in replayed[:2]] == recorded
    assert replayed[2].status_code == 404
    assert "identical but already replayed" in replayed[2].json()["error"]["message"]


def test_fields_that_vary_are_ignored_by_default_and_on_request(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("ignored", record="all")
    recorded = live.post("/v1/chat/completions", json=chat("hi", user="alice", temperature=0.5))
    deck.cassettes.use("ignored", ignore=["temperature"])
    varied = chat("hi", user="bob", metadata={"run": "2"}, temperature=0.9)
    assert live.post("/v1/chat/completions", json=varied).content == recorded.content


def test_body_patterns_are_redacted_and_replayed_requests_still_match(
    tmp_path: Path, deck: MockAI, live: httpx.Client
) -> None:
    deck.cassettes.use("patterns", record="all", redact=[r"acct-\d+"])
    recorded = live.post("/v1/chat/completions", json=chat("Refund acct-12345 today"))
    text = (tmp_path / "patterns.json").read_text(encoding="utf-8")
    assert "acct-12345" not in text and "Refund REDACTED today" in text
    deck.cassettes.use("patterns")  # the cassette remembers its patterns
    assert live.post("/v1/chat/completions", json=chat("Refund acct-12345 today")).content == recorded.content


def test_rules_win_over_the_cassette(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("ruled", record="all")
    live.post("/v1/chat/completions", json=chat("Weather?"))
    deck.cassettes.use("ruled")
    deck.chat.reply("Scripted sunshine", times=1)
    deck.embeddings.respond({"object": "list", "data": []}, times=1)
    scripted = live.post("/v1/chat/completions", json=chat("Weather?"))
    assert scripted.json()["choices"][0]["message"]["content"] == "Scripted sunshine"
    assert live.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "x"}).json()["data"] == []
    replayed = live.post("/v1/chat/completions", json=chat("Weather?"))  # the rules are used up
    assert replayed.json()["choices"][0]["message"]["content"] != "Scripted sunshine"
    assert deck.requests.last.cassette["outcome"] == "replayed"


def test_faults_apply_to_replayed_streams_and_requests(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("faulty", record="all")
    whole = live.post("/v1/chat/completions", json=chat("Stream it", stream=True)).content
    deck.cassettes.use("faulty")
    deck.faults.drop_stream(after_chunks=2, times=1)
    with (
        pytest.raises(httpx.RemoteProtocolError),
        live.stream("POST", "/v1/chat/completions", json=chat("Stream it", stream=True)) as answer,
    ):
        received = b""
        for chunk in answer.iter_raw():
            received += chunk
    assert _events(received) == _events(whole)[:2]
    deck.cassettes.use("faulty")
    deck.faults.status(503, times=1)
    assert live.post("/v1/chat/completions", json=chat("Stream it", stream=True)).status_code == 503


def test_the_journal_names_the_cassette_of_each_replayed_interaction(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("journaled", record="all")
    live.get("/v1/models")
    deck.cassettes.use("journaled")
    live.get("/v1/models")
    entry = deck.requests.last.raw
    default_registry().validator("mockai/journal-entry").validate(entry)
    assert entry["cassette"] == {
        "name": "journaled",
        "record": "none",
        "outcome": "replayed",
        "interaction": 0,
        "closest": None,
    }
    assert entry["operation_id"] == "listModels" and entry["status"] == 200


def test_the_sdk_reads_replayed_answers(deck: MockAI, deck_server: ServerThread, live: httpx.Client) -> None:
    deck.cassettes.use("sdk", record="all")
    live.post("/v1/chat/completions", json=chat("Hello there", stream=True))
    live.post("/v1/chat/completions", json=chat("Hello there"))
    deck.cassettes.use("sdk")
    client = openai.OpenAI(
        base_url=f"{deck_server.base_url}/v1", api_key=REPLAY_KEY, max_retries=0, _strict_response_validation=True
    )
    with client:
        stream = client.chat.completions.create(stream=True, **chat("Hello there"))
        streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        whole = client.chat.completions.create(**chat("Hello there")).choices[0].message.content
    assert streamed and streamed == whole  # mockai's own invariant, kept through the recording


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("{not json", "is not valid JSON at line 1, column 2", id="unparsable"),
        pytest.param(
            json.dumps({"mockai_cassette": 1, "interactions": [{"recorded_at": 1}]}, indent=2),
            "at interactions[0] (line 4, column 5)",
            id="schema-invalid",
        ),
    ],
)
def test_a_broken_cassette_is_refused_naming_the_file_and_position(
    tmp_path: Path, deck: MockAI, content: str, expected: str
) -> None:
    (tmp_path / "broken.json").write_text(content, encoding="utf-8")
    with pytest.raises(Exception, match="Invalid mockai control document") as refused:
        deck.cassettes.use("broken")
    assert str(tmp_path / "broken.json") in str(refused.value) and expected in str(refused.value)


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "a//b", "a/./b", ""])
def test_cassette_names_stay_inside_the_cassette_folder(live: httpx.Client, name: str) -> None:
    answer = live.put("/_mockai/cassette", json={"name": name})
    assert answer.status_code == 400


def test_without_a_cassette_unknown_paths_are_still_404_invalid_url(live: httpx.Client) -> None:
    answer = live.post("/v1/vector_stores", json={})
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "Invalid URL (POST /v1/vector_stores)"


def test_recording_needs_an_upstream(tmp_path: Path) -> None:
    server = start_deck(tmp_path)
    try:
        answer = httpx.put(f"{server.base_url}/_mockai/cassette", json={"name": "x", "record": "new"})
    finally:
        server.stop()
    assert answer.status_code == 400
    assert "record mode 'new' needs an upstream" in answer.json()["error"]["message"]


def test_replay_at_recorded_pace_waits_the_recorded_delays_divided_by_the_speed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [
        {"at_ms": 100.0, "data": {"n": 1}},
        {"at_ms": 300.0, "data": {"n": 2}},
        {"at_ms": 300.0, "data": "[DONE]"},
    ]
    request = {"method": "POST", "path": "/v1/responses", "body": {"json": {"stream": True}}}
    response = {"status": 200, "headers": {"content-type": "text/event-stream"}, "latency_ms": 500.0, "events": events}
    interaction = {"recorded_at": "2026-11-29T00:00:00Z", "recorded_with": "test", "request": request}
    document = {"mockai_cassette": 1, "interactions": [{**interaction, "response": response}]}
    (tmp_path / "paced.json").write_text(json.dumps(document))
    asked: list[float] = []

    async def noted(seconds: float) -> None:  # client-observable waits, noted instead of slept
        if seconds > 0:
            asked.append(seconds)

    monkeypatch.setattr("mockai.api.cassettes.pace", noted)
    server = start_deck(tmp_path, cassette="paced", replay_speed=2.0)
    try:
        answer = httpx.post(
            f"{server.base_url}/v1/responses", json={"stream": True}, headers={"Authorization": "Bearer k"}
        )
    finally:
        server.stop()
    assert answer.content == b'data: {"n":1}\n\ndata: {"n":2}\n\ndata: [DONE]\n\n'
    assert asked == [0.25, 0.05, 0.1]


def test_methods_mockai_does_not_serve_on_its_paths_are_recorded_too(deck: MockAI, live: httpx.Client) -> None:
    deck.cassettes.use("methods", record="all")
    recorded = live.get("/v1/chat/completions", params={"limit": 2})  # listing stored completions
    assert deck.cassettes.state()["interactions"] == 1
    deck.cassettes.use("methods")
    assert live.get("/v1/chat/completions", params={"limit": 2}).content == recorded.content
    deck.cassettes.eject()
    assert live.get("/v1/chat/completions").status_code == 405


def test_a_bad_redaction_pattern_is_refused_by_name(live: httpx.Client) -> None:
    answer = live.put("/_mockai/cassette", json={"name": "x", "redact": ["("]})
    assert answer.status_code == 400
    assert "invalid redaction pattern '('" in answer.json()["error"]["message"]
