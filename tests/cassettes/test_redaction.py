"""What never reaches a cassette: credentials by header and query name, their values anywhere, and user patterns."""

from __future__ import annotations

import pytest

from mockai.cassettes.redaction import REDACTED, Redactor

KEY = "sk-proj-abcdefghijklmnop"


@pytest.mark.parametrize(
    "header",
    ["Authorization", "api-key", "X-Api-Key", "OpenAI-Organization", "OpenAI-Project", "Cookie", "x-goog-api-key"],
)
def test_credential_headers_are_redacted(header: str) -> None:
    redactor = Redactor.for_request({header: "value-1234567890"})
    assert redactor.headers({header: "value-1234567890", "Accept": "*/*"}) == {
        header.lower(): REDACTED,
        "accept": "*/*",
    }


def test_response_cookies_and_account_headers_are_redacted() -> None:
    headers = {"Set-Cookie": "__cf_bm=abc", "openai-organization": "org-x", "x-request-id": "req_1"}
    assert Redactor().headers(headers, response=True) == {
        "openai-organization": REDACTED,
        "set-cookie": REDACTED,
        "x-request-id": "req_1",
    }


def test_the_key_itself_is_scrubbed_from_every_string() -> None:
    redactor = Redactor.for_request({"Authorization": f"Bearer {KEY}"})
    assert redactor.text(f"Incorrect API key provided: {KEY}.") == f"Incorrect API key provided: {REDACTED}."
    assert redactor.value({"error": {KEY: [KEY, 1]}}) == {"error": {REDACTED: [REDACTED, 1]}}


def test_short_values_are_not_scrubbed_as_words() -> None:
    redactor = Redactor.for_request({"Authorization": "Bearer k"})
    assert redactor.text("a Bearer token, k.") == "a Bearer token, k."


def test_secret_query_parameters_are_redacted() -> None:
    redactor = Redactor.for_request({}, extra_secrets=[KEY])
    assert redactor.query(f"api-version=2024&api-key={KEY}") == f"api-version=2024&api-key={REDACTED}"
    assert redactor.query(f"q={KEY}") == f"q={REDACTED}"


def test_patterns_redact_matches_and_bad_patterns_are_refused() -> None:
    redactor = Redactor.for_request({}, patterns=[r"\b\d{3}-\d{4}\b"])
    assert redactor.text("call 555-0100 now") == f"call {REDACTED} now"
    with pytest.raises(ValueError, match="invalid redaction pattern '\\('"):
        Redactor.for_request({}, patterns=["("])
