"""The batch machine as data: `BatchStatus`, `TRANSITIONS`, the input file's validation, and pure `due`/`apply`.

A batch is `validating` until its planned validation time, then `failed` (its input file had bad lines) or
`in_progress`; when world time reaches its planned run time every line is executed (by the service, the only impure
step) and it is `finalizing`; a moment later `completed`, its output and error files attached. It `expires` if the
24-hour completion window closes first, and `cancelling → cancelled` when its organization cancels it. Every time
is planned at creation, so `apply` only reveals what was decided.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockai import errors

#: The documented limit of requests in one batch.
MAX_REQUESTS = 50_000
COMPLETION_WINDOW_SECONDS = 24 * 3600
VALIDATION_SECONDS = 2.0
SECONDS_PER_REQUEST = 0.5
FINALIZING_SECONDS = 1.0
CANCELLING_SECONDS = 2.0


class BatchStatus(StrEnum):
    VALIDATING = "validating"  # created; the input file's lines are being checked
    FAILED = "failed"  # the input file had bad lines; `errors` names them (terminal)
    IN_PROGRESS = "in_progress"  # the requests are being run
    FINALIZING = "finalizing"  # every request ran; the output and error files are being prepared
    COMPLETED = "completed"  # output and error files attached (terminal)
    EXPIRED = "expired"  # the completion window closed first; unrun requests are in the error file (terminal)
    CANCELLING = "cancelling"  # cancelled by its organization; in-flight work is winding down
    CANCELLED = "cancelled"  # (terminal)


TRANSITIONS: dict[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.VALIDATING: frozenset({BatchStatus.IN_PROGRESS, BatchStatus.FAILED, BatchStatus.CANCELLING}),
    BatchStatus.IN_PROGRESS: frozenset({BatchStatus.FINALIZING, BatchStatus.EXPIRED, BatchStatus.CANCELLING}),
    BatchStatus.FINALIZING: frozenset({BatchStatus.COMPLETED}),
    BatchStatus.CANCELLING: frozenset({BatchStatus.CANCELLED}),
    BatchStatus.FAILED: frozenset(),
    BatchStatus.COMPLETED: frozenset(),
    BatchStatus.EXPIRED: frozenset(),
    BatchStatus.CANCELLED: frozenset(),
}


class Step(StrEnum):
    VALIDATED = "validated"  # validating → in_progress | failed
    RUN = "run"  # in_progress → finalizing (the service runs every request first)
    FINISHED = "finished"  # finalizing → completed
    EXPIRED = "expired"  # in_progress → expired: the window closed before the requests could run
    CANCELLED = "cancelled"  # cancelling → cancelled


@dataclass(frozen=True)
class BatchError:
    """One problem of the input file (`errors.data[]`)."""

    code: str
    message: str
    param: str | None = None
    line: int | None = None

    def to_api(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "param": self.param, "line": self.line}


@dataclass(frozen=True)
class BatchRequest:
    """One valid line of the input file."""

    custom_id: str
    url: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What running (or giving up on) the requests produced, for `apply` to record."""

    completed: int = 0
    failed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    usage: dict[str, Any] | None = None


@dataclass(frozen=True)
class Batch:
    """A batch and everything planned for it."""

    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    created_at: int
    expires_at: int
    validated_at: float  # planned
    run_at: float  # planned (moves with the validation verdict: a request takes SECONDS_PER_REQUEST)
    metadata: dict[str, str] | None = None
    model: str | None = None
    total: int = 0
    problems: tuple[BatchError, ...] = ()  # the verdict, revealed at `validated_at`
    output_expires_after: int | None = None
    status: BatchStatus = BatchStatus.VALIDATING
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    outcome: Outcome = field(default_factory=Outcome)
    revealed_errors: bool = False

    @property
    def terminal(self) -> bool:
        return not TRANSITIONS[self.status]

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": {"object": "list", "data": [e.to_api() for e in self.problems]} if self.revealed_errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status.value,
            "output_file_id": self.outcome.output_file_id,
            "error_file_id": self.outcome.error_file_id,
            "created_at": self.created_at,
            "in_progress_at": self.in_progress_at,
            "expires_at": self.expires_at,
            "finalizing_at": self.finalizing_at,
            "completed_at": self.completed_at,
            "failed_at": self.failed_at,
            "expired_at": self.expired_at,
            "cancelling_at": self.cancelling_at,
            "cancelled_at": self.cancelled_at,
            "request_counts": {
                "total": self.total if self.status is not BatchStatus.VALIDATING else 0,
                "completed": self.outcome.completed,
                "failed": self.outcome.failed,
            },
            "metadata": self.metadata,
        }
        if self.outcome.usage is not None:
            shown["usage"] = self.outcome.usage
        return shown


def plan_batch(
    batch_id: str,
    endpoint: str,
    input_file_id: str,
    now: float,
    *,
    requests: int,
    problems: Sequence[BatchError],
    model: str | None,
    metadata: Mapping[str, str] | None = None,
    output_expires_after: int | None = None,
) -> Batch:
    """A new batch with its validation verdict fixed and its times planned from its size."""
    validated = now + VALIDATION_SECONDS
    return Batch(
        id=batch_id,
        endpoint=endpoint,
        input_file_id=input_file_id,
        completion_window="24h",
        created_at=int(now),
        expires_at=int(now) + COMPLETION_WINDOW_SECONDS,
        validated_at=validated,
        run_at=validated + SECONDS_PER_REQUEST * max(requests, 1),
        metadata=dict(metadata) if metadata is not None else None,
        model=model,
        total=requests,
        problems=tuple(problems),
        output_expires_after=output_expires_after,
    )


