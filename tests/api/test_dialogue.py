"""`/app/v1/ask` and `/app/v1/history` over HTTP: the seed replayed with its context checked in the request journal,
streaming, idempotency, concurrency, trimming, durability, the upstream backend and every refusal."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockai.contract.registry import default_registry
from mockai.server import ServerThread
from tests.conftest import start_server
from tests.dialogue.conftest import seed_questions

MAX_BODY = 200_000


def conforms(schema: str, body: Any) -> Any:
    """Every reply is checked against its schema in `schemas/mockai/`, so the documented shapes stay true."""
    problems = [problem.message for problem in default_registry().iter_errors(schema, body)]
    assert problems == [], body
    return body


@pytest.fixture(scope="module")
def dialogue_server() -> Iterator[ServerThread]:
    server = start_server(max_json_bytes=MAX_BODY)
    yield server
    server.stop()


@pytest.fixture
def app(dialogue_server: ServerThread) -> Iterator[httpx.Client]:
    """A client of the dialogue server, reset before each test (rules, faults, journal, conversations)."""
    with httpx.Client(base_url=dialogue_server.base_url, timeout=60) as client:
        assert client.post("/_mockai/reset").status_code == 200
        yield client


def ask(client: httpx.Client, question: str, **pars: Any) -> dict[str, Any]:
    envelope = {"version": "1.0.0", "pars": {"user_id": "123", "group_id": "456", "question": question, **pars}}
    response = client.post("/app/v1/ask", json=envelope)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = conforms("mockai/ask.response", response.json())
    assert (reply["code"], reply["msg"]) == (0, "ok")
    return reply["data"]


def chat_requests(client: httpx.Client) -> list[dict[str, Any]]:
    events = client.get("/_mockai/requests", params={"path": "/v1/chat/completions"}).json()["data"]
    return [event["json"] for event in events]


def history(client: httpx.Client, user_id: str = "123", group_id: str = "456") -> list[dict[str, str]]:
    reply = conforms(
        "mockai/history.response",
        client.get("/app/v1/history", params={"user_id": user_id, "group_id": group_id}).json(),
    )
    assert reply["code"] == 0
    turns: list[dict[str, str]] = reply["data"]["turns"]
    return turns


def sse_payloads(text: str) -> list[Any]:
    payloads: list[Any] = []
    for block in filter(str.strip, text.split("\n\n")):
        assert block.startswith("data: "), block
        payload = block[len("data: ") :]
        payloads.append(payload if payload == "[DONE]" else json.loads(payload))
    return payloads


# -- the seed, in context ----------------------------------------------------------------------------------------


def test_the_seed_replayed_question_by_question_sends_the_whole_context_without_duplicates(app: httpx.Client) -> None:
    questions = seed_questions()
    answers = [ask(app, question)["answer"] for question in questions]
    sent = chat_requests(app)
    assert len(sent) == len(questions)
    for asked, request in enumerate(sent):
        expected = []
        for question, answer in zip(questions[:asked], answers[:asked], strict=True):
            expected += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        assert request["messages"] == [*expected, {"role": "user", "content": questions[asked]}]
        assert request["model"] == "gpt-3.5-turbo" and request["max_tokens"] == 512
        roles = [message["role"] for message in request["messages"]]
        assert all(a != b for a, b in itertools.pairwise(roles)), "a turn was sent twice in a row"
    assert [turn["content"] for turn in history(app) if turn["role"] == "user"] == questions


def test_the_reply_envelope_and_history(app: httpx.Client) -> None:
    data = ask(app, "我出门没带钱包 怎么买饭", question_id="")
    assert data["question_id"].startswith("q-") and data["answer"]
    assert data["turns"] == 1 and data["trimmed_turns"] == 0 and data["replayed"] is False
    usage = data["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert history(app) == [
        {"role": "user", "content": "我出门没带钱包 怎么买饭", "question_id": data["question_id"]},
        {"role": "assistant", "content": data["answer"], "question_id": data["question_id"]},
    ]
    assert history(app, group_id="other") == []
    assert ask(app, "如果带了呢")["turns"] == 3


def test_delete_resets_one_conversation(app: httpx.Client) -> None:
    ask(app, "一")
    ask(app, "二", group_id="other")
    reply = conforms(
        "mockai/history.response",
        app.request("DELETE", "/app/v1/history", params={"user_id": "123", "group_id": "456"}).json(),
    )
    assert reply == {"code": 0, "msg": "ok", "data": {"user_id": "123", "group_id": "456", "deleted_turns": 2}}
    assert history(app) == []
    assert len(history(app, group_id="other")) == 2
    assert ask(app, "三")["turns"] == 1


def test_conversations_belong_to_an_organization(app: httpx.Client) -> None:
    ask(app, "mine")
    other_org = app.get(
        "/app/v1/history", params={"user_id": "123", "group_id": "456"}, headers={"OpenAI-Organization": "org-b"}
    )
    assert other_org.json()["data"]["turns"] == []


# -- streaming ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["pars", "accept"])
def test_a_streamed_answer_is_deltas_then_the_envelope_then_done(app: httpx.Client, how: str) -> None:
    pars = (
        {"user_id": "s", "question": "如果带了呢", "stream": True}
        if how == "pars"
        else {"user_id": "s", "question": "如果带了呢"}
    )
    headers = {"accept": "text/event-stream"} if how == "accept" else {}
    response = app.post("/app/v1/ask", json={"version": "1.0.0", "pars": pars}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    *deltas, final, done = sse_payloads(response.text)
    assert done == "[DONE]"
    conforms("mockai/ask.response", final)
    for payload in deltas:
        conforms("mockai/ask.chunk", payload)
    assert final["code"] == 0 and final["msg"] == "ok"
    assert deltas and all(d["question_id"] == final["data"]["question_id"] for d in deltas)
    assert "".join(d["delta"] for d in deltas) == final["data"]["answer"]
    assert chat_requests(app)[-1]["stream"] is True
    # Streaming changes how the answer travels, not what it is.
    plain = ask(app, "如果带了呢", user_id="plain")
    assert plain["answer"] == final["data"]["answer"]


def test_a_stream_cut_by_the_backend_is_refused_before_the_stream_starts(app: httpx.Client) -> None:
    fault = {"kind": "drop_stream", "after_chunks": 1, "match": {"path": "/v1/chat/completions"}}
    assert app.post("/_mockai/faults", json=fault).status_code == 201
    envelope = {"version": "1.0.0", "pars": {"user_id": "cut", "question": "hi", "stream": True}}
    response = app.post("/app/v1/ask", json=envelope)
    assert response.status_code == 502
    assert response.json()["code"] == 2004
    assert history(app, user_id="cut", group_id="") == []


# -- idempotency and concurrency ---------------------------------------------------------------------------------


def test_a_retried_question_id_returns_the_stored_answer_and_adds_no_turn(app: httpx.Client) -> None:
    first = ask(app, "你俩哪里不一样", question_id="client-7")
    again = ask(app, "你俩哪里不一样", question_id="client-7")
    assert again == {**first, "replayed": True}
    assert first["question_id"] == "client-7"
    assert len(chat_requests(app)) == 1
    assert [turn["role"] for turn in history(app)] == ["user", "assistant"]


def test_a_question_id_reused_for_another_question_is_a_conflict(app: httpx.Client) -> None:
    ask(app, "first", question_id="same")
    envelope = {
        "version": "1.0.0",
        "pars": {"user_id": "123", "group_id": "456", "question": "x", "question_id": "same"},
    }
    response = app.post("/app/v1/ask", json=envelope)
    assert response.status_code == 409 and response.json()["code"] == 1005


def test_two_concurrent_questions_to_one_conversation_do_not_interleave(
    app: httpx.Client, dialogue_server: ServerThread
) -> None:
    # The first chat request is held up, so the second question arrives while the first is being answered.
    fault = {"kind": "latency", "seconds": 0.3, "times": 1, "match": {"path": "/v1/chat/completions"}}
    assert app.post("/_mockai/faults", json=fault).status_code == 201

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=dialogue_server.base_url, timeout=60) as client:
            bodies = [{"version": "1.0.0", "pars": {"user_id": "c", "question": q}} for q in ("one", "two")]
            return await asyncio.gather(*(client.post("/app/v1/ask", json=body) for body in bodies))

    replies = asyncio.run(both())
    assert [reply.json()["code"] for reply in replies] == [0, 0]
    turns = history(app, user_id="c", group_id="")
    assert [turn["role"] for turn in turns] == ["user", "assistant", "user", "assistant"]
    first, second = chat_requests(app)
    assert len(first["messages"]) == 1 and len(second["messages"]) == 3
    assert second["messages"][:2] == [{"role": t["role"], "content": t["content"]} for t in turns[:2]]


# -- trimming, durability, configuration -------------------------------------------------------------------------


def test_a_small_window_drops_the_oldest_turns_and_the_chat_endpoint_accepts_what_is_sent() -> None:
    server = start_server(
        dialogue_model="gpt-3.5-turbo-0301", dialogue_reply_tokens=3900, dialogue_system_prompt="简短回答。"
    )
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            replies = [ask(client, f"第{i}个问题:" + "下雨了怎么办" * 4) for i in range(8)]
            sent = chat_requests(client)
    finally:
        server.stop()
    assert replies[-1]["trimmed_turns"] > 0
    last = sent[-1]["messages"]
    assert last[0] == {"role": "system", "content": "简短回答。"}
    assert last[-1]["content"].startswith("第7个问题")
    assert len(last) == replies[-1]["turns"] + 1  # the system prompt is not a turn
    assert sent[-1]["max_tokens"] == 3900


def test_a_question_too_long_for_the_window_has_its_own_code(app: httpx.Client) -> None:
    envelope = {"version": "1.0.0", "pars": {"user_id": "123", "question": "雨 " * 17000}}
    response = app.post("/app/v1/ask", json=envelope)
    assert response.status_code == 400
    assert response.json()["code"] == 1004 and "context window is 16385 tokens" in response.json()["msg"]
    assert chat_requests(app) == []


def test_conversations_survive_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path)
    try:
        with httpx.Client(base_url=first.base_url, timeout=60) as client:
            earlier = ask(client, "昨天下雨了,我出门没带伞,会怎么样", question_id="q1")
    finally:
        first.stop()
    second = start_server(data_dir=tmp_path)
    try:
        with httpx.Client(base_url=second.base_url, timeout=60) as client:
            assert ask(client, "昨天下雨了,我出门没带伞,会怎么样", question_id="q1")["replayed"] is True
            ask(client, "如果带了呢")
            sent = chat_requests(client)
    finally:
        second.stop()
    assert sent[-1]["messages"][:2] == [
        {"role": "user", "content": "昨天下雨了,我出门没带伞,会怎么样"},
        {"role": "assistant", "content": earlier["answer"]},
    ]


def test_the_in_process_backend_uses_an_accepted_key() -> None:
    server = start_server(api_keys=("sk-only-this",))
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert ask(client, "hi")["answer"]
    finally:
        server.stop()


# -- an upstream backend -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream() -> Iterator[ServerThread]:
    server = start_server(api_keys=("sk-upstream",))
    yield server
    server.stop()


def front(upstream_url: str, key: str | None = "sk-upstream") -> ServerThread:
    return start_server(upstream_base_url=upstream_url, upstream_api_key=key)


def test_questions_go_to_the_upstream_with_their_context(upstream: ServerThread) -> None:
    httpx.post(upstream.base_url + "/_mockai/reset")
    server = front(upstream.base_url + "/v1")
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first = ask(client, "我出门没带钱包 怎么买饭")
            ask(client, "如果带了呢")
            assert chat_requests(client) == []  # nothing answered in-process
    finally:
        server.stop()
    with httpx.Client(base_url=upstream.base_url) as client:
        sent = chat_requests(client)
    assert [m["content"] for m in sent[-1]["messages"]] == ["我出门没带钱包 怎么买饭", first["answer"], "如果带了呢"]


@pytest.mark.parametrize(
    ("fault", "status", "code", "words"),
    [
        ({"kind": "status", "status": 500}, 502, 2002, "HTTP 500"),
        ({"kind": "status", "status": 429, "headers": {"retry-after": "20"}}, 429, 2003, "rate limiting"),
    ],
    ids=["server-error", "rate-limited"],
)
def test_upstream_errors_are_mapped_into_the_envelope(
    upstream: ServerThread, fault: dict[str, Any], status: int, code: int, words: str
) -> None:
    httpx.post(upstream.base_url + "/_mockai/reset")
    httpx.post(upstream.base_url + "/_mockai/faults", json={**fault, "times": 1})
    server = front(upstream.base_url + "/v1")
    try:
        response = httpx.post(
            server.base_url + "/app/v1/ask", json={"version": "1.0.0", "pars": {"user_id": "u", "question": "hi"}}
        )
        turns = httpx.get(server.base_url + "/app/v1/history", params={"user_id": "u"}).json()["data"]["turns"]
    finally:
        server.stop()
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["msg"]
    if code == 2003:
        assert response.headers["retry-after"] == "20"
    assert turns == []


def test_a_wrong_upstream_key_is_an_upstream_error(upstream: ServerThread) -> None:
    server = front(upstream.base_url + "/v1", key="sk-wrong")
    try:
        response = httpx.post(
            server.base_url + "/app/v1/ask", json={"version": "1.0.0", "pars": {"user_id": "u", "question": "hi"}}
        )
    finally:
        server.stop()
    assert response.status_code == 502
    assert response.json()["code"] == 2002 and "HTTP 401" in response.json()["msg"]


def test_an_upstream_that_is_down_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = front(f"http://127.0.0.1:{port}/v1")
    try:
        response = httpx.post(
            server.base_url + "/app/v1/ask", json={"version": "1.0.0", "pars": {"user_id": "u", "question": "hi"}}
        )
    finally:
        server.stop()
    assert response.status_code == 502 and response.json()["code"] == 2001


# -- refusals ----------------------------------------------------------------------------------------------------

GOOD = {"user_id": "123", "question": "如果带了呢", "group_id": "456", "question_id": ""}

REFUSALS: list[tuple[str, Any, int, int, str]] = [
    ("not-json", b"{oops", 400, 1001, "not valid JSON"),
    ("array-body", [GOOD], 400, 1001, "got list"),
    ("wrong-version", {"version": "2.0.0", "pars": GOOD}, 400, 1002, "Unsupported version '2.0.0'"),
    ("numeric-version", {"version": 1, "pars": GOOD}, 400, 1002, "Unsupported version 1"),
    ("missing-version", {"pars": GOOD}, 400, 1002, "Unsupported version None"),
    ("wrong-version-and-bad-pars", {"version": "0.9", "pars": {}}, 400, 1002, "'0.9'"),
    ("missing-pars", {"version": "1.0.0"}, 400, 1003, "'pars': it is required"),
    ("pars-not-object", {"version": "1.0.0", "pars": "x"}, 400, 1003, "'pars': it must be an object"),
    ("missing-user-id", {"version": "1.0.0", "pars": {"question": "q"}}, 400, 1003, "'pars.user_id': it is required"),
    (
        "empty-user-id",
        {"version": "1.0.0", "pars": {**GOOD, "user_id": ""}},
        400,
        1003,
        "'pars.user_id': it must not be empty",
    ),
    (
        "blank-user-id",
        {"version": "1.0.0", "pars": {**GOOD, "user_id": "  "}},
        400,
        1003,
        "'pars.user_id': it must not be empty",
    ),
    (
        "numeric-user-id",
        {"version": "1.0.0", "pars": {**GOOD, "user_id": 123}},
        400,
        1003,
        "'pars.user_id': it must be a string",
    ),
    ("missing-question", {"version": "1.0.0", "pars": {"user_id": "1"}}, 400, 1003, "'pars.question': it is required"),
    (
        "empty-question",
        {"version": "1.0.0", "pars": {**GOOD, "question": ""}},
        400,
        1003,
        "'pars.question': it must not be empty",
    ),
    (
        "list-question",
        {"version": "1.0.0", "pars": {**GOOD, "question": ["q"]}},
        400,
        1003,
        "'pars.question': it must be a string",
    ),
    (
        "numeric-group-id",
        {"version": "1.0.0", "pars": {**GOOD, "group_id": 456}},
        400,
        1003,
        "'pars.group_id': it must be a string",
    ),
    (
        "null-question-id",
        {"version": "1.0.0", "pars": {**GOOD, "question_id": None}},
        400,
        1003,
        "'pars.question_id': it must be a string",
    ),
    (
        "string-stream",
        {"version": "1.0.0", "pars": {**GOOD, "stream": "yes"}},
        400,
        1003,
        "'pars.stream': it must be a boolean",
    ),
    ("long-user-id", {"version": "1.0.0", "pars": {**GOOD, "user_id": "u" * 129}}, 400, 1003, "at most 128 characters"),
    (
        "unknown-field",
        {"version": "1.0.0", "pars": {**GOOD, "temperature": 1}},
        400,
        1003,
        "'pars.temperature': it is not a known field",
    ),
    (
        "unknown-top-field",
        {"version": "1.0.0", "pars": GOOD, "extra": 1},
        400,
        1003,
        "'extra': it is not a known field",
    ),
    (
        "too-large",
        {"version": "1.0.0", "pars": {**GOOD, "question": "x" * MAX_BODY}},
        413,
        1006,
        f"larger than {MAX_BODY} bytes",
    ),
]


@pytest.mark.parametrize(("body", "status", "code", "words"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_bad_ask_is_refused_in_the_envelope(app: httpx.Client, body: Any, status: int, code: int, words: str) -> None:
    response = app.post("/app/v1/ask", content=body) if isinstance(body, bytes) else app.post("/app/v1/ask", json=body)
    assert response.status_code == status
    reply = conforms("mockai/dialogue-error", response.json())
    assert reply["code"] == code and reply["data"] is None
    assert words in reply["msg"]
    assert chat_requests(app) == []


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize(
    "params", [{}, {"user_id": ""}, {"user_id": " ", "group_id": "456"}], ids=["none", "empty", "blank"]
)
def test_history_needs_a_user_id(app: httpx.Client, method: str, params: dict[str, str]) -> None:
    response = app.request(method, "/app/v1/history", params=params)
    assert response.status_code == 400
    assert response.json()["code"] == 1003 and "'user_id'" in response.json()["msg"]


def test_the_ask_is_journaled_with_its_envelope(app: httpx.Client) -> None:
    ask(app, "journaled?")
    event = app.get("/_mockai/requests", params={"path": "/app/v1/ask"}).json()["data"][-1]
    assert event["operation_id"] == "mockaiAsk"
    assert event["json"]["pars"]["question"] == "journaled?"


def test_a_wrong_method_gets_the_dialogue_envelope(app: httpx.Client) -> None:
    response = app.get("/app/v1/ask")
    assert (response.status_code, response.headers["allow"]) == (405, "POST")
    reply = conforms("mockai/dialogue-error", response.json())
    assert reply == {"code": 1007, "msg": "GET is not served at /app/v1/ask; use POST.", "data": None}
