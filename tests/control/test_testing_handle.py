"""The `MockAI` builders compile to schema-valid documents and refuse bad arguments eagerly, naming them."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.contract.registry import default_registry
from mockai.testing import AdminConnection, Match, MockAI, unused_rules_message


class RecordingMockAI(MockAI):
    """Captures what the handle would send to the admin API instead of sending it."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9")
        self.sent: list[tuple[str, str, Any]] = []

    def _admin(self, method: str, path: str, **options: Any) -> Any:
        document = options.get("document")
        self.sent.append((method, path, document))
        return {"id": "rule-1", **(document or {})}


@pytest.fixture
def recorder() -> RecordingMockAI:
    return RecordingMockAI()


def _valid(schema: str, document: Any) -> bool:
    return default_registry().validator(schema).is_valid(document)


lookups = st.dictionaries(
    st.sampled_from(
        [
            "model",
            "model__regex",
            "path",
            "method",
            "last_user",
            "header__x_trace",
            "json__messages__-1__content__regex",
            "json__n__in",
            "json__stream__exists",
            "form__purpose",
        ]
    ),
    st.text(min_size=1, max_size=5).filter(lambda text: "(" not in text and "[" not in text),
    max_size=4,
)


@given(lookups, st.sampled_from(["chat", "completions", "transcriptions"]), st.integers(0, 9))
def test_every_text_rule_builder_compiles_to_a_valid_rule(lookup: dict[str, str], family: str, priority: int) -> None:
    recorder = RecordingMockAI()
    routes = getattr(recorder, family)
    routes.reply("Sunny", when=Match(**lookup), priority=priority)
    routes.reply_sequence(["A", {"kind": "error", "status": 500}], when=Match(**lookup))
    routes.fail(429, headers={"retry-after": "1"}, times=2, when=Match(**lookup))
    routes.respond({"x": 1}, status=201, when=Match(**lookup))
    for _, _, document in recorder.sent:
        assert _valid("mockai/rule", document), document


def test_tool_call_replies_finish_with_tool_calls(recorder: RecordingMockAI) -> None:
    recorder.chat.reply(tool_calls=[recorder.tool_call("f", {"a": 1})])
    reply = recorder.sent[-1][2]["reply"]
    assert (reply["finish_reason"], reply["tool_calls"][0]["function"]["name"]) == ("tool_calls", "f")
    assert _valid("mockai/rule", recorder.sent[-1][2])


