"""The typed-event checks on hand-made exchanges: what the broken-server run cannot reach (the join with the plain
answer, function-call arguments, the order of item events)."""

from __future__ import annotations

import json
from typing import Any

from mockai.contract import event_checks
from mockai.contract.checks import Exchange, RecordedRequest, RecordedResponse

REQUEST = RecordedRequest("POST", "http://mock/v1/responses", {"model": "gpt-4o-mini", "input": "Hi"})


def _streamed(*events: dict[str, Any]) -> Exchange:
    numbered = [json.dumps({**event, "sequence_number": index}) for index, event in enumerate(events)]
    text = "".join(f"event: {json.loads(payload)['type']}\ndata: {payload}\n\n" for payload in numbered)
    return Exchange(
        "createResponse", REQUEST, RecordedResponse(200, {"content-type": "text/event-stream"}, text), numbered
    )


def _plain(text: str, status: str = "completed") -> Exchange:
    body = {"status": status, "output": [{"type": "message", "content": [{"type": "output_text", "text": text}]}]}
    return Exchange("createResponse", REQUEST, RecordedResponse(200, {}, json.dumps(body)))


def _completed(text: str) -> dict[str, Any]:
    return {"type": "response.completed", "response": _plain(text).response.json()}


def _keys(found: list[Any]) -> set[tuple[str, str]]:
    return {failure.key for failure in found}


def test_the_streamed_text_must_be_the_plain_answer_when_both_completed() -> None:
    streamed = _streamed({"type": "response.created"}, _completed("Hello"))
    assert event_checks.stream_matches_response(streamed, _plain("Hello")) == []
    assert _keys(event_checks.stream_matches_response(streamed, _plain("Goodbye"))) == {
        ("stream_matches_response", "streamed text differs from the non-streamed answer")
    }
    assert event_checks.stream_matches_response(streamed, _plain("Goodbye", status="queued")) == []


def test_function_call_argument_deltas_must_join_to_their_done_event() -> None:
    where = {"item_id": "fc_1", "output_index": 0}
    call = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": '{"a":1}'}
    events = [
        {"type": "response.created"},
        {"type": "response.output_item.added", "output_index": 0, "item": {**call, "arguments": ""}},
        {"type": "response.function_call_arguments.delta", **where, "delta": '{"a":'},
        {"type": "response.function_call_arguments.delta", **where, "delta": "1}"},
        {"type": "response.function_call_arguments.done", **where, "arguments": '{"a":2}'},
        {"type": "response.output_item.done", "output_index": 0, "item": call},
        {"type": "response.completed", "response": {"status": "completed", "output": [call]}},
    ]
    assert _keys(event_checks.streamed_text_joins(_streamed(*events))) == {
        ("streamed_text_joins", "argument deltas do not join to the text of function_call_arguments.done")
    }
    events[4] = {**events[4], "arguments": '{"a":1}'}
    assert event_checks.streamed_text_joins(_streamed(*events)) == []
    assert event_checks.event_order(_streamed(*events)) == []


def test_an_item_event_after_the_item_is_done_is_out_of_order() -> None:
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed", "content": []}
    events = [
        {"type": "response.created"},
        {"type": "response.output_item.added", "output_index": 0, "item": item},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": ""},
        _completed(""),
    ]
    assert ("event_order", "an event comes after its output_item.done") in _keys(
        event_checks.event_order(_streamed(*events))
    )


def test_an_error_event_may_open_and_end_a_stream() -> None:
    streamed = _streamed({"type": "error", "code": "server_error", "message": "boom", "param": None})
    assert event_checks.event_order(streamed) == []
    assert event_checks.sequence_numbers(streamed) == []
