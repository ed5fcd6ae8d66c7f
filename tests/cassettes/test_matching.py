"""Which recording answers a request: the normalised key, ignored fields, recorded order, and the closest miss."""

from __future__ import annotations

from typing import Any

import pytest

from mockai.cassettes.matching import closest, differences, find, request_key
from mockai.cassettes.model import CassetteRequest, CassetteResponse, Interaction, MatchRule


def _request(
    body: Any = None, *, method: str = "POST", path: str = "/v1/chat/completions", query: str = ""
) -> CassetteRequest:
    return CassetteRequest(method, path, query, {}, {"json": body} if body is not None else None)


def _tape(*requests: CassetteRequest) -> list[Interaction]:
    return [Interaction(request, CassetteResponse(200), "", "") for request in requests]


@pytest.mark.parametrize(
    ("recorded", "sent", "matches"),
    [
        pytest.param({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, True, id="key-order-does-not-matter"),
        pytest.param({"a": 1}, {"a": 1.0}, True, id="integral-floats-equal-integers"),
        pytest.param({"a": [1, 2]}, {"a": [2, 1]}, False, id="list-order-matters"),
        pytest.param({"a": 1, "user": "x"}, {"a": 1, "user": "y"}, True, id="user-ignored-by-default"),
        pytest.param({"a": 1, "stream_options": {}}, {"a": 1}, True, id="stream-options-ignored-by-default"),
        pytest.param({"a": 1}, {"a": 1, "temperature": 0}, False, id="an-extra-field-differs"),
    ],
)
def test_bodies_match_as_json_values(recorded: dict[str, Any], sent: dict[str, Any], matches: bool) -> None:
    assert (find(_tape(_request(recorded)), _request(sent), played=set()) == 0) is matches


@pytest.mark.parametrize(
    ("ignore", "recorded", "sent"),
    [
        pytest.param("messages[0].name", {"messages": [{"name": "a"}]}, {"messages": [{"name": "b"}]}, id="index"),
        pytest.param(
            "messages[-1].name", {"messages": [{}, {"name": "a"}]}, {"messages": [{}, {"name": "b"}]}, id="neg"
        ),
        pytest.param("messages.*.name", {"messages": [{"name": "a"}, {}]}, {"messages": [{"name": "b"}, {}]}, id="any"),
        pytest.param("tools__0__function", {"tools": [{"function": 1}]}, {"tools": [{"function": 2}]}, id="respx-path"),
    ],
)
def test_ignored_fields_may_be_paths(ignore: str, recorded: dict[str, Any], sent: dict[str, Any]) -> None:
    assert find(_tape(_request(recorded)), _request(sent), played=set(), extra_ignore=[ignore]) == 0
    assert find(_tape(_request(recorded)), _request(sent), played=set()) is None


def test_a_recording_says_what_it_is_matched_on() -> None:
    loose = CassetteRequest("GET", "/v1/models", "after=a", match=MatchRule(on=("method", "path")))
    assert find(_tape(loose), _request(method="GET", path="/v1/models", query="after=b"), played=set()) == 0
    assert request_key(loose, loose.match) == {"method": "GET", "path": "/v1/models"}


def test_query_parameters_match_in_any_order() -> None:
    tape = _tape(_request(method="GET", path="/v1/files", query="purpose=x&limit=2"))
    assert find(tape, _request(method="GET", path="/v1/files", query="limit=2&purpose=x"), played=set()) == 0
    assert find(tape, _request(method="GET", path="/v1/files", query="limit=3&purpose=x"), played=set()) is None


def test_identical_requests_take_the_recordings_in_order() -> None:
    tape = _tape(_request({"a": 1}), _request({"b": 1}), _request({"a": 1}))
    played: set[int] = set()
    for expected in (0, 2, None):
        index = find(tape, _request({"a": 1}), played=played)
        assert index == expected
        played.add(index) if index is not None else None


def test_forms_match_on_fields_and_file_contents() -> None:
    def form(content: str) -> CassetteRequest:
        parts = [{"name": "purpose", "text": "fine-tune"}, {"name": "file", "filename": "t.jsonl", "text": content}]
        return CassetteRequest("POST", "/v1/files", body={"form": parts})

    assert find(_tape(form("a")), form("a"), played=set()) == 0
    assert find(_tape(form("a")), form("b"), played=set()) is None


def test_the_closest_recording_prefers_the_same_path_and_fewest_differences() -> None:
    tape = _tape(
        _request({"messages": ["hi"], "n": 1}, path="/v1/completions"),
        _request({"messages": ["hi"], "n": 1, "temperature": 1}),
        _request({"messages": ["ho"], "n": 2}),
    )
    found = closest(tape, _request({"messages": ["hi"], "n": 1}), played=set())
    assert found is not None and found.index == 1
    assert found.differences == ("body.temperature: recorded 1, sent nothing",)


def test_differences_name_each_path_and_stop_at_a_screenful() -> None:
    recorded = {"method": "POST", "path": "/v1/a", "query": [], "body": {"k": list(range(12)), "s": "x"}}
    sent = {"method": "GET", "path": "/v1/a", "query": [], "body": {"k": [-1] * 12, "t": True}}
    lines = differences(recorded, sent)
    assert lines[0] == 'method: recorded "POST", sent "GET"'
    assert lines[1] == "body.k[0]: recorded 0, sent -1"
    assert lines[-1] == "... and 7 more differences" and len(lines) == 9


def test_lists_of_other_lengths_say_so() -> None:
    lines = differences({"body": {"m": [1, 2, 3]}}, {"body": {"m": [1, 5]}})
    assert lines == ["body.m: recorded 3 items, sent 2 items", "body.m[1]: recorded 2, sent 5"]
