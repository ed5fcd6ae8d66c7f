"""Rate limits over HTTP: x-ratelimit-* headers count down, 429 with the real message, reset by the world clock."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY, start_server


@pytest.fixture(scope="module")
def limited() -> Iterator[ServerThread]:
    server = start_server(rpm=3, tpm=1000, model_limits=(("gpt-4", 1, None),))
    yield server
    server.stop()


@pytest.fixture
def mock(limited: ServerThread) -> Iterator[MockAI]:
    handle = MockAI(limited.base_url)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()


def _get(mock: MockAI, path: str, key: str = API_KEY) -> httpx.Response:
    return httpx.get(f"{mock.base_url}{path}", headers={"Authorization": f"Bearer {key}"})


def test_headers_count_down_then_429_then_reset_when_the_clock_advances(mock: MockAI) -> None:
    responses = [_get(mock, "/v1/models") for _ in range(3)]
    assert [r.headers["x-ratelimit-remaining-requests"] for r in responses] == ["2", "1", "0"]
    assert {r.headers["x-ratelimit-limit-requests"] for r in responses} == {"3"}
    assert responses[0].headers["x-ratelimit-reset-requests"] == "1m0s"
    assert responses[0].headers["x-ratelimit-limit-tokens"] == "1000"
    mock.clock.advance(40)
    refused = _get(mock, "/v1/models")
    assert refused.status_code == 429
    assert refused.json()["error"] == {
        "message": "Rate limit reached for default in organization user-mockai on requests per min (RPM): "
        "Limit 3, Used 3, Requested 1. Please try again in 20s. "
        "Visit https://platform.openai.com/account/rate-limits to learn more.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert (refused.headers["retry-after"], refused.headers["x-ratelimit-reset-requests"]) == ("20", "20s")
    mock.clock.advance(20)
    again = _get(mock, "/v1/models")
    assert (again.status_code, again.headers["x-ratelimit-remaining-requests"]) == (200, "2")


def test_each_key_has_its_own_window(mock: MockAI) -> None:
    for _ in range(3):
        _get(mock, "/v1/models", key="sk-one")
    assert _get(mock, "/v1/models", key="sk-one").status_code == 429
    assert _get(mock, "/v1/models", key="sk-two").status_code == 200


def test_a_per_model_override_applies_to_that_model_only(mock: MockAI) -> None:
    first = _get(mock, "/v1/models/gpt-4")
    assert (first.status_code, first.headers["x-ratelimit-limit-requests"]) == (200, "1")
    refused = _get(mock, "/v1/models/gpt-4")
    assert refused.status_code == 429
    assert refused.json()["error"]["message"].startswith("Rate limit reached for gpt-4 in organization")
    assert _get(mock, "/v1/models/davinci").status_code == 200


def test_tokens_are_charged_from_the_body(mock: MockAI) -> None:
    body = {"model": "text-embedding-ada-002", "input": "one two three"}
    response = httpx.post(f"{mock.base_url}/v1/embeddings", json=body, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.headers["x-ratelimit-remaining-tokens"] == "997"


def test_a_request_larger_than_the_token_limit_is_too_large_not_just_early(mock: MockAI) -> None:
    body = {"model": "text-embedding-ada-002", "input": "word " * 1500}
    response = httpx.post(f"{mock.base_url}/v1/embeddings", json=body, headers={"Authorization": f"Bearer {API_KEY}"})
    assert response.status_code == 429
    assert response.json()["error"]["message"].startswith("Request too large for text-embedding-ada-002")


def test_no_rate_limit_headers_without_configured_limits(http: httpx.Client) -> None:
    response = http.get("/v1/models")
    assert not [name for name in response.headers if name.startswith("x-ratelimit")]
