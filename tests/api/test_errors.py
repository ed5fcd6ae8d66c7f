"""The error matrix of the foundation: each case → status, `type`, `param` and `code` of the OpenAI envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockai.api.endpoint import Endpoint
from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server

AUTH = {"Authorization": f"Bearer {API_KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}

# (id, method, path, headers, body bytes) -> (status, type, param, code)
CASES: list[tuple[str, str, str, dict[str, str], bytes | None, tuple[int, str, Any, Any]]] = [
    (
        "unknown route",
        "GET",
        "/v1/nothing-here",
        AUTH,
        None,
        (404, "invalid_request_error", None, None),
    ),
    (
        "trailing slash is not redirected",
        "GET",
        "/v1/models/",
        AUTH,
        None,
        (404, "invalid_request_error", None, None),
    ),
    (
        "wrong method",
        "POST",
        "/v1/models",
        JSON,
        b"{}",
        (405, "invalid_request_error", None, "method_not_allowed"),
    ),
    ("no key", "GET", "/v1/models", {}, None, (401, "invalid_request_error", None, None)),
    (
        "basic auth instead of bearer",
        "GET",
        "/v1/models",
        {"Authorization": "Basic abc"},
        None,
        (401, "invalid_request_error", None, None),
    ),
    (
        "bearer without a key",
        "GET",
        "/v1/models",
        {"Authorization": "Bearer"},
        None,
        (401, "invalid_request_error", None, None),
    ),
    (
        "malformed json",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b"{nope",
        (400, "invalid_request_error", None, None),
    ),
    (
        "body is an array",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b"[1]",
        (400, "invalid_request_error", None, "invalid_type"),
    ),
    (
        "wrong content type",
        "POST",
        "/_mockai/clock/advance",
        {**AUTH, "Content-Type": "text/plain"},
        b'{"seconds": 1}',
        (415, "invalid_request_error", None, "unsupported_content_type"),
    ),
    (
        "missing field",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b"{}",
        (400, "invalid_request_error", "seconds", "missing_required_parameter"),
    ),
    (
        "wrong type",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b'{"seconds": "soon"}',
        (400, "invalid_request_error", "seconds", "invalid_type"),
    ),
    (
        "out of range",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b'{"seconds": -1}',
        (400, "invalid_request_error", "seconds", "integer_below_min_value"),
    ),
    (
        "unknown parameter",
        "POST",
        "/_mockai/clock/advance",
        JSON,
        b'{"seconds": 1, "minutes": 2}',
        (400, "invalid_request_error", "minutes", "unknown_parameter"),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_error_envelope(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    expected: tuple[int, str, Any, Any],
) -> None:
    response = httpx.request(method, base_url + path, headers=headers, content=body)
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (response.status_code, error["type"], error["param"], error["code"]) == expected
    assert error["message"]


def test_unknown_route_message_names_method_and_path(http: httpx.Client) -> None:
    assert http.post("/v1/nowhere", json={}).json()["error"]["message"] == "Invalid URL (POST /v1/nowhere)"


def test_wrong_method_lists_the_allowed_methods(http: httpx.Client) -> None:
    response = http.put("/v1/models/gpt-4")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD"


def test_missing_key_message_is_the_real_one(base_url: str) -> None:
    message = httpx.get(base_url + "/v1/models").json()["error"]["message"]
    assert message.startswith("You didn't provide an API key.")


def test_enum_refusals_list_the_supported_values_in_json_terms(http: httpx.Client) -> None:
    error = http.post("/v1/images/generations", json={"prompt": "x", "quality": "ultra"}).json()["error"]
    assert error["message"].startswith("Invalid value: 'ultra'. Supported values are: 'standard', 'hd', 'low'")
    assert error["message"].endswith(", 'auto', and null.")
    assert (error["param"], error["code"]) == ("quality", "invalid_value")


def test_a_size_the_model_cannot_draw_lists_the_models_sizes(http: httpx.Client) -> None:
    # The spec types `size` as any string (new models bring new sizes), so the model's own sizes decide.
    error = http.post("/v1/images/generations", json={"prompt": "x", "size": "100x100"}).json()["error"]
    assert error["message"] == "Invalid value: '100x100'. Supported values are: '256x256', '512x512', and '1024x1024'."
    assert error["param"] == "size"


def test_messages_use_the_real_api_wording(http: httpx.Client) -> None:
    error = http.post("/_mockai/clock/advance", json={"seconds": "soon"}).json()["error"]
    assert error["message"] == "Invalid type for 'seconds': expected a decimal, but got a string instead."


@pytest.fixture(scope="module")
def small_server() -> Iterator[ServerThread]:
    server = start_server(api_keys=("sk-allowed",), max_json_bytes=64)
    failing = Endpoint("GET", "/v1/explode", _explode, "explode", "test")
    server.app.router.routes.insert(0, failing.as_route())  # type: ignore[attr-defined]
    yield server
    server.stop()


async def _explode(request: Any, body: None) -> Any:
    raise RuntimeError("a bug, not bad input")


def test_an_unlisted_key_is_invalid_api_key(small_server: ServerThread) -> None:
    response = httpx.get(small_server.base_url + "/v1/models", headers={"Authorization": "Bearer sk-other-key"})
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (401, "invalid_api_key")
    assert "sk-" in error["message"] and "sk-other-key" not in error["message"]


def test_a_listed_key_is_accepted(small_server: ServerThread) -> None:
    response = httpx.get(small_server.base_url + "/v1/models", headers={"Authorization": "Bearer sk-allowed"})
    assert response.status_code == 200


def test_an_oversize_body_is_413(small_server: ServerThread) -> None:
    response = httpx.post(small_server.base_url + "/_mockai/clock/advance", json={"seconds": 1, "pad": "x" * 100})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_an_unexpected_exception_is_a_500_server_error(small_server: ServerThread) -> None:
    response = httpx.get(small_server.base_url + "/v1/explode", headers={"Authorization": "Bearer sk-allowed"})
    error = response.json()["error"]
    assert (response.status_code, error["type"]) == (500, "server_error")
    # The message names the request, as the journal and the `x-request-id` header do: a user reporting it can be found.
    assert response.headers["x-request-id"] in error["message"]


def test_a_curl_form_post_is_told_how_to_send_json(http: httpx.Client) -> None:
    # What `curl .../v1/chat/completions -d '{...}'` sends without -H "Content-Type: application/json".
    body = b'{"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hi"}]}'
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = http.post("/v1/chat/completions", content=body, headers=headers)
    error = response.json()["error"]
    assert (response.status_code, error["type"], error["param"], error["code"]) == (
        415,
        "invalid_request_error",
        None,
        "unsupported_content_type",
    )
    assert error["message"] == (
        "Invalid Content-Type header (application/x-www-form-urlencoded), expected application/json. "
        'With curl, add -H "Content-Type: application/json" (-d alone sends a form).'
    )


def test_a_json_upload_is_told_to_send_a_multipart_form(http: httpx.Client) -> None:
    response = http.post("/v1/files", json={"purpose": "fine-tune"})
    assert response.status_code == 415
    assert "With curl, send each field with -F" in response.json()["error"]["message"]
