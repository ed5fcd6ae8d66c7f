"""A property over the whole endpoint table: no hostile request gets a 5xx, or stops the server serving the next one.

For every row of `ALL_ENDPOINTS` (the OpenAI table, `/app/v1` and the admin API), hypothesis sends requests an
attacker or a broken client would: bodies that are not JSON or not strict JSON (NaN, lone surrogates, numbers that
overflow, nesting a thousand deep), wrong types and integral floats spliced into the documented examples, multipart
forms cut short, oversized or carrying damaged files, wrong content types and bogus Content-Length headers, hostile
path parameters and query strings. After each one, an ordinary chat completion must succeed and the journal must
render. A route added to the table later is covered without touching this file.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockai.api.endpoint import Endpoint
from mockai.api.routes import ALL_ENDPOINTS
from mockai.contract.registry import default_registry
from mockai.contract.samples import square_png, tone_wav
from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server

ORDINARY_CHAT = {"model": "gpt-3.5-turbo", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 2}
#: Examples per route: the ci profile's 25 would make this the slowest module of the suite; nightly goes deep.
EXAMPLES_PER_ROUTE = max(8, settings().max_examples // 3)

# -- the hostile material -------------------------------------------------------------------------------------------

DEEP_ARRAYS = "[" * 1000 + "]" * 1000
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000
#: JSON text fragments put where a value belongs: not strict JSON, the wrong type, or awkward but valid. Hypothesis
#: tries early entries first and most often, so the ones that crashed mockai before lead.
HOSTILE_VALUES = [
    '"\\ud800"', "NaN", DEEP_ARRAYS, "1e400", "2.0", DEEP_OBJECTS, "Infinity", "1" + "0" * 400, '"a\\udfff"',
    "-Infinity", "-1e400", "18446744073709551616", "-9223372036854775809", "2.5", "-1", "0", "1e308", "true", "null",
    "[]", "{}", '""', '" "', '"\\u0000"', '"<|endoftext|>"', '"' + "a" * 100_000 + '"', "[1, 2, 3]", '[{"x": null}]',
    '{"type": "object", "properties": {"a": {"$ref": "#"}}}',
]  # fmt: skip
WHOLE_BODIES = [
    DEEP_ARRAYS.encode(), b'{"a": NaN}', b'{"\\ud800": 1}', DEEP_OBJECTS.encode(), b"", b"{", b"}", b"null", b"[]",
    b'"text"', b"42", b"\xff\xfe{}", b"\xef\xbb\xbf{}", b'{"a": 1,}', b"{'a': 1}", b'{"a": 1}' * 3,
]  # fmt: skip
PATH_VALUES = [
    "gpt-3.5-turbo", "davinci", "file-abc", "ft-abc", "ftjob-abc", "rule-1", "fault-1", "img-0.png", "",
    "%ED%A0%80", "%FF", "%00", "..%2F..%2Fetc%2Fpasswd", "a" * 3000, "%E6%A8%A1%E5%9E%8B", "%20", "null",
]  # fmt: skip
QUERY_VALUES = ["", "-1", "0", "1e400", "NaN", "true", "maybe", "%ED%A0%80", "%FF", "%00", "a" * 3000, "%5B%5D"]
QUERY_KEYS = ["limit", "after", "stream", "purpose", "user_id", "group_id", "status", "path", "model", "order"]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=", "application/vnd.api+json", "*/*", "",
]  # fmt: skip
AUTHORIZATIONS = [f"Bearer {API_KEY}", None, "Bearer", "Basic abc", "Bearer " + "k" * 5000]
BOGUS_LENGTHS = ["abc", "-1", "1e3", "99999999999999999999", "0", "3", " 5", "5, 5"]
SMALL_PNG = square_png(8)
#: Damaged files: a PNG cut anywhere (29-32 is inside the IHDR chunk's CRC) or bit-flipped, other formats, nothing.
FILES = [
    *(SMALL_PNG[:cut] for cut in (8, 16, 29, 30, 31, 32, 33, 45, -13, -1)),
    SMALL_PNG[:40] + bytes([SMALL_PNG[40] ^ 0x10]) + SMALL_PNG[41:],
    b"GIF89a" + bytes(30),
    b"",
    b"\x00" * 300,
    tone_wav(0.2)[:50],
]
FORM_TEXT = [b"x", b"", b"2.0", b"-1", b"NaN", b"true", b"\xed\xa0\x80", b"\xff\xfe", b"whisper-1", b"dall-e-2",
             b"fine-tune", b"256x256", b"b64_json", b"x" * 1_100_000]  # fmt: skip


@dataclass
class HostileRequest:
    """One request as bytes on the wire pieces; `raw_length` set means it goes out on a raw socket."""

    method: str
    target: str  # path and query, already percent-encoded
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    raw_length: str | None = None

    def __repr__(self) -> str:  # hypothesis prints the failing example: keep huge bodies readable
        shown = self.body if len(self.body) < 300 else self.body[:300] + b"..."
        return f"HostileRequest({self.method} {self.target[:200]!r} {self.headers!r} {shown!r} {self.raw_length!r})"


def _schema_properties(row: Endpoint) -> list[str]:
    if row.request_schema is None:
        return ["x"]
    return list(default_registry().document(row.request_schema).get("properties", {})) or ["x"]


def _examples(row: Endpoint) -> list[dict[str, Any]]:
    found = default_registry().examples(row.request_schema) if row.request_schema else []
    return [example for example in found if isinstance(example, dict)] or [{}]


@st.composite
def json_bodies(draw: st.DrawFn, row: Endpoint) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(WHOLE_BODIES) | st.binary(max_size=64))
    body = {key: CHEAP_JSON.get(key, value) for key, value in draw(st.sampled_from(_examples(row))).items()}
    for _ in range(draw(st.integers(1, 3))):
        body[draw(st.sampled_from(_schema_properties(row)))] = "\x00HOSTILE\x00"
    fragment = draw(st.sampled_from(HOSTILE_VALUES))
    return json.dumps(body).replace('"\\u0000HOSTILE\\u0000"', fragment).encode()


#: A valid file for each binary form field, small so that a request that gets through stays cheap.
VALID_FILES = {
    "image": SMALL_PNG,
    "mask": SMALL_PNG,
    "file": tone_wav(0.2),
    "jsonl": b'{"prompt": "a", "completion": "b"}\n',
}
CHEAP = {"n": "1", "size": "256x256"}
CHEAP_JSON = {"n": 1, "size": "256x256", "max_tokens": 5}


def _valid_form(row: Endpoint) -> list[tuple[str, str | None, bytes]]:
    """The row's documented example as form parts (name, file name or None, content), made cheap to answer."""
    parts: list[tuple[str, str | None, bytes]] = []
    for name, value in _examples(row)[0].items():
        if name in VALID_FILES:
            kind = "jsonl" if row.operation_id == "createFile" else name
            parts.append((name, str(value), VALID_FILES[kind]))
        else:
            parts.append((name, None, CHEAP.get(name, str(value)).encode()))
    return parts


