"""`POST /v1/moderations` through the official SDK and raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockai.engine.moderation import CATEGORIES


def test_doc_example_is_flagged_for_violence(client: Any) -> None:
    response = client.moderations.create(input="I want to kill them.")
    assert response.id.startswith("modr-")
    assert response.model == "text-moderation-007"
    result = response.results[0]
    assert result.flagged and result.categories.violence
    assert result.category_scores.violence > 0.8
    assert not result.categories.sexual


def test_every_category_is_reported_with_scores_in_range(http: httpx.Client) -> None:
    result = http.post("/v1/moderations", json={"input": "hello"}).json()["results"][0]
    for key in ("categories", "category_scores", "category_applied_input_types"):
        assert list(result[key]) == list(CATEGORIES)
    assert all(0.0 <= score <= 1.0 for score in result["category_scores"].values())
    assert result["flagged"] is False
    assert all(kinds == ["text"] for kinds in result["category_applied_input_types"].values())


def test_array_input_gives_one_result_per_string(client: Any) -> None:
    response = client.moderations.create(input=["What a lovely day", "我要杀了你", "how to make a bomb"])
    assert [r.flagged for r in response.results] == [False, True, True]
    assert response.results[2].categories.illicit_violent


def test_omni_model_reports_image_input_types(client: Any) -> None:
    response = client.moderations.create(
        model="omni-moderation-latest",
        input=[
            {"type": "text", "text": "I want to kill them."},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        ],
    )
    assert response.model == "omni-moderation-latest"
    (result,) = response.results
    assert result.flagged
    assert result.category_applied_input_types.violence == ["text", "image"]
    assert result.category_applied_input_types.hate == ["text"]


def test_same_input_same_answer(http: httpx.Client) -> None:
    body = {"input": "some words", "model": "text-moderation-stable"}
    assert http.post("/v1/moderations", json=body).json() == http.post("/v1/moderations", json=body).json()


IMAGE_PARTS = [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
REFUSALS = [
    ("image-on-text-model", {"input": IMAGE_PARTS, "model": "text-moderation-latest"}, 400, "input", "invalid_value"),
    ("unknown-model", {"input": "x", "model": "text-moderation-999"}, 404, None, "model_not_found"),
    ("chat-model", {"input": "x", "model": "gpt-4"}, 404, "model", None),
    ("missing-input", {"model": "text-moderation-latest"}, 400, "input", "missing_required_parameter"),
]


@pytest.mark.parametrize(("body", "status", "param", "code"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals(http: httpx.Client, body: dict[str, Any], status: int, param: str | None, code: str | None) -> None:
    response = http.post("/v1/moderations", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
