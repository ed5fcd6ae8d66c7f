"""`POST /v1/edits`: corrections as the docs' example shows them."""

from __future__ import annotations

import httpx


def test_the_docs_example_fixes_the_spelling(http: httpx.Client) -> None:
    body = {
        "model": "text-davinci-edit-001",
        "input": "What day of the wek is it?",
        "instruction": "Fix the spelling mistakes",
    }
    response = http.post("/v1/edits", json=body)
    assert response.status_code == 200
    edit = response.json()
    assert edit["object"] == "edit"
    assert edit["choices"] == [{"text": "What day of the week is it?", "index": 0, "finish_reason": "stop"}]
    usage = edit["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_other_instructions_add_written_text(http: httpx.Client) -> None:
    body = {"model": "code-davinci-edit-001", "input": "Rain today.", "instruction": "Add a sentence", "n": 2}
    choices = http.post("/v1/edits", json=body).json()["choices"]
    assert [c["index"] for c in choices] == [0, 1]
    assert all(c["text"].startswith("Rain today.") for c in choices)


def test_instruction_is_required(http: httpx.Client) -> None:
    response = http.post("/v1/edits", json={"model": "text-davinci-edit-001", "input": "x"})
    assert (response.status_code, response.json()["error"]["param"]) == (400, "instruction")


def test_a_chat_model_is_refused(http: httpx.Client) -> None:
    response = http.post("/v1/edits", json={"model": "gpt-4", "input": "x", "instruction": "y"})
    assert response.status_code == 404