def _encode_form(parts: list[tuple[str, str | None, bytes]], boundary: str) -> bytes:
    encoded = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        if not name:
            disposition = "form-data"  # a part without a name at all
        encoded += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return encoded + f"--{boundary}--\r\n".encode()


@st.composite
def multipart_bodies(draw: st.DrawFn, row: Endpoint) -> tuple[bytes, str]:
    parts = _valid_form(row)
    names = [*_schema_properties(row), "file[]", "image[]", ""]
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(["damage a file", "spoil a field", "add a part", "drop a part"]))
        files = [index for index, part in enumerate(parts) if part[1] is not None]
        fields = [index for index, part in enumerate(parts) if part[1] is None]
        if mutation == "damage a file" and files:
            name, filename, _ = parts[index := draw(st.sampled_from(files))]
            parts[index] = (name, filename, draw(st.sampled_from(FILES)))
        elif mutation == "spoil a field" and fields:
            name, filename, _ = parts[index := draw(st.sampled_from(fields))]
            parts[index] = (name, filename, draw(st.sampled_from(FORM_TEXT)))
        elif mutation == "drop a part" and parts:
            parts.pop(draw(st.integers(0, len(parts) - 1)))
        else:
            is_file = draw(st.booleans())
            content = draw(st.sampled_from(FILES if is_file else FORM_TEXT))
            parts.append((draw(st.sampled_from(names)), "x.bin" if is_file else None, content))
    boundary = draw(st.sampled_from(["hostile-boundary", "x", "-" * 70]))
    body = _encode_form(parts, boundary)
    if draw(st.integers(0, 4)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut anywhere
    declared = draw(st.sampled_from([boundary, boundary, boundary, "other", ""]))
    return body, f"multipart/form-data; boundary={declared}" if declared else "multipart/form-data"


#: What each example attacks; the rest of the request stays valid, so the one hostile part is what gets judged.
FOCUS = ["body", "body", "body", "headers", "path and query", "method"]


def _valid_body(row: Endpoint) -> tuple[bytes, str | None]:
    if row.body == "multipart":
        return _encode_form(_valid_form(row), "valid-boundary"), "multipart/form-data; boundary=valid-boundary"
    if row.body == "json" or row.request_schema is not None:
        example = {key: CHEAP_JSON.get(key, value) for key, value in _examples(row)[0].items()}
        return json.dumps(example).encode(), "application/json"
    return b"", None


def _hostile_body(draw: st.DrawFn, row: Endpoint) -> tuple[bytes, str | None]:
    if row.body == "multipart":
        return draw(multipart_bodies(row))
    if row.body == "json" or row.request_schema is not None:
        return draw(json_bodies(row)), "application/json"
    return draw(st.sampled_from(WHOLE_BODIES)), None


@st.composite
def hostile_requests(draw: st.DrawFn, row: Endpoint) -> HostileRequest:
    focus = draw(st.sampled_from(FOCUS))
    path, query = row.path, ""
    while "{" in path:
        values = PATH_VALUES if focus == "path and query" else PATH_VALUES[:8]
        path = path.replace(path[path.index("{") : path.index("}") + 1], draw(st.sampled_from(values)), 1)
    if focus == "path and query":
        pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), st.sampled_from(QUERY_VALUES)), max_size=3))
        query = "&".join(f"{key}={value}" for key, value in pairs)
    method = draw(st.sampled_from(["GET", "POST", "DELETE", "PUT"])) if focus == "method" else row.method
    request = HostileRequest(method, path + ("?" + query if query else ""), {"Authorization": f"Bearer {API_KEY}"})
    body, content_type = _hostile_body(draw, row) if focus == "body" else _valid_body(row)
    request.body = body
    if content_type is not None:
        request.headers["Content-Type"] = content_type
    if focus == "headers":
        authorization = draw(st.sampled_from(AUTHORIZATIONS))
        if authorization is None:
            del request.headers["Authorization"]
        else:
            request.headers["Authorization"] = authorization
        request.headers["Content-Type"] = draw(st.sampled_from(CONTENT_TYPES))
        if draw(st.booleans()):
            request.raw_length = draw(st.sampled_from(BOGUS_LENGTHS))
    return request


