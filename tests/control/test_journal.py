"""The journal: bounded, secrets removed, filterable."""

from __future__ import annotations

import pytest

from mockai.control.journal import REDACTED, Journal, redact_headers, redact_secrets


def test_credentials_never_reach_the_journal() -> None:
    headers = {
        "Authorization": "Bearer sk-secret",
        "Cookie": "a=b",
        "x-api-key": "k",
        "OpenAI-Organization": "org-1",
    }
    assert redact_headers(headers) == {"openai-organization": "org-1"}


def test_the_journal_keeps_only_the_newest_entries() -> None:
    journal = Journal(capacity=3)
    for index in range(5):
        journal.record(journal.new_event("GET", f"/v1/{index}", "", {}))
    assert [event.path for event in journal] == ["/v1/2", "/v1/3", "/v1/4"]
    assert [event.id for event in journal] == [3, 4, 5]


def test_filters_combine_and_method_is_case_insensitive() -> None:
    journal = Journal()
    for method, path, status in [("GET", "/v1/models", 200), ("POST", "/v1/models", 405), ("GET", "/v1/x", 404)]:
        event = journal.new_event(method, path, "", {})
        event.status = status
        journal.record(event)
    assert [event.status for event in journal.filter(path="/v1/models")] == [200, 405]
    assert [event.path for event in journal.filter(method="get", status=404)] == ["/v1/x"]
    assert journal.last is not None and journal.last.path == "/v1/x"


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity=0"):
        Journal(capacity=0)


def test_the_journal_also_bounds_the_bytes_it_holds() -> None:
    journal = Journal(capacity=100, max_bytes=250)
    for index in range(5):
        journal.record(journal.new_event("POST", f"/v1/{index}", "", {}), size=100)
    assert [event.path for event in journal] == ["/v1/3", "/v1/4"]
    journal.record(journal.new_event("POST", "/v1/huge", "", {}), size=10_000)
    assert [event.path for event in journal] == ["/v1/huge"]  # the newest entry is always kept


def _masked(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, REDACTED)


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ({"api_key": "k", "client_secret": "s", "x-api-key": 7}, _masked("api_key", "client_secret", "x-api-key")),
        ({"access_token": "t", "refreshToken": "t", "passwd": "p"}, _masked("access_token", "refreshToken", "passwd")),
        ({"token": "Hello", "max_tokens": 5, "tokens": [1, 2]}, {"token": "Hello", "max_tokens": 5, "tokens": [1, 2]}),
        ({"api_key": None}, {"api_key": None}),
        ("key sk-abcdefghijklmnop1234 here", f"key {REDACTED} here"),
        ("sk-proj-abcdefghijklmnop_1234-xyz", REDACTED),
        ("Authorization: Bearer abc.def-ghi_jkl", f"Authorization: {REDACTED}"),
        ("sk-short and a ski-lift", "sk-short and a ski-lift"),
        ([{"content": ["nested sk-abcdefghijklmnopqrstu"]}], [{"content": [f"nested {REDACTED}"]}]),
    ],
    ids=["key names", "token names", "token counts are not secrets", "null stays null", "key in prose", "project key",
         "bearer header", "short look-alikes", "nested"],
)  # fmt: skip
def test_secrets_are_masked_for_display(shown: object, expected: object) -> None:
    assert redact_secrets(shown) == expected


def test_readers_can_ask_for_what_is_new_and_tell_a_clear() -> None:
    journal = Journal()
    for path in ("/a", "/b", "/c"):
        journal.record(journal.new_event("GET", path, "", {}))
    assert [event.path for event in journal.filter(after=1)] == ["/b", "/c"]
    assert journal.filter(after=3) == []
    generation = journal.generation
    journal.clear()
    journal.record(journal.new_event("GET", "/d", "", {}))
    assert journal.generation == generation + 1
    assert [(event.id, event.path) for event in journal.filter(after=0)] == [(1, "/d")]