def test_every_fault_builder_compiles_to_a_valid_fault(recorder: RecordingMockAI) -> None:
    faults = recorder.faults
    faults.status(503, times=2)
    faults.status(500, rate=0.5, seed=3, when=Match(path="/v1/chat/completions"))
    faults.drop_stream(after_chunks=3)
    faults.malformed_chunk(at=2)
    faults.latency(0.5, jitter=0.1, seed=1)
    faults.pace(ttft=0.2, tokens_per_second=50)
    assert [document["kind"] for _, _, document in recorder.sent] == [
        "status",
        "status",
        "drop_stream",
        "malformed_chunk",
        "latency",
        "pace",
    ]
    assert all(_valid("mockai/fault", document) for _, _, document in recorder.sent)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda m: m.chat.reply(), "needs content, tool_calls or a refusal"),
        (lambda m: m.chat.reply("x", times=0), "times=0"),
        (lambda m: m.chat.reply_sequence([]), "replies=[] must not be empty"),
        (lambda m: m.embeddings.reply("text"), "does not answer with text"),
        (lambda m: m.chat.fail(200), "status=200"),
        (lambda m: m.faults.status(503, rate=2.0), "rate=2.0"),
        (lambda m: m.faults.malformed_chunk(at=0), "at=0"),
        (lambda m: m.faults.drop_stream(after_chunks=-1), "after_chunks=-1"),
        (lambda m: m.clock.advance(-1), "seconds=-1"),
        (lambda m: m.requests.filter(colour="red"), "unknown filter"),
        (lambda m: m.match(bogus=1), "unknown lookup 'bogus'"),
        (lambda m: m.match(json="x"), "needs a field path"),
    ],
    ids=[
        "empty reply",
        "times zero",
        "empty sequence",
        "text for embeddings",
        "success status as failure",
        "rate above one",
        "chunk zero",
        "negative chunks",
        "clock backwards",
        "unknown journal filter",
        "unknown lookup",
        "json without path",
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(recorder: RecordingMockAI, build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build(recorder)
    assert recorder.sent == []


def test_matches_combine_with_and() -> None:
    combined = Match(model="gpt-4", json__n=1) & Match(header__x_a="1", json__stream=True)
    assert combined.document == {
        "model": "gpt-4",
        "json": [{"path": "n", "op": "eq", "value": 1}, {"path": "stream", "op": "eq", "value": True}],
        "headers": {"x-a": "1"},
    }


def test_the_unused_rules_message_counts_and_lists_the_rules() -> None:
    message = unused_rules_message([{"id": "a", "description": "a: any request -> content 'x'"}, {"id": "b"}])
    assert message.splitlines() == [
        "mockai: 2 rules were not used by any request:",
        "  - a: any request -> content 'x'",
        "  - b",
        "If a rule is optional, delete it when done or mark the test with "
        "@pytest.mark.mockai(assert_all_rules_used=False).",
    ]


RESET_ANSWER = b'{"reset": true, "unused_rules": [], "unreached_steps": []}'


class KeepAliveServer:
    """A loopback HTTP/1.1 server that answers every request with `answer`, keeping each connection open unless told
    to close it after one request; it counts the connections it accepted and the request lines it read."""

    def __init__(self, answer: bytes, *, one_request_per_connection: bool = False) -> None:
        self._answer = answer
        self._one_request = one_request_per_connection
        self.accepted = 0
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed by the test
            self.accepted += 1
            threading.Thread(target=self._answer_requests, args=(connection,), daemon=True).start()

    def _answer_requests(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as incoming:
            while line := incoming.readline():
                self.requests.append(line.rstrip(b"\r\n"))
                length = 0
                while (header := incoming.readline()) not in (b"\r\n", b""):
                    if header.lower().startswith(b"content-length:"):
                        length = int(header.split(b":")[1])
                incoming.read(length)
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(self._answer)}\r\n\r\n".encode()
                connection.sendall(head + self._answer)
                if self._one_request:
                    return

    def close(self) -> None:
        self._listener.close()


def test_a_handle_leaves_a_shared_connection_open() -> None:
    # The plugin passes one connection to every test's handle: closing a handle must not close it under the next.
    server = KeepAliveServer(RESET_ANSWER)
    shared = AdminConnection(server.base_url, timeout=10)
    try:
        MockAI(server.base_url, http=shared).reset()
        MockAI(server.base_url, http=shared).close()
        MockAI(server.base_url, http=shared).reset()
    finally:
        shared.close()
        server.close()
    assert server.requests == [b"POST /_mockai/reset HTTP/1.1"] * 2
    assert server.accepted == 1


def test_an_admin_connection_the_server_closed_is_opened_again_for_the_next_call() -> None:
    # A kept-alive connection the server has closed since (an idle timeout, a restart) must not fail the next call.
    server = KeepAliveServer(RESET_ANSWER, one_request_per_connection=True)
    connection = AdminConnection(server.base_url, timeout=10)
    try:
        assert connection.request("GET", "/_mockai/rules") == (200, RESET_ANSWER)
        assert connection.request("POST", "/_mockai/reset") == (200, RESET_ANSWER)
    finally:
        connection.close()
        server.close()
    assert server.requests == [b"GET /_mockai/rules HTTP/1.1", b"POST /_mockai/reset HTTP/1.1"]
    assert server.accepted == 2
