"""Cassette files stay whole: concurrent recordings, a crash while writing, and `kill -9` while recording."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mockai.cassettes import storage
from mockai.cassettes.model import Cassette
from mockai.server import ServerThread
from tests.cassettes.conftest import LIVE_KEY, cassette_document, start_deck
from tests.conftest import start_server


def test_two_clients_recording_at_once_keep_their_interactions_whole(tmp_path: Path) -> None:
    in_flight = threading.Barrier(2, timeout=10)

    async def tagged_stream(request: httpx.Request) -> httpx.Response:
        tag = json.loads(request.content)["tag"]

        async def events():  # type: ignore[no-untyped-def]
            yield f'data: {{"tag":"{tag}","n":1}}\n\n'.encode()
            await asyncio.to_thread(in_flight.wait)  # both streams are passing through before either ends
            yield f'data: {{"tag":"{tag}","n":2}}\n\n'.encode()
            yield b"data: [DONE]\n\n"

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events())

    server = start_deck(
        tmp_path,
        upstream="http://upstream.invalid/v1",
        transport=httpx.MockTransport(tagged_stream),
        cassette="together",
        record="all",
    )

    def record(tag: str) -> bytes:
        headers = {"Authorization": f"Bearer {LIVE_KEY}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=10) as client:
            return client.post("/v1/responses", json={"tag": tag, "stream": True}).content

    try:
        with ThreadPoolExecutor(2) as pool:
            bodies = list(pool.map(record, ["a", "b"]))
    finally:
        server.stop()
    interactions = cassette_document(tmp_path, "together")["interactions"]
    assert len(interactions) == 2
    for interaction in interactions:
        tag = interaction["request"]["body"]["json"]["tag"]
        data = [event["data"] for event in interaction["response"]["events"]]
        assert data == [{"tag": tag, "n": 1}, {"tag": tag, "n": 2}, "[DONE]"]
    assert all(body.endswith(b"data: [DONE]\n\n") for body in bodies)


def test_a_crash_while_writing_leaves_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.json"
    storage.write_atomic(path, storage.dump(Cassette()))

    def crash(source: str, target: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        storage.write_atomic(path, "half a cassette")
    assert json.loads(path.read_text()) == Cassette().to_json()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_leftovers_of_an_interrupted_write_are_swept_when_the_cassette_is_used(tmp_path: Path) -> None:
    (tmp_path / ".c.json.x1y2.tmp").write_text('{"mockai_cassette": 1, "interac')
    (tmp_path / ".other.json.x1y2.tmp").write_text("not ours")
    server = start_deck(tmp_path, cassette="c")
    server.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.json.x1y2.tmp"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _record_then_kill(port: int, root: Path, process: subprocess.Popen[str]) -> None:
    headers = {"Authorization": f"Bearer {LIVE_KEY}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as client:
        assert client.get("/v1/models").status_code == 200
        assert len(cassette_document(root, "killed")["interactions"]) == 1
        long_stream = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Tell"}], "stream": True}
        with client.stream("POST", "/v1/chat/completions", json=long_stream) as answer:
            next(answer.iter_raw())  # the stream is passing through
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)


def test_kill_9_while_recording_leaves_only_whole_interactions(tmp_path: Path) -> None:
    # A slow upstream stream: the recorder is killed while it passes through.
    upstream: ServerThread = start_server()
    httpx.post(f"{upstream.base_url}/_mockai/faults", json={"kind": "pace", "tokens_per_second": 20})
    port = _free_port()
    command = [sys.executable, "-m", "mockai", "record", "--upstream", upstream.base_url + "/v1", "--port", str(port)]
    command += ["--cassettes", str(tmp_path), "--cassette", "killed", "--log-level", "info"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            for line in process.stderr:  # uvicorn announces readiness; no sleeping
                if "Uvicorn running on" in line:
                    break
            _record_then_kill(port, tmp_path, process)
        finally:
            process.kill()
            upstream.stop()
    document = cassette_document(tmp_path, "killed")
    assert [item["request"]["path"] for item in document["interactions"]] == ["/v1/models"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["killed.json"]
