"""Cassette files: stable, schema-valid text; errors that point at the line and column; names inside the folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockai.cassettes.model import Cassette, CassetteRequest, CassetteResponse, Interaction
from mockai.cassettes.storage import CassetteError, cassette_path, dump, load, position
from mockai.contract.registry import default_registry

VALIDATOR = default_registry().validator("mockai/cassette")


def _cassette() -> Cassette:
    request = CassetteRequest("POST", "/v1/embeddings", "", {"content-type": "application/json"}, {"json": {"x": [1]}})
    events = ({"at_ms": 0.5, "data": {"a": 1}}, {"at_ms": 1.0, "data": "[DONE]"})
    streamed = CassetteResponse(200, {"content-type": "text/event-stream"}, None, events, 12.5)
    return Cassette([Interaction(request, streamed, "2026-11-29T00:00:00Z", "mockai 0.1.0")], ("acct-\\d+",))


def test_a_dumped_cassette_validates_loads_back_and_dumps_the_same(tmp_path: Path) -> None:
    text = dump(_cassette())
    VALIDATOR.validate(json.loads(text))
    path = tmp_path / "c.json"
    path.write_text(text)
    assert dump(load(path, VALIDATOR)) == text
    assert text.endswith("\n") and '      "events": [\n' in text
    assert '          {"at_ms": 0.5, "data": {"a": 1}},\n' in text  # one event per line


def test_the_documented_example_validates() -> None:
    for example in default_registry().examples("mockai/cassette"):
        VALIDATOR.validate(example)
        Cassette.from_json(example)


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        pytest.param('{\n  "a": [1,\n    2]\n}', ["a", 1], (3, 5), id="list-item"),
        pytest.param('{"a": {"b": {"c": true}}}', ["a", "b", "c"], (1, 19), id="nested"),
        pytest.param('{"x": 1, "a": "s"}', ["a"], (1, 15), id="later-key"),
        pytest.param('{"a": 1}', [], (1, 1), id="document"),
    ],
)
def test_positions_are_found_for_json_paths(text: str, where: list[str | int], expected: tuple[int, int]) -> None:
    assert position(text, where) == expected


def test_an_invalid_cassette_names_the_file_the_path_and_the_position(tmp_path: Path) -> None:
    document = json.loads(dump(_cassette()))
    document["interactions"][0]["response"]["status"] = "200"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, indent=2))
    with pytest.raises(CassetteError) as refused:
        load(path, VALIDATOR)
    line, text = next((n, text) for n, text in enumerate(path.read_text().splitlines(), 1) if '"status": ' in text)
    column = text.index('"200"') + 1
    assert str(refused.value) == (
        f"cassette {path} does not follow schemas/mockai/cassette.json at interactions[0].response.status "
        f"(line {line}, column {column}): '200' is not of type 'integer'"
    )


def test_an_unparsable_cassette_names_the_file_and_the_position(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{\n  "mockai_cassette": 1,\n  "interactions": [\n')
    with pytest.raises(CassetteError, match=r"cut.json is not valid JSON at line 4, column 1: Expecting value"):
        load(path, VALIDATOR)


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../b", "a//b", "./a", "", "a\\b"])
def test_names_never_leave_the_cassette_folder(name: str) -> None:
    with pytest.raises(CassetteError, match="invalid cassette name"):
        cassette_path(Path("root"), name)


def test_names_may_have_folders_and_an_optional_suffix() -> None:
    assert cassette_path(Path("root"), "chat/v1.2/stream.json") == Path("root/chat/v1.2/stream.json")
    assert cassette_path(Path("root"), "test_a[x-1]") == Path("root/test_a[x-1].json")
