"""The batch machine: input validation, the planned timeline, expiry, cancelling, and the service's runs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mockai.state import batches as machine
from mockai.state.batch_service import BatchService, RequestResult
from mockai.state.batches import TRANSITIONS, BatchRequest, BatchStatus, Step, apply, due, plan_batch, read_requests
from mockai.state.clock import SimulatedClock
from mockai.state.files import FileService
from mockai.state.ids import IdFactory
from mockai.state.store import Store

START = 1_700_000_000.0
CHAT = "/v1/chat/completions"


def line(custom_id: object, **changes: Any) -> bytes:
    document = {"custom_id": custom_id, "method": "POST", "url": CHAT, "body": {"model": "gpt-4o-mini"}, **changes}
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("raw", "code", "param"),
    [
        (b"{not json", "invalid_json_line", None),
        (b"[1, 2]", "invalid_json_line", None),
        (line("a", method="GET"), "invalid_method", "method"),
        (line("a", url="/v1/embeddings"), "url_mismatch", "url"),
        (line("a", body="text"), "invalid_type", "body"),
        (line(7), "invalid_type", "custom_id"),
        (json.dumps({"custom_id": "a", "url": CHAT, "body": {}}).encode(), "missing_required_parameter", "method"),
    ],
    ids=["not json", "not an object", "not POST", "another endpoint", "body not an object", "custom_id not text",
         "no method"],
)  # fmt: skip
def test_each_bad_line_is_named_with_its_number(raw: bytes, code: str, param: str | None) -> None:
    requests, problems, _ = read_requests([line("ok"), raw], CHAT)
    assert [r.custom_id for r in requests] == ["ok"]
    assert [(p.code, p.param, p.line) for p in problems] == [(code, param, 2)]


def test_an_empty_file_and_a_single_model_are_enforced() -> None:
    assert [p.code for p in read_requests([b"", b"  "], CHAT)[1]] == ["empty_file"]
    other = line("b", body={"model": "gpt-4o"})
    _, problems, model = read_requests([line("a"), other], CHAT)
    assert (model, [(p.code, p.line) for p in problems]) == ("gpt-4o-mini", [("model_mismatch", 2)])


def test_the_timeline_is_planned_and_only_revealed() -> None:
    batch = plan_batch("batch_1", CHAT, "file-1", START, requests=4, problems=[], model="m")
    assert due(batch, START + 1.9) is None and due(batch, START + 2) is Step.VALIDATED
    batch = apply(batch, Step.VALIDATED)
    assert (batch.status, batch.in_progress_at, due(batch, START + 3)) == (BatchStatus.IN_PROGRESS, START + 2, None)
    assert due(batch, START + 4) is Step.RUN
    batch = apply(batch, Step.RUN, machine.Outcome(completed=4))
    assert (batch.status, due(batch, START + 4.5), due(batch, START + 5)) == (
        BatchStatus.FINALIZING,
        None,
        Step.FINISHED,
    )
    batch = apply(batch, Step.FINISHED)
    assert (batch.status, batch.completed_at, due(batch, START + 10**9)) == (BatchStatus.COMPLETED, START + 5, None)


def test_a_batch_too_big_for_its_window_expires_when_it_closes() -> None:
    batch = apply(plan_batch("b", CHAT, "f", START, requests=200_000, problems=[], model=None), Step.VALIDATED)
    assert due(batch, START + 86_399) is None and due(batch, START + 86_400) is Step.EXPIRED
    assert apply(batch, Step.EXPIRED).status is BatchStatus.EXPIRED


def test_terminal_statuses_never_move_and_cancel_follows_the_table() -> None:
    batch = plan_batch("b", CHAT, "f", START, requests=1, problems=[], model=None)
    cancelling = machine.cancel(batch, START + 1)
    assert (cancelling.status, due(cancelling, START + 3)) == (BatchStatus.CANCELLING, Step.CANCELLED)
    cancelled = apply(cancelling, Step.CANCELLED)
    assert cancelled.terminal and due(cancelled, START + 10**9) is None
    with pytest.raises(ValueError, match="cannot become cancelling"):
        machine.cancel(cancelled, START + 5)
    assert all(not TRANSITIONS[s] for s in BatchStatus if s.value in ("failed", "completed", "expired", "cancelled"))


@pytest.fixture
def service() -> Any:
    store, clock = Store(), SimulatedClock(time_scale=0, start=START)
    files = FileService(store, IdFactory(1), clock)
    batches = BatchService(store, IdFactory(2), clock, files)
    seen: list[str] = []

    async def runner(org: str, request: BatchRequest) -> RequestResult:
        seen.append(request.custom_id)
        return RequestResult(200, f"req_{request.custom_id}", {"echo": request.body, "usage": {"prompt_tokens": 2}})

    batches.runner = runner
    yield batches, files, clock, seen
    store.close()


def test_requests_run_once_however_often_the_batch_is_read(service: Any) -> None:
    batches, files, clock, seen = service
    upload = files.upload("org", "in.jsonl", "batch", [line("a") + b"\n" + line("b") + b"\n"])
    batch = batches.create("org", upload.id, CHAT)
    clock.advance(60)

    async def read_concurrently() -> list[Any]:
        return list(await asyncio.gather(*(batches.get("org", batch.id) for _ in range(5))))

    done = asyncio.run(read_concurrently())
    assert {b.status for b in done} == {BatchStatus.COMPLETED} and seen == ["a", "b"]
    assert done[0].outcome.usage["input_tokens"] == 4


def test_an_expired_batch_lists_its_unrun_requests_in_the_error_file(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches, files, clock, seen = service
    monkeypatch.setattr(machine, "SECONDS_PER_REQUEST", 100_000.0)  # two requests outlast the 24-hour window
    upload = files.upload("org", "in.jsonl", "batch", [line("a") + b"\n" + line("b")])
    batch = batches.create("org", upload.id, CHAT)
    clock.advance(86_400)
    expired = asyncio.run(batches.get("org", batch.id))
    assert (expired.status, expired.expired_at, seen) == (BatchStatus.EXPIRED, batch.expires_at, [])
    _, content = files.content("org", expired.outcome.error_file_id)
    errors = [json.loads(raw)["error"]["code"] for raw in b"".join(content).splitlines()]
    assert errors == ["batch_expired", "batch_expired"] and expired.outcome.failed == 2
