"""Scripted replies on the legacy text endpoints: completions (plain and streamed) and edits."""

from __future__ import annotations

import json
from typing import Any

from mockai.testing import MockAI


def test_a_scripted_completion_plain_and_streamed_gives_the_same_text(mock: MockAI, client: Any, http: Any) -> None:
    mock.completions.reply(" is a test.", when=mock.match(json__prompt__contains="Say this"))
    plain = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this", max_tokens=20)
    # The SDK's strict types refuse the `finish_reason: null` every real stream chunk but the last carries.
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "Say this", "max_tokens": 20, "stream": True}
    frames = [line[6:] for line in http.post("/v1/completions", json=body).text.splitlines() if line[:6] == "data: "]
    chunks = [json.loads(frame) for frame in frames if frame != "[DONE]"]
    assert plain.choices[0].text == " is a test." == "".join(chunk["choices"][0]["text"] for chunk in chunks)
    assert plain.choices[0].finish_reason == "stop" == chunks[-1]["choices"][0]["finish_reason"]
    assert plain.usage.completion_tokens == 4
    assert frames[-1] == "[DONE]"


def test_a_scripted_completion_is_cut_by_max_tokens(mock: MockAI, client: Any) -> None:
    mock.completions.reply("one two three four five six")
    completion = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Count", max_tokens=2)
    assert (completion.choices[0].text, completion.choices[0].finish_reason) == ("one two", "length")


def test_a_scripted_edit(mock: MockAI, http: Any) -> None:
    mock.edits.reply("What day of the week is it?")
    response = http.post(
        "/v1/edits",
        json={"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix spelling"},
    )
    assert response.json()["choices"][0]["text"] == "What day of the week is it?"


def test_a_scripted_edit_ends_as_the_rule_says(mock: MockAI, http: Any) -> None:
    mock.edits.reply("What day of the", finish_reason="length")
    body = {"model": "text-davinci-edit-001", "input": "What day of the wek is it?", "instruction": "Fix spelling"}
    choice = http.post("/v1/edits", json=body).json()["choices"][0]
    assert (choice["text"], choice["finish_reason"]) == ("What day of the", "length")
