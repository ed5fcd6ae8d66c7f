"""`BatchService`: create, read, list and cancel batches, and run their requests when world time says so.

Batches catch up lazily on every read and eagerly when the clock is advanced, like fine-tuning jobs. The one impure
step, running the requests, goes through a `RequestRunner` the HTTP layer provides (mockai's own endpoints, called
in-process), so a batch line gets exactly the answer the same request gets on its own and any endpoint the server
serves works in a batch. Steps are serialised by one lock: a batch's requests never run twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mockai import errors
from mockai.state.batches import (
    TRANSITIONS,
    Batch,
    BatchRequest,
    BatchStatus,
    Outcome,
    Step,
    apply,
    batch_from_dict,
    batch_to_dict,
    cancel,
    due,
    plan_batch,
    read_requests,
)
from mockai.state.clock import Clock
from mockai.state.files import FileService
from mockai.state.ids import IdFactory, derived_id
from mockai.state.objects import ObjectTable
from mockai.state.store import Store

INPUT_PURPOSE = "batch"
OUTPUT_PURPOSE = "batch_output"


@dataclass(frozen=True)
class RequestResult:
    """The answer one request got: what a batch output line's `response` reports."""

    status_code: int
    request_id: str
    body: Any


class RequestRunner(Protocol):
    async def __call__(self, org: str, request: BatchRequest) -> RequestResult:
        """Run one batch request as `org` and return its answer."""
        ...


