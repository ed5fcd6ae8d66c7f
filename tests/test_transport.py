"""The server's transport: a turn's writes leave as one, in order, and nothing written is lost on close or abort."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest

from mockai.server import ServerThread
from mockai.transport import TurnBufferedTransport


class _RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Any] = []
        self.gone = False

    def is_closing(self) -> bool:
        return self.gone

    def write(self, data: Any) -> None:
        self.events.append(bytes(data))

    def close(self) -> None:
        self.events.append("close")

    def abort(self) -> None:
        self.events.append("abort")

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 4242) if name == "peername" else default


async def _turn() -> None:
    await asyncio.sleep(0)  # lets the callbacks scheduled in this turn run: not a wait on the clock


def test_the_writes_of_one_turn_leave_as_one_write_when_the_turn_ends() -> None:
    async def scenario() -> list[Any]:
        recorded = _RecordingTransport()
        transport = TurnBufferedTransport(recorded, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b"{}"))
        assert recorded.events == [] and transport.get_write_buffer_size() == 7 + 21
        await _turn()
        transport.write(b"data: 1\n\n")  # a later turn's frame is a write of its own
        await _turn()
        return recorded.events

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"data: 1\n\n"]


@pytest.mark.parametrize("ending", ["close", "abort"])
def test_what_is_held_is_written_before_the_connection_ends(ending: str) -> None:
    async def scenario() -> list[Any]:
        recorded = _RecordingTransport()
        transport = TurnBufferedTransport(recorded, asyncio.get_running_loop())
        transport.writelines([b"data: 1\n\n", b"data: 2\n\n"])
        getattr(transport, ending)()
        await _turn()
        return recorded.events

    assert asyncio.run(scenario()) == [b"data: 1\n\ndata: 2\n\n", ending]


def test_what_is_held_when_the_peer_goes_away_is_dropped_quietly() -> None:
    async def scenario() -> list[Any]:
        recorded = _RecordingTransport()
        transport = TurnBufferedTransport(recorded, asyncio.get_running_loop())
        transport.write(b"data: 1\n\n")
        recorded.gone = True  # the client disconnected within the turn
        await _turn()
        return recorded.events

    assert asyncio.run(scenario()) == []


def test_everything_else_is_the_wrapped_transports() -> None:
    async def scenario() -> Any:
        return TurnBufferedTransport(_RecordingTransport(), asyncio.get_running_loop()).get_extra_info("peername")

    assert asyncio.run(scenario()) == ("127.0.0.1", 4242)


def test_pipelined_requests_are_answered_whole_and_in_order(server: ServerThread) -> None:
    def request(content: str) -> bytes:
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]}).encode()
        head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-t\r\n"
        return f"{head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body

    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        listing = b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sk-t\r\n\r\n"
        connection.sendall(request("one") + request("two") + listing)
        reader = connection.makefile("rb")
        answers = []
        for _ in range(3):
            status = reader.readline()
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            answers.append((status.split()[1], json.loads(reader.read(int(headers["content-length"])))))
    (first_status, first), (second_status, second), (third_status, third) = answers
    assert (first_status, second_status, third_status) == (b"200", b"200", b"200")
    assert first["object"] == second["object"] == "chat.completion" and first["id"] != second["id"]
    assert third["object"] == "list"