def due(batch: Batch, now: float) -> Step | None:
    """The next step world time `now` has reached, if any (pure)."""
    match batch.status:
        case BatchStatus.VALIDATING if now >= batch.validated_at:
            return Step.VALIDATED
        case BatchStatus.IN_PROGRESS if now >= min(batch.run_at, batch.expires_at):
            return Step.RUN if batch.run_at < batch.expires_at else Step.EXPIRED
        case BatchStatus.FINALIZING if now >= (batch.finalizing_at or 0) + FINALIZING_SECONDS:
            return Step.FINISHED
        case BatchStatus.CANCELLING if now >= (batch.cancelling_at or 0) + CANCELLING_SECONDS:
            return Step.CANCELLED
    return None


def apply(batch: Batch, step: Step, outcome: Outcome | None = None) -> Batch:
    """`batch` after `step`, at the step's planned time; RUN, EXPIRED and CANCELLED take the service's `outcome`."""
    match step:
        case Step.VALIDATED if batch.problems:
            return _moved(batch, BatchStatus.FAILED, failed_at=int(batch.validated_at), revealed_errors=True)
        case Step.VALIDATED:
            return _moved(batch, BatchStatus.IN_PROGRESS, in_progress_at=int(batch.validated_at))
        case Step.RUN:
            return _moved(batch, BatchStatus.FINALIZING, finalizing_at=int(batch.run_at), outcome=outcome or Outcome())
        case Step.FINISHED:
            finished = (batch.finalizing_at or 0) + int(FINALIZING_SECONDS)
            return _moved(batch, BatchStatus.COMPLETED, completed_at=finished)
        case Step.EXPIRED:
            return _moved(batch, BatchStatus.EXPIRED, expired_at=batch.expires_at, outcome=outcome or Outcome())
        case Step.CANCELLED:
            cancelled = (batch.cancelling_at or 0) + int(CANCELLING_SECONDS)
            return _moved(batch, BatchStatus.CANCELLED, cancelled_at=cancelled, outcome=outcome or Outcome())
    raise ValueError(f"{step=} cannot apply to a {batch.status} batch")


def cancel(batch: Batch, now: float) -> Batch:
    """Start cancelling `batch` (the caller has checked `TRANSITIONS`)."""
    return _moved(batch, BatchStatus.CANCELLING, cancelling_at=int(now))


def _moved(batch: Batch, status: BatchStatus, **changes: Any) -> Batch:
    if status not in TRANSITIONS[batch.status]:
        raise ValueError(f"{batch.id}: {batch.status} cannot become {status}")
    return dataclasses.replace(batch, status=status, **changes)


# -- the input file -----------------------------------------------------------------------------------------------


def read_requests(lines: Iterable[bytes], endpoint: str) -> tuple[list[BatchRequest], list[BatchError], str | None]:
    """The valid requests of an input file, every problem it has (by line), and the one model it names."""
    requests: list[BatchRequest] = []
    problems: list[BatchError] = []
    seen: set[str] = set()
    model: str | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        request, problem = _read_line(raw, number, endpoint, seen)
        if problem is None and request is not None:
            named = request.body.get("model")
            if isinstance(named, str) and model is not None and named != model:
                problem = BatchError("model_mismatch", errors.batch_model_mismatch(), "body.model", number)
            elif isinstance(named, str):
                model = named
        if problem is not None:
            problems.append(problem)
        elif request is not None:
            seen.add(request.custom_id)
            requests.append(request)
    if not requests and not problems:
        problems.append(BatchError("empty_file", errors.batch_empty_file()))
    if len(requests) > MAX_REQUESTS:
        problems.append(BatchError("too_many_tasks", errors.batch_too_many_requests(len(requests), MAX_REQUESTS)))
    return requests, problems, model


def _read_line(raw: bytes, number: int, endpoint: str, seen: set[str]) -> tuple[BatchRequest | None, BatchError | None]:
    try:
        line = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, BatchError("invalid_json_line", errors.batch_line_not_json(), None, number)
    if not isinstance(line, dict):
        return None, BatchError("invalid_json_line", errors.batch_line_not_json(), None, number)
    for key in ("custom_id", "method", "url", "body"):
        if key not in line:
            return None, BatchError("missing_required_parameter", errors.batch_line_missing(key), key, number)
    if not isinstance(line["custom_id"], str):
        return None, BatchError(
            "invalid_type", errors.batch_line_field_type("custom_id", "a string"), "custom_id", number
        )
    if not isinstance(line["body"], dict):
        return None, BatchError("invalid_type", errors.batch_line_field_type("body", "an object"), "body", number)
    if line["method"] != "POST":
        return None, BatchError("invalid_method", errors.batch_line_method(str(line["method"])), "method", number)
    if line["url"] != endpoint:
        return None, BatchError("url_mismatch", errors.batch_url_mismatch(), "url", number)
    if line["custom_id"] in seen:
        return None, BatchError("duplicate_custom_id", errors.batch_duplicate_custom_id(), "custom_id", number)
    return BatchRequest(line["custom_id"], line["url"], line["body"]), None


# -- persistence --------------------------------------------------------------------------------------------------


def batch_to_dict(batch: Batch) -> dict[str, Any]:
    return dataclasses.asdict(batch)


def batch_from_dict(raw: dict[str, Any]) -> Batch:
    return Batch(
        **{
            **raw,
            "status": BatchStatus(raw["status"]),
            "problems": tuple(BatchError(**problem) for problem in raw["problems"]),
            "outcome": Outcome(**raw["outcome"]),
        }
    )
