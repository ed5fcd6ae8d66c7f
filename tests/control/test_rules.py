"""Rule precedence (priority, then newest), `times` consumption, sequences, near misses and the rules file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockai.control.matching import RequestView
from mockai.control.rules import ContentReply, ErrorReply, JsonReply, RuleBook, load_rules

MODELS = RequestView("GET", "/v1/models", {})


def _json(body: object) -> dict[str, object]:
    return {"kind": "json", "body": body}


def _answer(book: RuleBook, request: RequestView = MODELS) -> object:
    taken = book.take(request)
    assert taken is not None
    reply = taken[1]
    assert isinstance(reply, JsonReply)
    return reply.body


def test_the_lowest_priority_wins_then_the_newest_rule() -> None:
    book = RuleBook()
    book.add({"priority": 1, "reply": _json("important")})
    book.add({"priority": 5, "reply": _json("old")})
    book.add({"priority": 5, "reply": _json("new")})
    assert [rule.replies[0] for rule in book][1:] == [JsonReply("new"), JsonReply("old")]
    assert _answer(book) == "important"


def test_times_limits_how_often_a_rule_answers_then_the_next_rule_does() -> None:
    book = RuleBook()
    book.add({"reply": _json("fallback")})
    book.add({"times": 2, "reply": _json("twice")})
    assert [_answer(book) for _ in range(3)] == ["twice", "twice", "fallback"]


def test_a_sequence_gives_its_replies_in_order_once_each() -> None:
    book = RuleBook()
    rule = book.add({"replies": [_json("A"), _json("B")]})
    assert rule.times == 2
    assert [_answer(book), _answer(book)] == ["A", "B"]
    assert book.take(MODELS) is None
    assert rule.exhausted


def test_replies_keep_their_kind() -> None:
    book = RuleBook()
    book.add({"reply": {"kind": "error", "status": 429, "error": {"message": "slow"}, "headers": {"a": "1"}}})
    book.add({"reply": {"kind": "content", "content": "Sunny", "finish_reason": "stop"}})
    replies = [rule.replies[0] for rule in book]
    assert replies == [ContentReply("Sunny", None, "stop"), ErrorReply(429, {"message": "slow"}, {"a": "1"})]


def test_content_replies_are_passed_over_where_the_endpoint_speaks_no_text() -> None:
    book = RuleBook()
    book.add({"reply": _json("raw")})
    book.add({"reply": {"kind": "content", "content": "text"}})
    taken = book.take(MODELS, accepts_content=False)
    assert taken is not None and taken[1] == JsonReply("raw")


def test_an_id_is_given_when_missing_and_replaced_when_reused() -> None:
    book = RuleBook()
    first = book.add({"reply": _json(1)})
    book.add({"id": "mine", "reply": _json(2)})
    book.add({"id": "mine", "reply": _json(3)})
    assert first.id == "rule-1"
    assert len(book) == 2 and _answer(book) == 3


def test_near_misses_list_the_closest_rules_with_their_failed_conditions() -> None:
    book = RuleBook()
    book.add({"id": "far", "match": {"method": "POST", "path": "/v1/chat/completions"}, "reply": _json(1)})
    book.add({"id": "near", "match": {"path": "/v1/models", "model": "gpt-4"}, "reply": _json(2)})
    assert book.take(MODELS) is None
    misses = book.near_misses(MODELS)
    assert [miss.rule_id for miss in misses] == ["near", "far"]
    assert misses[0].mismatches == ("model: expected == 'gpt-4', got nothing",)


def test_unused_rules_and_their_description_for_the_teardown_message() -> None:
    book = RuleBook()
    book.add({"id": "used", "reply": _json(1)})
    book.take(MODELS)
    book.add(
        {
            "id": "weather",
            "match": {"last_user": {"op": "regex", "value": "weather"}},
            "reply": {"kind": "content", "content": "Sunny"},
        }
    )
    assert [rule.describe() for rule in book.unused()] == [
        "weather: last user message matches 'weather' -> content 'Sunny'"
    ]


def test_rules_files_may_be_yaml_lists_or_json_objects(tmp_path: Path) -> None:
    as_yaml = tmp_path / "rules.yaml"
    as_yaml.write_text("- match: {path: /v1/models}\n  reply: {kind: json, body: {}}\n")
    as_json = tmp_path / "rules.json"
    as_json.write_text('{"rules": [{"reply": {"kind": "json", "body": 1}}]}')
    assert load_rules(as_yaml) == [{"match": {"path": "/v1/models"}, "reply": {"kind": "json", "body": {}}}]
    assert load_rules(as_json) == [{"reply": {"kind": "json", "body": 1}}]


def test_a_rules_file_without_rules_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("hello: world\n")
    with pytest.raises(ValueError, match="expected a list of rules"):
        load_rules(path)


def test_clearing_restarts_the_ids_so_every_test_sees_the_same_ones() -> None:
    book = RuleBook()
    book.add({"reply": _json(1)})
    book.clear()
    assert book.add({"reply": _json(2)}).id == "rule-1"
