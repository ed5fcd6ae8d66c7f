"""The control plane over HTTP: rules, the journal, faults and reset through `/_mockai`, seen by real clients."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from mockai.testing import MockAI, MockAIError, tool_call
from tests.conftest import API_KEY, start_server


def test_a_json_rule_answers_instead_of_the_real_endpoint(mock: MockAI, http: httpx.Client) -> None:
    rule = mock.models.respond({"object": "list", "data": []}, headers={"x-scripted": "yes"})
    response = http.get("/v1/models")
    assert (response.status_code, response.json(), response.headers["x-scripted"]) == (
        200,
        {"object": "list", "data": []},
        "yes",
    )
    assert rule.called and rule.call_count == 1
    assert response.headers["x-request-id"].startswith("req_")


def test_an_error_rule_takes_the_real_wording_unless_told_otherwise(mock: MockAI, http: httpx.Client) -> None:
    mock.models.fail(503, times=1)
    mock.models.fail(429, message="Slow down", headers={"retry-after": "7"}, times=1)
    first = http.get("/v1/models")
    second = http.get("/v1/models")
    assert (first.status_code, first.json()["error"]["message"], first.headers["retry-after"]) == (
        429,
        "Slow down",
        "7",
    )
    assert first.json()["error"]["code"] == "rate_limit_exceeded"
    assert (second.status_code, second.json()["error"]["type"]) == (503, "server_error")
    assert http.get("/v1/models").status_code == 200


@pytest.mark.scripted_answers
def test_rules_can_match_a_path_parameter_model(mock: MockAI, http: httpx.Client) -> None:
    mock.models.respond({"id": "scripted"}, when=mock.match(model="gpt-4"))
    assert http.get("/v1/models/gpt-4").json() == {"id": "scripted"}
    assert http.get("/v1/models/davinci").json()["id"] == "davinci"


def test_bad_requests_get_the_real_400_before_any_rule_is_consulted(mock: MockAI, http: httpx.Client) -> None:
    rule = mock.embeddings.respond({"scripted": True})
    response = http.post("/v1/embeddings", json={"model": "text-embedding-ada-002"})
    assert (response.status_code, response.json()["error"]["param"]) == (400, "input")
    assert rule.call_count == 0


def test_the_sdk_recovers_from_injected_errors_within_its_retries(mock: MockAI, client: Any) -> None:
    # retry-after-ms keeps the SDK's back-off short; the SDK honours it for 429 and 5xx alike.
    mock.models.fail(429, headers={"retry-after-ms": "5"}, times=1)
    mock.models.fail(500, headers={"retry-after-ms": "5"}, times=1)
    models = client.with_options(max_retries=2).models.list()
    assert any(model.id == "gpt-4" for model in models)
    assert [entry.status for entry in mock.requests.filter(path="/v1/models")] == [500, 429, 200]


def test_the_sdk_gives_up_after_its_max_retries(mock: MockAI, client: Any) -> None:
    mock.faults.status(503, headers={"retry-after-ms": "5"})
    with pytest.raises(openai.InternalServerError):
        client.with_options(max_retries=2).models.list()
    assert mock.requests.call_count == 3


@pytest.mark.scripted_answers
def test_a_sequence_over_http_and_its_listing(mock: MockAI, http: httpx.Client) -> None:
    mock.models.reply_sequence([{"kind": "json", "body": "A"}, {"kind": "json", "body": "B"}])
    assert [http.get("/v1/models").json() for _ in range(2)] == ["A", "B"]
    listed = http.get(f"{mock.base_url}/_mockai/rules").json()["data"]
    assert [(rule["call_count"], rule["times"]) for rule in listed] == [(2, 2)]


@pytest.mark.scripted_answers
def test_rules_are_deleted_one_by_one_or_all_together(mock: MockAI, http: httpx.Client) -> None:
    first = mock.models.respond("first")
    mock.models.respond("second", priority=9)
    first.delete()
    assert http.get("/v1/models").json() == "second"
    assert http.delete(f"{mock.base_url}/_mockai/rules").status_code == 200
    assert mock.rules == []
    missing = http.delete(f"{mock.base_url}/_mockai/rules/{first.id}")
    assert (missing.status_code, missing.json()["error"]["message"]) == (404, f"No such rule: {first.id}")


@pytest.mark.parametrize(
    ("document", "param"),
    [
        ({"match": {}}, "body"),
        ({"reply": {"kind": "poem"}}, "reply.kind"),
        ({"reply": {"kind": "json"}, "times": 0}, "times"),
        ({"reply": {"kind": "json"}, "colour": "red"}, "colour"),
    ],
    ids=["no reply", "unknown reply kind", "times below 1", "unknown field"],
)
def test_invalid_rules_are_refused_with_the_field_named(
    mock: MockAI, http: httpx.Client, document: dict[str, Any], param: str | None
) -> None:
    response = http.post(f"{mock.base_url}/_mockai/rules", json=document)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_an_invalid_regex_is_refused_by_the_handle(mock: MockAI) -> None:
    with pytest.raises(MockAIError, match="invalid regex"):
        mock.models.respond({}, when=mock.match(model__regex="("))


@pytest.mark.scripted_answers
def test_the_journal_records_bodies_statuses_and_the_answering_rule(mock: MockAI, http: httpx.Client) -> None:
    rule = mock.embeddings.respond({"object": "list", "data": []}, when=mock.match(json__input="hello"))
    http.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "hello"})
    http.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "bye"})
    answered, generated = mock.requests.filter(path="/v1/embeddings")
    assert (answered.rule_id, answered.json["input"], answered.response) == (
        rule.id,
        "hello",
        {"object": "list", "data": []},
    )
    assert answered.operation_id == "createEmbedding" and answered.model == "text-embedding-ada-002"
    assert generated.rule_id is None
    assert generated.near_misses == [{"rule_id": rule.id, "mismatches": ["body input: expected == 'hello', got 'bye'"]}]
    assert "authorization" not in generated.headers
    assert [call.json["input"] for call in rule.calls] == ["hello"]


def test_the_journal_over_http_filters_and_validates_against_its_schema(mock: MockAI, http: httpx.Client) -> None:
    from mockai.contract.registry import default_registry

    http.get("/v1/models")
    http.get("/v1/nothing-here")
    response = http.get(f"{mock.base_url}/_mockai/requests", params={"status": 404})
    entries = response.json()["data"]
    assert [entry["path"] for entry in entries] == ["/v1/nothing-here"]
    for entry in http.get(f"{mock.base_url}/_mockai/requests").json()["data"]:
        default_registry().validator("mockai/journal-entry").validate(entry)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b'{"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "\\ud800"}]}', '"\\ud800"'),
        (b'{"temperature": NaN}', "NaN"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe binary", "\ufffd\ufffd binary"),
        (b"[" * 5000 + b"]" * 5000, "[[[["),
    ],
    ids=["lone-surrogate-escape", "nan", "binary", "deep-nesting"],
)
def test_the_journal_keeps_a_refused_body_as_text_and_always_renders(
    mock: MockAI, http: httpx.Client, body: bytes, text: str
) -> None:
    # A lone surrogate in a chat message once poisoned the journal: every GET /_mockai/requests answered 500 after.
    response = http.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    recorded = mock.requests.last.json
    assert recorded["size"] == len(body) and recorded["truncated"] is False
    assert text in recorded["text"]
    assert http.get(f"{mock.base_url}/_mockai/requests").status_code == 200


def test_the_journal_keeps_the_first_mebibyte_of_a_huge_body(mock: MockAI, http: httpx.Client) -> None:
    body = b"x" * (3 * 1024 * 1024)
    http.post("/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})
    recorded = mock.requests.last.json
    assert (recorded["size"], recorded["truncated"], len(recorded["text"])) == (len(body), True, 1024 * 1024)


def test_admin_calls_are_not_journaled_and_reset_empties_the_journal(mock: MockAI, http: httpx.Client) -> None:
    http.get("/v1/models")
    mock.clock.now()
    assert [entry.path for entry in mock.requests] == ["/v1/models"]
    mock.reset()
    assert len(mock.requests) == 0


def test_reset_puts_the_world_clock_back(mock: MockAI) -> None:
    start = mock.clock.now()
    assert mock.clock.advance(90) == start + 90
    mock.reset()
    assert mock.clock.now() == start


def test_faults_are_listed_and_deleted(mock: MockAI, http: httpx.Client) -> None:
    fault = mock.faults.status(502, times=3)
    listed = http.get(f"{mock.base_url}/_mockai/faults").json()["data"]
    assert [(item["id"], item["kind"], item["status"]) for item in listed] == [(fault["id"], "status", 502)]
    assert http.delete(f"{mock.base_url}/_mockai/faults/{fault['id']}").status_code == 200
    assert http.get("/v1/models").status_code == 200


def test_tool_call_ids_are_deterministic() -> None:
    assert tool_call("f", {"a": 1}) == tool_call("f", {"a": 1})
    assert json.loads(tool_call("f", {"a": 1})["function"]["arguments"]) == {"a": 1}


def test_rules_load_from_a_file_at_start(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: from-file\n    match: {path: /v1/models}\n    reply: {kind: json, body: {from: file}}\n"
    )
    server = start_server(rules_file=rules)
    try:
        response = httpx.get(f"{server.base_url}/v1/models", headers={"Authorization": f"Bearer {API_KEY}"})
        assert response.json() == {"from": "file"}
    finally:
        server.stop()


def test_a_reset_returns_to_the_rules_the_file_loaded(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- id: from-file\n  match: {path: /v1/models}\n  reply: {kind: json, body: {from: file}}\n")
    server = start_server(rules_file=rules)
    try:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
            http.get("/v1/models")
            http.delete("/_mockai/rules/from-file")
            http.post("/_mockai/rules", json={"match": {"path": "/v1/models"}, "reply": {"kind": "json", "body": 1}})
            assert http.post("/_mockai/reset").status_code == 200
            listed = http.get("/_mockai/rules").json()["data"]
            assert [(rule["id"], rule["call_count"]) for rule in listed] == [("from-file", 0)]
            assert http.get("/v1/models").json() == {"from": "file"}
    finally:
        server.stop()


def test_the_journal_feed_sends_what_is_new_with_secrets_masked(mock: MockAI, http: httpx.Client) -> None:
    http.get("/v1/models")
    http.post("/v1/embeddings", json={"model": "text-embedding-ada-002", "input": "key sk-abcdefghijklmnopqrstuvwx"})
    everything = http.get("/_mockai/requests").json()
    newer = http.get("/_mockai/requests", params={"after": everything["data"][0]["id"], "redact": "true"}).json()
    assert [entry["path"] for entry in newer["data"]] == ["/v1/embeddings"]
    assert newer["data"][0]["json"]["input"] == "key [redacted]"
    assert everything["data"][1]["json"]["input"] == "key sk-abcdefghijklmnopqrstuvwx"  # the API keeps what came
    assert newer["generation"] == everything["generation"]
    mock.reset()
    assert http.get("/_mockai/requests").json()["generation"] == everything["generation"] + 1


def test_the_journal_page_cookie_reads_but_never_changes_the_server() -> None:
    server = start_server(admin_token="page-token")
    try:
        with httpx.Client(base_url=f"{server.base_url}/_mockai") as browser:
            signed_in = browser.get("/ui", params={"token": "page-token"})
            assert (signed_in.status_code, signed_in.headers["location"]) == (303, "ui")
            assert (
                "HttpOnly" in signed_in.headers["set-cookie"] and "SameSite=strict" in signed_in.headers["set-cookie"]
            )
            assert browser.get("/requests").status_code == 200  # the cookie came back with it
            assert browser.get("/ui").status_code == 200
            assert browser.post("/reset").status_code == 401
            assert browser.delete("/requests").status_code == 401
            assert browser.post("/reset", headers={"Authorization": "Bearer page-token"}).status_code == 200
        assert httpx.get(f"{server.base_url}/_mockai/requests").status_code == 401
        wrong = httpx.get(f"{server.base_url}/_mockai/ui", params={"token": "guess"})
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    finally:
        server.stop()


def test_the_journal_page_is_served_from_the_package_with_a_strict_policy(http: httpx.Client) -> None:
    page = http.get("/_mockai/ui")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="ui/journal.js" defer></script>' in page.text
    assets = {name: http.get(f"/_mockai/ui/{name}") for name in ("journal.js", "journal.css", "favicon.svg")}
    assert {name: r.headers["content-type"].split(";")[0] for name, r in assets.items()} == {
        "journal.js": "text/javascript",
        "journal.css": "text/css",
        "favicon.svg": "image/svg+xml",
    }
    assert "innerHTML" not in assets["journal.js"].text  # rows are built from text nodes only
    assert http.get("/_mockai/ui/journal.html").status_code == 404
