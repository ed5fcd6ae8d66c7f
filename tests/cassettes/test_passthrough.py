"""Recording through an injected upstream: streams pass live, encodings are decoded, failures record nothing."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import brotli
import httpx
import pytest

from mockai.server import ServerThread
from tests.cassettes.conftest import LIVE_KEY, REPLAY_KEY, cassette_document, start_deck

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]
UPSTREAM = "http://upstream.invalid/v1"  # never resolved: the injected transport answers
FIRST = b'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n'
REST = [
    b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"Hi"}\n\n',
    b'event: response.completed\ndata: {"type":"response.completed","sequence_number":2}\n\n',
]


class _Events(httpx.AsyncByteStream):
    """An upstream stream: the first event, then (once `gate` opens) the rest, or a broken connection."""

    def __init__(self, gate: threading.Event, *, breaks: bool = False) -> None:
        self._gate = gate
        self._breaks = breaks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield FIRST
        await asyncio.to_thread(self._gate.wait, 30)
        if self._breaks:
            raise httpx.ReadError("connection reset by peer")
        for event in REST:
            yield event


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    opened = threading.Event()
    yield opened
    opened.set()  # never leave a stream waiting


def _recorder(root: Path, handler: Handler, **settings: object) -> ServerThread:
    return start_deck(root, upstream=UPSTREAM, transport=httpx.MockTransport(handler), **settings)


def _client(server: ServerThread, key: str = LIVE_KEY) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_a_stream_reaches_the_client_before_the_upstream_has_finished_it(tmp_path: Path, gate: threading.Event) -> None:
    async def responses_api(request: httpx.Request) -> httpx.Response:
        assert request.url == "http://upstream.invalid/v1/responses"
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Events(gate))

    server = _recorder(tmp_path, responses_api, cassette="live", record="all")
    try:
        with _client(server) as client, client.stream("POST", "/v1/responses", json={"stream": True}) as answer:
            chunks = answer.iter_raw()
            first = next(chunks)  # would time out if the proxy held the stream back
            assert first == FIRST and not gate.is_set()
            gate.set()
            assert first + b"".join(chunks) == FIRST + b"".join(REST)
        events = cassette_document(tmp_path, "live")["interactions"][0]["response"]["events"]
    finally:
        server.stop()
    assert [event["event"] for event in events] == [
        "response.created",
        "response.output_text.delta",
        "response.completed",
    ]
    assert events[1]["data"] == {"type": "response.output_text.delta", "delta": "Hi"}
    assert events[0]["at_ms"] <= events[1]["at_ms"] <= events[2]["at_ms"]


def test_an_upstream_that_breaks_off_drops_the_client_and_records_nothing(
    tmp_path: Path, gate: threading.Event
) -> None:
    async def breaking(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=_Events(gate, breaks=True))

    server = _recorder(tmp_path, breaking, cassette="broken", record="all")
    gate.set()
    try:
        with (
            _client(server) as client,
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("POST", "/v1/responses", json={"stream": True}) as answer,
        ):
            answer.read()
    finally:
        server.stop()
    assert not (tmp_path / "broken.json").exists()


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("br", brotli.compress)],
    ids=["gzip", "br"],
)
def test_encoded_bodies_are_stored_decoded_and_replayed_without_their_encoding(
    tmp_path: Path, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = json.dumps({"object": "list", "data": [{"id": "gpt-x"}]}, indent=2).encode() + b"\n"

    async def compressing(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-encoding": encoding}
        return httpx.Response(200, headers=headers, content=compress(body))

    recorder = _recorder(tmp_path, compressing, cassette="encoded", record="all")
    try:
        with _client(recorder) as client:
            recorded = client.get("/v1/models")
    finally:
        recorder.stop()
    replayer = start_deck(tmp_path, cassette="encoded")
    try:
        with _client(replayer, REPLAY_KEY) as client:
            replayed = client.get("/v1/models", headers={"Accept-Encoding": "identity"})
    finally:
        replayer.stop()
    assert recorded.content == replayed.content == body
    assert "content-encoding" not in replayed.headers
    stored = cassette_document(tmp_path, "encoded")["interactions"][0]["response"]
    assert stored["body"]["json"] == json.loads(body) and stored["body"]["layout"]["indent"] == 2
    assert "content-encoding" not in stored["headers"]


def test_the_recording_key_replaces_the_clients_and_is_scrubbed_wherever_it_appears(tmp_path: Path) -> None:
    real = "sk-proj-real-upstream-key-987654321"
    seen: list[str] = []

    async def echoing(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        error = {"error": {"message": f"Key {real} has no access", "type": "invalid_request_error"}}
        return httpx.Response(403, json=error)

    server = _recorder(tmp_path, echoing, cassette="keyed", record="all", record_api_key=real)
    try:
        with _client(server, "sk-fake-client-key-123") as client:
            answer = client.post("/v1/images/generations", json={"prompt": "x"})
    finally:
        server.stop()
    assert seen == [f"Bearer {real}"]
    assert answer.status_code == 403
    text = (tmp_path / "keyed.json").read_text(encoding="utf-8")
    assert real not in text and "sk-fake-client-key-123" not in text
    assert "Key REDACTED has no access" in text


def test_an_unreachable_upstream_answers_502_and_records_nothing(tmp_path: Path) -> None:
    async def refusing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    server = _recorder(tmp_path, refusing, cassette="unreachable", record="new")
    try:
        with _client(server) as client:
            answer = client.get("/v1/models")
    finally:
        server.stop()
    assert answer.status_code == 502
    assert answer.json()["error"]["code"] == "upstream_unreachable"
    assert "http://upstream.invalid/v1 failed (ConnectError: connection refused)" in answer.json()["error"]["message"]
    assert not (tmp_path / "unreachable.json").exists()


def test_a_cassette_that_cannot_be_written_drops_the_client(tmp_path: Path) -> None:
    async def models(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"object": "list", "data": []})

    (tmp_path / "taken").write_text("a file where the cassette folder should be")
    server = _recorder(tmp_path, models, cassette="taken/cassette", record="all")
    try:
        with _client(server) as client, pytest.raises(httpx.RemoteProtocolError):
            client.get("/v1/models")
    finally:
        server.stop()
