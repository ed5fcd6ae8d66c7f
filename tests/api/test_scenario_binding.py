"""`bind_response`: the one call the Responses handler makes so previous_response_id chains keep their scenario."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from starlette.requests import Request

from mockai.api.scripting import bind_response
from mockai.control.matching import RequestView
from mockai.control.scenarios import ScenarioBook


def _request(book: ScenarioBook, state: dict[str, Any]) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(scenarios=book)))
    return Request({"type": "http", "app": app, "state": state, "headers": []})


def _continuing(response_id: str) -> RequestView:
    body = {"model": "gpt-4o", "input": "And then?", "previous_response_id": response_id}
    return RequestView("POST", "/v1/responses", {}, body, "json")


def test_a_bound_response_leads_its_continuation_to_the_same_conversation() -> None:
    book = ScenarioBook()
    bind_response(_request(book, {"mockai.conversation": "chain of #1 POST /v1/responses"}), "resp_1")
    assert book.conversation_key(_continuing("resp_1")) == "chain of #1 POST /v1/responses"


def test_a_request_no_scenario_saw_binds_nothing() -> None:
    book = ScenarioBook()
    bind_response(_request(book, {}), "resp_1")
    assert book.conversation_key(_continuing("resp_1")) == "chain resp_1"