class BatchService:
    """Batches per organization; `runner` must be set before a batch reaches its run time."""

    def __init__(self, store: Store, ids: IdFactory, clock: Clock, files: FileService) -> None:
        self._store, self._ids, self._clock, self._files = store, ids, clock, files
        self._table = ObjectTable(store, "batch")
        self._lock = asyncio.Lock()
        self.runner: RequestRunner | None = None

    def create(
        self,
        org: str,
        input_file_id: str,
        endpoint: str,
        *,
        metadata: Mapping[str, str] | None = None,
        output_expires_after: int | None = None,
    ) -> Batch:
        """Check the input file's lines now (the verdict shows when validation ends) and keep a private copy of it,
        so deleting the file later does not take the batch's requests with it."""
        file = self._files.get(org, input_file_id, param="input_file_id")
        if file.purpose != INPUT_PURPOSE:
            raise errors.batch_file_wrong_purpose(file.id, file.purpose)
        requests, problems, model = read_requests(_lines(self._store, file.id), endpoint)
        batch = plan_batch(
            self._ids.new("batch"),
            endpoint,
            file.id,
            self._clock.now(),
            requests=len(requests),
            problems=problems,
            model=model,
            metadata=metadata,
            output_expires_after=output_expires_after,
        )
        size = self._store.copy_blob(file.id, _input_copy(batch.id))
        with self._store.transaction() as tx:
            Store.register_blob(tx, _input_copy(batch.id), size)
            self._table.insert(tx, org, batch.id, batch_to_dict(batch))
        return batch

    async def get(self, org: str, batch_id: str) -> Batch:
        doc = self._table.get(org, batch_id)
        if doc is None:
            raise errors.batch_not_found(batch_id)
        return await self._catch_up(org, batch_from_dict(doc))

    async def list(self, org: str) -> list[Batch]:
        """The organization's batches, oldest first, each as it is now."""
        return [await self._catch_up(org, batch_from_dict(doc)) for doc in self._table.all(org)]

    async def cancel(self, org: str, batch_id: str) -> Batch:
        await self.get(org, batch_id)  # caught up to the present first
        async with self._lock:
            batch = self._reload(batch_id)
            if BatchStatus.CANCELLING not in TRANSITIONS[batch.status]:
                raise errors.cannot_cancel_batch(batch.id, batch.status)
            moved = cancel(batch, self._clock.now())
            self._save(moved)
        return moved

    async def catch_up_all(self) -> None:
        """Bring every unfinished batch up to the present (called when the clock is advanced)."""
        for org, doc in list(self._table.every()):
            batch = batch_from_dict(doc)
            if not batch.terminal:
                await self._catch_up(org, batch)

    # -- internals ------------------------------------------------------------------------------------------------

    async def _catch_up(self, org: str, batch: Batch) -> Batch:
        if batch.terminal or due(batch, self._clock.now()) is None:
            return batch
        async with self._lock:
            batch = self._reload(batch.id)  # another task may have moved it meanwhile
            while (step := due(batch, self._clock.now())) is not None:
                batch = apply(batch, step, await self._outcome(org, batch, step))
                self._save(batch)
        return batch

    async def _outcome(self, org: str, batch: Batch, step: Step) -> Outcome | None:
        if step is Step.RUN:
            return await self._run(org, batch)
        if step is Step.EXPIRED:
            requests, _, _ = read_requests(_lines(self._store, _input_copy(batch.id)), batch.endpoint)
            lines = [
                _unrun_line(batch, i, r, "batch_expired", errors.batch_request_expired())
                for i, r in enumerate(requests)
            ]
            return Outcome(failed=len(lines), error_file_id=self._write(org, batch, "error", lines))
        return None

    async def _run(self, org: str, batch: Batch) -> Outcome:
        if self.runner is None:
            raise RuntimeError("BatchService.runner is not set: the app attaches it at start-up")
        requests, _, _ = read_requests(_lines(self._store, _input_copy(batch.id)), batch.endpoint)
        done: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        for index, request in enumerate(requests):
            result = await self._answer(org, request)
            line = {
                "id": derived_id("batch_request", batch.id, index),
                "custom_id": request.custom_id,
                "response": {"status_code": result.status_code, "request_id": result.request_id, "body": result.body},
                "error": None,
            }
            (done if result.status_code < 400 else refused).append(line)
        return Outcome(
            completed=len(done),
            failed=len(refused),
            output_file_id=self._write(org, batch, "output", done),
            error_file_id=self._write(org, batch, "error", refused),
            usage=_usage(line["response"]["body"] for line in done),
        )

    async def _answer(self, org: str, request: BatchRequest) -> RequestResult:
        assert self.runner is not None
        if request.body.get("stream"):
            refusal = errors.batch_stream_refused()
            return RequestResult(refusal.status, "", refusal.envelope())
        return await self.runner(org, request)

    def _write(self, org: str, batch: Batch, kind: str, lines: Sequence[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        data = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
        name = f"{batch.id}_{kind}.jsonl"
        return self._files.create_generated(
            org, name, OUTPUT_PURPOSE, data, expires_after=batch.output_expires_after
        ).id

    def _reload(self, batch_id: str) -> Batch:
        with self._store.transaction() as tx:
            doc = self._table.reload(tx, batch_id)
        if doc is None:
            raise errors.batch_not_found(batch_id)
        return batch_from_dict(doc)

    def _save(self, batch: Batch) -> None:
        with self._store.transaction() as tx:
            self._table.update(tx, batch.id, batch_to_dict(batch))


def _lines(store: Store, blob: str) -> list[bytes]:
    return b"".join(store.read_blob(blob)).split(b"\n")


def _input_copy(batch_id: str) -> str:
    return f"input-{batch_id}"


def _unrun_line(batch: Batch, index: int, request: BatchRequest, code: str, message: str) -> dict[str, Any]:
    return {
        "id": derived_id("batch_request", batch.id, index),
        "custom_id": request.custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }


def _usage(bodies: Any) -> dict[str, Any]:
    """The tokens of every answered request, whether it counts them as prompt/completion or input/output."""
    input_tokens = output_tokens = 0
    for body in bodies:
        usage = body.get("usage") if isinstance(body, dict) else None
        if isinstance(usage, dict):
            input_tokens += int(usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0)
            output_tokens += int(usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
