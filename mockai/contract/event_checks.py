"""Contract checks for typed event streams (the Responses API): framing, sequence numbers, event order, the text join.

A Responses stream is a series of `event: <type>` / `data: <json>` frames, each payload carrying its `type` and a
`sequence_number`, with no `[DONE]` sentinel. These checks read one recorded streamed exchange (and, for the join with
the plain answer, the non-streamed exchange of the same request) and return `Failure` values, like `checks.py`.
Titles never carry example-specific values, so one defect is one failure however many examples show it.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from mockai.contract.checks import Exchange, Failure

#: Events that end a response stream; exactly one of them comes, last.
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed", "error"})
_TEXT_DELTA, _TEXT_DONE = "response.output_text.delta", "response.output_text.done"
_ARGS_DELTA, _ARGS_DONE = "response.function_call_arguments.delta", "response.function_call_arguments.done"


def typed_event_framing(exchange: Exchange) -> list[Failure]:
    """`text/event-stream`; every event JSON with a `type`, which its `event:` line (when sent) repeats; no `[DONE]`
    (the Responses API ends with its terminal event instead)."""
    found: list[Failure] = []
    content_type = exchange.response.headers.get("content-type", "")
    if not content_type.startswith("text/event-stream"):
        found.append(_failure(exchange, "typed_event_framing", "stream is not text/event-stream", repr(content_type)))
    for name, payload in _frames(exchange.response.text):
        if payload == "[DONE]":
            found.append(_failure(exchange, "typed_event_framing", "typed event stream sends data: [DONE]", ""))
            continue
        event = _json_or_none(payload)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            title = "event data is not a JSON object with a type"
            found.append(_failure(exchange, "typed_event_framing", title, repr(payload[:120])))
        elif name is not None and name != event["type"]:
            title = "SSE event name differs from the payload's type"
            found.append(_failure(exchange, "typed_event_framing", title, f"event: {name} carries {event['type']}"))
    return _unique(found)


def sequence_numbers(exchange: Exchange) -> list[Failure]:
    """Every event has an integer `sequence_number`, starting at 0 and strictly increasing."""
    given = [event.get("sequence_number") for event in events_of(exchange)]
    numbers = [number for number in given if isinstance(number, int) and not isinstance(number, bool)]
    if len(numbers) != len(given):
        return [_failure(exchange, "sequence_numbers", "an event has no integer sequence_number", repr(given[:20]))]
    if numbers and numbers[0] != 0:
        return [_failure(exchange, "sequence_numbers", "sequence numbers do not start at 0", f"first {numbers[0]}")]
    if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
        title = "sequence numbers are not strictly increasing"
        return [_failure(exchange, "sequence_numbers", title, repr(numbers[:40]))]
    return []


def event_order(exchange: Exchange) -> list[Failure]:
    """`response.created` first; one terminal event, last; an output item's events between its `added` and `done`;
    a content part's between its `added` and `done`; a text's or call's deltas before its `done`."""
    events = events_of(exchange)
    if not events:
        return [_failure(exchange, "event_order", "stream has no events", "")]
    types = [str(event.get("type")) for event in events]
    found: list[Failure] = []
    if types[0] != "response.created" and types[0] != "error":
        found.append(_failure(exchange, "event_order", "first event is not response.created", types[0]))
    terminal = [index for index, kind in enumerate(types) if kind in TERMINAL_EVENTS]
    if terminal != [len(types) - 1]:
        title = "stream does not end with exactly one terminal event"
        found.append(_failure(exchange, "event_order", title, f"terminal events at {terminal} of {len(types)}"))
    found += _spans(exchange, events, "output_index", "response.output_item.added", "response.output_item.done")
    found += _spans(exchange, events, "content_index", "response.content_part.added", "response.content_part.done")
    found += _deltas_before_done(exchange, types, events)
    return _unique(found)


def streamed_text_joins(exchange: Exchange) -> list[Failure]:
    """Each text's deltas join to its `output_text.done` text, its `content_part.done` part and the text of the final
    response's item; each call's argument deltas join to its `done` arguments and the final item's arguments."""
    events = events_of(exchange)
    final = _final_items(events)
    found: list[Failure] = []
    for key, joined in _joined(events, _TEXT_DELTA).items():
        item_id, content_index = key
        stated = {
            "output_text.done": _last(events, _TEXT_DONE, key, "text"),
            "content_part.done": _part_text(events, key),
            "the final response": _item_text(final.get(item_id), content_index),
        }
        found += _mismatches(exchange, "text deltas", joined, stated)
    for key, joined in _joined(events, _ARGS_DELTA).items():
        item = final.get(key[0])
        stated = {
            "function_call_arguments.done": _last(events, _ARGS_DONE, key, "arguments"),
            "the final response": item.get("arguments") if isinstance(item, dict) else None,
        }
        found += _mismatches(exchange, "argument deltas", joined, stated)
    return _unique(found)


def stream_matches_response(streamed: Exchange, plain: Exchange) -> list[Failure]:
    """The streamed response's output text is the non-streamed answer's, for the same request and seed (mockai's
    promise; only compared when both completed)."""
    plain_body = plain.response.json()
    final = next((event.get("response") for event in reversed(events_of(streamed))), None)
    if not isinstance(plain_body, dict) or not isinstance(final, dict):
        return []
    if plain_body.get("status") != "completed" or final.get("status") != "completed":
        return []
    if output_text(final) == output_text(plain_body):
        return []
    title = "streamed text differs from the non-streamed answer"
    detail = f"stream {output_text(final)!r} vs plain {output_text(plain_body)!r}"
    return [Failure("stream_matches_response", title, detail, streamed.request, streamed.response)]