# -- sending --------------------------------------------------------------------------------------------------------


def send_raw(server: ServerThread, request: HostileRequest) -> int | None:
    """Send with a bogus Content-Length no HTTP client library would write; the status, or None if none came."""
    host, port = server.base_url.removeprefix("http://").split(":")
    head = f"{request.method} {request.target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in request.headers.items())
    head += f"Content-Length: {request.raw_length}\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode("latin-1") + request.body)
        connection.shutdown(socket.SHUT_WR)  # no more is coming: a server waiting for a longer body sees the end
        status_line = connection.makefile("rb").readline()
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


@pytest.fixture(scope="module")
def target() -> Iterator[ServerThread]:
    # Its own server: hostile requests may add rules, faults and files, which other modules must not see.
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(target: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[list[int]]:
    """How many hostile requests were sent, printed at the end of the module."""
    sent: list[int] = []
    yield sent
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # teardown output is captured otherwise
            reporter.ensure_newline()
            reporter.write_line(f"hostile input: {len(sent)} requests sent over {len(ALL_ENDPOINTS)} routes")


ADMIN = {"Authorization": f"Bearer {API_KEY}"}


@pytest.mark.parametrize("row", ALL_ENDPOINTS, ids=[f"{row.method} {row.path}" for row in ALL_ENDPOINTS])
@settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_hostile_request_gets_a_5xx_or_stops_the_server(
    row: Endpoint, data: st.DataObject, target: ServerThread, http: httpx.Client, tally: list[int]
) -> None:
    request = data.draw(hostile_requests(row), label="request")
    if request.raw_length is not None:
        status = send_raw(target, request)
    else:
        url = httpx.URL(target.base_url + urllib.parse.quote(request.target, safe="/?&=%:"))
        status = http.request(request.method, url, headers=request.headers, content=request.body).status_code
    tally.append(1)
    assert status is None or status < 500, f"{status} for {request!r}"
    if status is not None and status < 300 and row.path in ("/_mockai/rules", "/_mockai/faults"):
        http.delete(row.path, headers=ADMIN)  # a valid rule or fault got through: it would answer the next request
    ordinary = http.post("/v1/chat/completions", json=ORDINARY_CHAT, headers=ADMIN)
    assert ordinary.status_code == 200, ordinary.text
    journal = http.get("/_mockai/requests", headers=ADMIN)
    assert journal.status_code == 200, journal.text
    assert journal.json()["data"][-1]["path"] == "/v1/chat/completions"
    http.delete("/_mockai/requests", headers=ADMIN)  # each example renders only its own two entries
