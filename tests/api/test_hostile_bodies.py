"""Each hostile request of issue 14 gets a 4xx in the right envelope, and the server keeps serving afterwards.

Every row below was a 500 (or a 200 that broke later requests) before the strict JSON reader, the integer
normalisation and the bounded world clock.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockai.api.routes import ALL_ENDPOINTS
from mockai.strict_json import MAX_DEPTH

UNPARSABLE = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP"
CHAT = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 3}
SURROGATE = '"\\ud800"'  # JSON text for a lone surrogate, spliced in where a string is expected


def post(http: httpx.Client, path: str, text: str) -> httpx.Response:
    return http.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def assert_unparsable(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["message"].startswith(UNPARSABLE)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)


def assert_still_serving(http: httpx.Client) -> None:
    assert http.post("/v1/chat/completions", json=CHAT).status_code == 200
    journal = http.get("/_mockai/requests")
    assert journal.status_code == 200, journal.text


# (id, path, body text) — bodies the real API's parser refuses, so mockai must refuse them too.
NOT_JSON = [
    ("chat-temperature-nan", "/v1/chat/completions", '{"model": "gpt-3.5-turbo", "messages": [], "temperature": NaN}'),
    ("chat-top-p-infinity", "/v1/chat/completions", '{"model": "gpt-3.5-turbo", "messages": [], "top_p": Infinity}'),
    ("chat-penalty-minus-infinity", "/v1/chat/completions",
     '{"model": "gpt-3.5-turbo", "messages": [], "frequency_penalty": -Infinity}'),
    ("clock-nan", "/_mockai/clock/advance", '{"seconds": NaN}'),
    ("clock-overflowing-float", "/_mockai/clock/advance", '{"seconds": 1e400}'),
    ("clock-overflowing-integer", "/_mockai/clock/advance", '{"seconds": 1' + "0" * 400 + "}"),
    ("moderation-surrogate", "/v1/moderations", '{"input": ' + SURROGATE + "}"),
    ("image-prompt-surrogate", "/v1/images/generations", '{"prompt": ' + SURROGATE + "}"),
    ("edit-surrogate", "/v1/edits",
     '{"model": "text-davinci-edit-001", "instruction": "fix", "input": ' + SURROGATE + "}"),
    ("model-surrogate", "/v1/chat/completions", '{"messages": [], "model": ' + SURROGATE + "}"),
    ("chat-content-surrogate", "/v1/chat/completions",
     '{"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": ' + SURROGATE + "}]}"),
    ("fine-tuning-file-surrogate", "/v1/fine_tuning/jobs",
     '{"model": "gpt-3.5-turbo", "training_file": ' + SURROGATE + "}"),
    ("fine-tune-file-surrogate", "/v1/fine-tunes", '{"training_file": ' + SURROGATE + "}"),
    ("transcript-surrogate", "/_mockai/transcripts", '{"sha256": "' + "a" * 64 + '", "text": ' + SURROGATE + "}"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "text"), [row[1:] for row in NOT_JSON], ids=[row[0] for row in NOT_JSON])
def test_what_is_not_strict_json_is_refused_as_unparsable(http: httpx.Client, path: str, text: str) -> None:
    assert_unparsable(post(http, path, text))
    assert_still_serving(http)


JSON_ROUTES = [(row.method, row.path) for row in ALL_ENDPOINTS if row.body == "json"]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES, ids=[f"{m} {p}" for m, p in JSON_ROUTES])
@pytest.mark.parametrize("bracket", ["[", '{"a":'], ids=["arrays", "objects"])
def test_nesting_beyond_the_cap_is_refused_on_every_json_route(
    http: httpx.Client, method: str, path: str, bracket: str
) -> None:
    closing = "]" if bracket == "[" else "}"
    text = bracket * 1000 + "1" + closing * 1000
    response = http.request(method, path.replace("{engine}", "davinci"), content=text.encode())
    assert_unparsable(response)


def test_nesting_up_to_the_cap_is_served(http: httpx.Client) -> None:
    # A tool schema nested to the cap (each object level is two JSON levels) is legitimate, if unusual.
    schema: dict[str, Any] = {"type": "string"}
    for _ in range((MAX_DEPTH - 8) // 2):
        schema = {"type": "object", "properties": {"x": schema}}
    tool = {"type": "function", "function": {"name": "deep", "parameters": schema}}
    response = http.post("/v1/chat/completions", json={**CHAT, "tools": [tool], "tool_choice": "none"})
    assert response.status_code == 200, response.text


INTEGRAL_FLOATS = [
    ("chat-n", "/v1/chat/completions", {**CHAT, "n": 2.0}, lambda body: len(body["choices"]) == 2),
    ("chat-max-tokens", "/v1/chat/completions", {**CHAT, "max_tokens": 1.0},
     lambda body: body["usage"]["completion_tokens"] == 1),
    ("completions-n", "/v1/completions", {"model": "davinci", "prompt": "Hi", "max_tokens": 2, "n": 2.0},
     lambda body: len(body["choices"]) == 2),
    ("completions-best-of", "/v1/completions",
     {"model": "davinci", "prompt": "Hi", "max_tokens": 2, "best_of": 3.0, "n": 2},
     lambda body: len(body["choices"]) == 2),
    ("completions-logprobs", "/v1/completions", {"model": "davinci", "prompt": "Hi", "max_tokens": 2, "logprobs": 2.0},
     lambda body: all(len(top) == 2 for top in body["choices"][0]["logprobs"]["top_logprobs"])),
    ("edits-n", "/v1/edits", {"model": "text-davinci-edit-001", "input": "a", "instruction": "b", "n": 2.0},
     lambda body: len(body["choices"]) == 2),
    ("images-n", "/v1/images/generations", {"prompt": "cat", "size": "256x256", "n": 2.0},
     lambda body: len(body["data"]) == 2),
    ("embeddings-dimensions", "/v1/embeddings",
     {"model": "text-embedding-3-small", "input": "Hi", "dimensions": 256.0, "encoding_format": "float"},
     lambda body: len(body["data"][0]["embedding"]) == 256),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "body", "holds"), [row[1:] for row in INTEGRAL_FLOATS], ids=[row[0] for row in INTEGRAL_FLOATS]
)
def test_an_integral_float_counts_as_its_integer(http: httpx.Client, path: str, body: Any, holds: Any) -> None:
    response = http.post(path, json=body)
    assert response.status_code == 200, response.text
    assert holds(response.json())


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {**CHAT, "n": 2.5}, "n"),
        ("/v1/completions", {"model": "davinci", "prompt": "Hi", "logprobs": 1.5}, "logprobs"),
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "Hi", "dimensions": 256.5}, "dimensions"),
    ],
    ids=["chat-n", "completions-logprobs", "embeddings-dimensions"],
)
def test_a_fractional_number_in_an_integer_field_is_invalid_type(
    http: httpx.Client, path: str, body: Any, param: str
) -> None:
    response = http.post(path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["param"], error["code"]) == (param, "invalid_type")
    assert "but got a decimal instead" in error["message"]


def test_a_float_inside_free_form_json_is_left_as_sent(http: httpx.Client) -> None:
    # The tool's own schema is the client's data: its 2.0 must reach the journal as 2.0, not as 2.
    parameters = {"type": "object", "properties": {"x": {"type": "number", "minimum": 2.0}}}
    tool = {"type": "function", "function": {"name": "f", "parameters": parameters}}
    http.delete("/_mockai/requests")
    assert http.post("/v1/chat/completions", json={**CHAT, "n": 1.0, "tools": [tool]}).status_code == 200
    recorded = http.get("/_mockai/requests").json()["data"][-1]["json"]
    assert recorded["n"] == 1 and isinstance(recorded["n"], int)
    minimum = recorded["tools"][0]["function"]["parameters"]["properties"]["x"]["minimum"]
    assert minimum == 2.0 and isinstance(minimum, float)


@pytest.mark.parametrize(
    "text",
    ['{"version": "1.0.0", "pars": {"user_id": "u", "question": ' + SURROGATE + "}}", "[" * 1000 + "]" * 1000],
    ids=["surrogate", "deep"],
)
def test_the_dialogue_refuses_hostile_json_in_its_own_envelope(http: httpx.Client, text: str) -> None:
    response = post(http, "/app/v1/ask", text)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["code"], body["data"]) == (1001, None)
    assert body["msg"].startswith("The request body must be a JSON object: it is ")


def test_the_clock_refuses_to_pass_the_end_of_year_9999_and_keeps_serving(http: httpx.Client) -> None:
    now = http.get("/_mockai/clock").json()["now"]
    try:
        for _ in range(int((253_402_300_799 - now) // 3_155_760_000)):
            assert http.post("/_mockai/clock/advance", json={"seconds": 3_155_760_000}).status_code == 200
        refused = http.post("/_mockai/clock/advance", json={"seconds": 3_155_760_000})
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "seconds"
        assert "end of world time" in refused.json()["error"]["message"]
        assert_still_serving(http)
    finally:
        http.post("/_mockai/reset")


def test_more_than_a_century_in_one_advance_is_out_of_range(http: httpx.Client) -> None:
    response = http.post("/_mockai/clock/advance", json={"seconds": 1e300})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "decimal_above_max_value"