def output_text(response: dict[str, Any]) -> str:
    """The text of a response's output messages, as the SDK's `output_text` joins it."""
    return "".join(
        part.get("text", "")
        for item in response.get("output") or []
        if isinstance(item, dict) and item.get("type") == "message"
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )


def events_of(exchange: Exchange) -> list[dict[str, Any]]:
    """The stream's JSON object payloads, in order."""
    parsed = (_json_or_none(payload) for payload in exchange.events if payload != "[DONE]")
    return [event for event in parsed if isinstance(event, dict)]


# -- private ------------------------------------------------------------------------------------------------------


def _frames(text: str) -> Iterator[tuple[str | None, str]]:
    """(event name or None, data) for each SSE frame that carries data."""
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        data = [line[5:].removeprefix(" ") for line in lines if line.startswith("data:")]
        names = [line[6:].strip() for line in lines if line.startswith("event:")]
        if data:
            yield (names[-1] if names else None), "\n".join(data)


def _spans(exchange: Exchange, events: list[dict[str, Any]], field: str, opens: str, closes: str) -> list[Failure]:
    """Events naming an output item (or a content part) come after its opening event and before its closing one."""
    found: list[Failure] = []
    opened: set[tuple[Any, ...]] = set()
    closed: set[tuple[Any, ...]] = set()
    for event in events:
        if field not in event:
            continue
        key = (event.get("output_index"), event.get(field)) if field != "output_index" else (event.get(field),)
        kind = event.get("type")
        if kind == opens:
            opened.add(key)
        elif key not in opened:
            title = f"an event comes before its {opens.removeprefix('response.')}"
            found.append(_failure(exchange, "event_order", title, f"{kind} at {field} {key[-1]}"))
        elif key in closed:
            title = f"an event comes after its {closes.removeprefix('response.')}"
            found.append(_failure(exchange, "event_order", title, f"{kind} at {field} {key[-1]}"))
        if kind == closes:
            closed.add(key)
    if opened - closed:
        title = f"a {opens.removeprefix('response.')} event is never followed by its {closes.removeprefix('response.')}"
        found.append(_failure(exchange, "event_order", title, f"{field} {sorted(map(str, opened - closed))}"))
    return found


def _deltas_before_done(exchange: Exchange, types: list[str], events: list[dict[str, Any]]) -> list[Failure]:
    found: list[Failure] = []
    done: set[tuple[Any, ...]] = set()
    for kind, event in zip(types, events, strict=True):
        key = (event.get("item_id"), event.get("content_index"))
        if kind in (_TEXT_DONE, _ARGS_DONE):
            done.add((kind, *key))
        elif kind in (_TEXT_DELTA, _ARGS_DELTA) and (kind.replace(".delta", ".done"), *key) in done:
            found.append(_failure(exchange, "event_order", "a delta comes after its done event", kind))
    return found


def _joined(events: list[dict[str, Any]], delta_type: str) -> dict[tuple[Any, Any], str]:
    joined: dict[tuple[Any, Any], str] = defaultdict(str)
    for event in events:
        if event.get("type") == delta_type and isinstance(event.get("delta"), str):
            joined[(event.get("item_id"), event.get("content_index"))] += event["delta"]
    # A text or call that streamed no delta still has a done event whose value must be empty.
    done_type = delta_type.replace(".delta", ".done")
    for event in events:
        if event.get("type") == done_type:
            joined.setdefault((event.get("item_id"), event.get("content_index")), "")
    return dict(joined)


def _last(events: list[dict[str, Any]], kind: str, key: tuple[Any, Any], field: str) -> Any:
    matching = [
        e.get(field) for e in events if e.get("type") == kind and (e.get("item_id"), e.get("content_index")) == key
    ]
    return matching[-1] if matching else None


def _part_text(events: list[dict[str, Any]], key: tuple[Any, Any]) -> Any:
    parts = [
        event.get("part")
        for event in events
        if event.get("type") == "response.content_part.done"
        and (event.get("item_id"), event.get("content_index")) == key
    ]
    return parts[-1].get("text") if parts and isinstance(parts[-1], dict) else None


def _final_items(events: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    final = events[-1].get("response") if events else None
    output = final.get("output") if isinstance(final, dict) else None
    return {item.get("id"): item for item in output or [] if isinstance(item, dict)}


def _item_text(item: Any, content_index: Any) -> Any:
    content = item.get("content") if isinstance(item, dict) else None
    if not isinstance(content, list) or not isinstance(content_index, int) or content_index >= len(content):
        return None
    part = content[content_index]
    return part.get("text") if isinstance(part, dict) else None


def _mismatches(exchange: Exchange, what: str, joined: str, stated: dict[str, Any]) -> list[Failure]:
    found = []
    for where, value in stated.items():
        if value is not None and value != joined:
            title = f"{what} do not join to the text of {where}"
            found.append(_failure(exchange, "streamed_text_joins", title, f"joined {joined!r} vs {value!r}"))
        elif value is None and where != "the final response":
            title = f"{what} have no {where} event"
            found.append(_failure(exchange, "streamed_text_joins", title, f"joined {joined!r}"))
    return found


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _failure(exchange: Exchange, check: str, title: str, message: str) -> Failure:
    return Failure(check, title, message, exchange.request, exchange.response)


def _unique(found: list[Failure]) -> list[Failure]:
    return list({failure.key: failure for failure in found}.values())
