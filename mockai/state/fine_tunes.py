"""The fine-tune job machine as data: `JobStatus`, `TRANSITIONS`, `plan_schedule()` and a pure `advance(job, now)`.

One machine serves both APIs. The modern `/v1/fine_tuning/jobs` view shows the statuses as they are; the legacy
`/v1/fine-tunes` view folds `validating_files` and `queued` into `pending`. At creation `plan_schedule()` fixes
every milestone (validated, started, each epoch, snapshot, results, succeeded — or failed) at a world time, so
`advance()` only reveals what was already decided: replaying it from any point gives the same job and events.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockai.state.ids import derived_id


class JobStatus(StrEnum):
    VALIDATING_FILES = "validating_files"  # created; the training (and validation) files are being checked
    QUEUED = "queued"  # files are valid; waiting for a trainer
    RUNNING = "running"  # training, one epoch after another
    PAUSED = "paused"  # a running job its organization paused: no progress until it is resumed
    SUCCEEDED = "succeeded"  # the fine-tuned model is usable and the result file uploaded (terminal)
    FAILED = "failed"  # validation or training failed; `error` says why (terminal)
    CANCELLED = "cancelled"  # cancelled by its organization before it finished (terminal)

    @property
    def legacy(self) -> str:
        """The status as `/v1/fine-tunes` shows it."""
        if self in (JobStatus.VALIDATING_FILES, JobStatus.QUEUED):
            return "pending"
        return self.value

    @property
    def terminal(self) -> bool:
        return not TRANSITIONS[self]


TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.VALIDATING_FILES: frozenset({JobStatus.QUEUED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.PAUSED}),
    JobStatus.PAUSED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class Api(StrEnum):
    LEGACY = "legacy"  # /v1/fine-tunes, ids ft-…, models curie:ft-<org>-<date>
    MODERN = "modern"  # /v1/fine_tuning/jobs, ids ftjob-…, models ft:<base>:<org>:<suffix>:<id>


class Step(StrEnum):
    VALIDATED = "validated"
    STARTED = "started"
    EPOCH = "epoch"
    SNAPSHOT = "snapshot"
    RESULTS = "results"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Milestone:
    at: float  # world time
    step: Step
    epoch: int = 0


@dataclass(frozen=True)
class MetricsRow:
    """One line of `compiled_results.csv`: the model measured on a batch just before it learnt from it."""

    step: int
    elapsed_tokens: int
    elapsed_examples: int
    training_loss: float
    training_sequence_accuracy: float
    training_token_accuracy: float


@dataclass(frozen=True)
class TrainingReport:
    """What fitting produced: tokens seen over all epochs and one metrics row per step."""

    trained_tokens: int
    steps_per_epoch: int
    rows: tuple[MetricsRow, ...]

    def to_csv(self) -> str:
        header = "step,elapsed_tokens,elapsed_examples,training_loss,training_sequence_accuracy,"
        lines = [header + "training_token_accuracy"]
        for r in self.rows:
            lines.append(
                f"{r.step},{r.elapsed_tokens},{r.elapsed_examples},{r.training_loss:.5f},"
                f"{r.training_sequence_accuracy:.5f},{r.training_token_accuracy:.5f}"
            )
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Hyperparameters:
    n_epochs: int
    batch_size: int
    learning_rate_multiplier: float
    prompt_loss_weight: float

    def to_api(self, api: Api) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "batch_size": self.batch_size,
            "learning_rate_multiplier": self.learning_rate_multiplier,
            "n_epochs": self.n_epochs,
        }
        if api is Api.LEGACY:
            shown["prompt_loss_weight"] = self.prompt_loss_weight
        return shown


@dataclass(frozen=True)
class Checkpoint:
    id: str
    created_at: int
    step_number: int
    model: str
    train_loss: float
    train_mean_token_accuracy: float

    def to_api(self, job_id: str) -> dict[str, Any]:
        return {
            "object": "fine_tuning.job.checkpoint",
            "id": self.id,
            "created_at": self.created_at,
            "fine_tuned_model_checkpoint": self.model,
            "fine_tuning_job_id": job_id,
            "step_number": self.step_number,
            "metrics": {
                "step": float(self.step_number),
                "train_loss": self.train_loss,
                "train_mean_token_accuracy": self.train_mean_token_accuracy,
            },
        }


@dataclass(frozen=True)
class FineTuneEvent:
    id: str
    job_id: str
    created_at: int
    level: str
    message: str
    data: dict[str, Any] | None = None  # metrics events carry the numbers

    def to_api(self, api: Api) -> dict[str, Any]:
        if api is Api.LEGACY:
            return {
                "object": "fine-tune-event",
                "created_at": self.created_at,
                "level": self.level,
                "message": self.message,
            }
        return {
            "object": "fine_tuning.job.event",
            "id": self.id,
            "created_at": self.created_at,
            "level": self.level,
            "message": self.message,
            "type": "message" if self.data is None else "metrics",
            "data": {} if self.data is None else self.data,  # an object in the spec, empty for a message event
        }


@dataclass(frozen=True)
class FineTuneJob:
    """A job and everything planned for it; `advance()` moves `done` along `plan`."""

    id: str
    org: str
    api: Api
    model: str
    created_at: int
    training_file: str
    validation_file: str | None
    hyperparameters: Hyperparameters
    suffix: str | None
    seed: int
    data_format: str = "prompt-completion"
    plan: tuple[Milestone, ...] = ()
    planned_model: str = ""
    result_file_id: str = ""
    report: TrainingReport | None = None
    failure: str | None = None  # planned validation failure (the training file's problem)
    status: JobStatus = JobStatus.VALIDATING_FILES
    done: int = 0  # milestones applied so far
    updated_at: int = 0
    fine_tuned_model: str | None = None
    result_files: tuple[str, ...] = ()
    finished_at: int | None = None
    checkpoints: tuple[Checkpoint, ...] = ()
    events_emitted: int = 0
    paused_at: float | None = None  # world time the job was paused (while it is)
    metadata: dict[str, str] | None = None

    @property
    def next_change_at(self) -> float | None:
        """World time of the next milestone (None once terminal, and while paused)."""
        if self.status.terminal or self.status is JobStatus.PAUSED or self.done >= len(self.plan):
            return None
        return self.plan[self.done].at

    @property
    def estimated_finish(self) -> int | None:
        if self.status.terminal or self.status is JobStatus.PAUSED or not self.plan:
            return None
        return int(self.plan[-1].at)


# -- planning -----------------------------------------------------------------------------------------------------

QUEUE_SECONDS = 5.0
EPOCH_BASE_SECONDS = 20.0
TOKENS_PER_SECOND = 500.0
#: Modern jobs keep checkpoints for this many final epochs (as the real API does).
CHECKPOINTS_KEPT = 3


def plan_schedule(
    job: FineTuneJob, report: TrainingReport | None, *, files_ready_at: float, seed: int
) -> tuple[Milestone, ...]:
    """Every milestone of `job`, at world times derived from its size and `seed` (jitter of a few percent)."""
    rng = random.Random(f"{seed}:{job.id}")
    validated = max(files_ready_at, job.created_at + 1.0 + rng.random())
    if job.failure is not None or report is None:
        return (Milestone(validated, Step.FAILED),)
    started = validated + QUEUE_SECONDS * (1 + rng.random())
    epoch_tokens = report.trained_tokens / job.hyperparameters.n_epochs
    epoch_seconds = (EPOCH_BASE_SECONDS + epoch_tokens / TOKENS_PER_SECOND) * (0.95 + 0.1 * rng.random())
    epochs = [Milestone(started + k * epoch_seconds, Step.EPOCH, k) for k in range(1, job.hyperparameters.n_epochs + 1)]
    snapshot = epochs[-1].at + 5.0
    return (
        Milestone(validated, Step.VALIDATED),
        Milestone(started, Step.STARTED),
        *epochs,
        Milestone(snapshot, Step.SNAPSHOT),
        Milestone(snapshot + 2.0, Step.RESULTS),
        Milestone(snapshot + 3.0, Step.SUCCEEDED),
    )


def snapshot_time(plan: Sequence[Milestone]) -> float | None:
    return next((m.at for m in plan if m.step is Step.SNAPSHOT), None)


# -- advancing ----------------------------------------------------------------------------------------------------


def created_events(job: FineTuneJob) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    """The events a job has the moment it is created."""
    if job.api is Api.LEGACY:
        messages = ["Job enqueued. Waiting for jobs ahead to complete. Queue number: 0."]
    else:
        messages = [f"Created fine-tuning job: {job.id}", f"Validating training file: {job.training_file}"]
        if job.validation_file:
            messages.append(f"Validating validation file: {job.validation_file}")
    return _emit(job, job.created_at, [(m, None) for m in messages])


def advance(job: FineTuneJob, now: float) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    """`job` as it is at world time `now`, and the events that happened on the way (pure)."""
    events: list[FineTuneEvent] = []
    while (due := job.next_change_at) is not None and due <= now:
        job, new = _apply(job, job.plan[job.done])
        events.extend(new)
    return job, events


def cancel(job: FineTuneJob, now: float) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    """Cancel `job` (the caller has checked `TRANSITIONS`, so the message can depend on the status)."""
    if JobStatus.CANCELLED not in TRANSITIONS[job.status]:
        raise ValueError(f"a {job.status} job cannot be cancelled")
    moment = int(now)
    job = dataclasses.replace(job, status=JobStatus.CANCELLED, updated_at=moment, finished_at=moment)
    message = "Job cancelled." if job.api is Api.LEGACY else "Fine-tuning job cancelled"
    return _emit(job, moment, [(message, None)])


def pause(job: FineTuneJob, now: float) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    """Pause a running `job` where it stands (the caller has checked `TRANSITIONS`)."""
    job = dataclasses.replace(_moved(job, JobStatus.PAUSED), paused_at=now, updated_at=int(now))
    return _emit(job, int(now), [("Fine-tuning job paused", None)])


def resume(job: FineTuneJob, now: float) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    """Resume a paused `job`: every milestone still ahead moves later by the time it spent paused."""
    assert job.paused_at is not None, "a paused job knows when it was paused"
    shift = max(0.0, now - job.paused_at)
    ahead = tuple(dataclasses.replace(m, at=m.at + shift) for m in job.plan[job.done :])
    job = dataclasses.replace(
        _moved(job, JobStatus.RUNNING), plan=job.plan[: job.done] + ahead, paused_at=None, updated_at=int(now)
    )
    return _emit(job, int(now), [("Fine-tuning job resumed", None)])


def _apply(job: FineTuneJob, milestone: Milestone) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    moment = int(milestone.at)
    job = dataclasses.replace(job, done=job.done + 1, updated_at=moment)
    legacy = job.api is Api.LEGACY
    match milestone.step:
        case Step.VALIDATED:
            job = _moved(job, JobStatus.QUEUED)
            lines = [] if legacy else ["Files validated, moving job to queued state"]
            return _emit(job, moment, [(m, None) for m in lines])
        case Step.STARTED:
            job = _moved(job, JobStatus.RUNNING)
            return _emit(job, moment, [("Job started." if legacy else "Fine-tuning job started", None)])
        case Step.EPOCH:
            return _epoch_done(job, milestone.epoch, moment)
        case Step.SNAPSHOT:
            job = dataclasses.replace(job, fine_tuned_model=job.planned_model)
            line = f"Uploaded snapshot: {job.planned_model}." if legacy else ""
            line = line or f"New fine-tuned model created: {job.planned_model}"
            return _emit(job, moment, [(line, None)])
        case Step.RESULTS:
            job = dataclasses.replace(job, result_files=(job.result_file_id,))
            lines = [f"Uploaded result files: {job.result_file_id}."] if legacy else []
            return _emit(job, moment, [(m, None) for m in lines])
        case Step.SUCCEEDED:
            job = dataclasses.replace(_moved(job, JobStatus.SUCCEEDED), finished_at=moment)
            return _emit(job, moment, [("Job succeeded." if legacy else "The job has successfully completed", None)])
        case Step.FAILED:
            job = dataclasses.replace(_moved(job, JobStatus.FAILED), finished_at=moment)
            detail = job.failure or "training failed"
            line = f"Job failed: {detail}" if legacy else f"The job failed due to an invalid training file. {detail}"
            return _emit(job, moment, [(line, None)], level="error")


def _epoch_done(job: FineTuneJob, epoch: int, moment: int) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    report = job.report
    assert report is not None, "a job that trains has a report"
    n_epochs = job.hyperparameters.n_epochs
    rows = report.rows[(epoch - 1) * report.steps_per_epoch : epoch * report.steps_per_epoch]
    if job.api is Api.LEGACY:
        return _emit(job, moment, [(f"Completed epoch {epoch}/{n_epochs}.", None)])
    total = len(report.rows)
    lines: list[tuple[str, dict[str, Any] | None]] = [
        (
            f"Step {row.step}/{total}: training loss={row.training_loss:.4f}",
            {
                "step": row.step,
                "train_loss": row.training_loss,
                "total_steps": total,
                "train_mean_token_accuracy": row.training_token_accuracy,
            },
        )
        for row in rows
    ]
    if epoch > n_epochs - CHECKPOINTS_KEPT and rows:
        last = rows[-1]
        checkpoint = Checkpoint(
            id=derived_id("checkpoint", job.id, epoch),
            created_at=moment,
            step_number=last.step,
            model=f"{job.planned_model}:ckpt-step-{last.step}",
            train_loss=last.training_loss,
            train_mean_token_accuracy=last.training_token_accuracy,
        )
        job = dataclasses.replace(job, checkpoints=(*job.checkpoints, checkpoint))
        lines.append((f"Checkpoint created at step {last.step} with Snapshot ID: {checkpoint.model}", None))
    return _emit(job, moment, lines)


def _moved(job: FineTuneJob, status: JobStatus) -> FineTuneJob:
    if status not in TRANSITIONS[job.status]:
        raise ValueError(f"{job.id}: {job.status} cannot become {status}")
    return dataclasses.replace(job, status=status)


def _emit(
    job: FineTuneJob,
    moment: int,
    lines: Sequence[tuple[str, dict[str, Any] | None]],
    *,
    level: str = "info",
) -> tuple[FineTuneJob, list[FineTuneEvent]]:
    events = [
        FineTuneEvent(derived_id("event", job.id, job.events_emitted + i), job.id, moment, level, text, data)
        for i, (text, data) in enumerate(lines)
    ]
    return dataclasses.replace(job, events_emitted=job.events_emitted + len(events)), events


# -- persistence --------------------------------------------------------------------------------------------------


def job_to_dict(job: FineTuneJob) -> dict[str, Any]:
    return dataclasses.asdict(job)


def job_from_dict(raw: dict[str, Any]) -> FineTuneJob:
    """The inverse of `job_to_dict` (JSON turns tuples into lists and enums into strings)."""
    report = raw["report"]
    return FineTuneJob(
        **{
            **raw,
            "api": Api(raw["api"]),
            "status": JobStatus(raw["status"]),
            "hyperparameters": Hyperparameters(**raw["hyperparameters"]),
            "plan": tuple(Milestone(m["at"], Step(m["step"]), m["epoch"]) for m in raw["plan"]),
            "report": None
            if report is None
            else TrainingReport(
                report["trained_tokens"],
                report["steps_per_epoch"],
                tuple(MetricsRow(**row) for row in report["rows"]),
            ),
            "result_files": tuple(raw["result_files"]),
            "checkpoints": tuple(Checkpoint(**c) for c in raw["checkpoints"]),
        }
    )


def event_from_dict(raw: dict[str, Any]) -> FineTuneEvent:
    return FineTuneEvent(**raw)
