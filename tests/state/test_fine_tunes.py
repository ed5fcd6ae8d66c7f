"""The job machine: planned milestones, a pure `advance()`, cancellation by the table, and a stateful model test."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockai.state.fine_tunes import (
    TRANSITIONS,
    Api,
    FineTuneJob,
    Hyperparameters,
    JobStatus,
    MetricsRow,
    Step,
    TrainingReport,
    advance,
    cancel,
    created_events,
    job_from_dict,
    job_to_dict,
    plan_schedule,
)

T0 = 1_700_000_000
REPORT = TrainingReport(
    trained_tokens=400,
    steps_per_epoch=2,
    rows=tuple(MetricsRow(s, 50 * s, 2 * s, 2.0 / s, 0.0, 0.5) for s in range(1, 9)),
)


def make_job(api: Api = Api.LEGACY, *, failure: str | None = None, epochs: int = 4) -> FineTuneJob:
    job = FineTuneJob(
        id="ft-test" if api is Api.LEGACY else "ftjob-abcdefghijkl",
        org="org-a",
        api=api,
        model="curie" if api is Api.LEGACY else "gpt-3.5-turbo-0613",
        created_at=T0,
        training_file="file-t",
        validation_file=None,
        hyperparameters=Hyperparameters(epochs, 1, 0.1, 0.01),
        suffix=None,
        seed=1,
        report=None if failure else REPORT,
        failure=failure,
        planned_model="curie:ft-a-2023-11-14-22-20-00",
        result_file_id="file-results",
        updated_at=T0,
    )
    job = dataclasses.replace(job, plan=plan_schedule(job, job.report, files_ready_at=T0 + 2, seed=0))
    return created_events(job)[0]


def test_the_plan_is_ordered_and_ends_in_success() -> None:
    job = make_job()
    times = [m.at for m in job.plan]
    assert times == sorted(times) and times[0] >= T0 + 2
    assert [m.step for m in job.plan][-3:] == [Step.SNAPSHOT, Step.RESULTS, Step.SUCCEEDED]
    assert [m.epoch for m in job.plan if m.step is Step.EPOCH] == [1, 2, 3, 4]


def test_nothing_happens_before_the_first_milestone() -> None:
    job = make_job()
    assert advance(job, job.plan[0].at - 0.001) == (job, [])


def test_legacy_jobs_tell_the_documented_story() -> None:
    job = make_job()
    assert job.status.legacy == "pending"
    done, events = advance(job, job.plan[-1].at)
    assert done.status is JobStatus.SUCCEEDED and done.finished_at == int(job.plan[-1].at)
    assert done.fine_tuned_model == job.planned_model and done.result_files == ("file-results",)
    assert [e.message for e in events] == [
        "Job started.",
        "Completed epoch 1/4.",
        "Completed epoch 2/4.",
        "Completed epoch 3/4.",
        "Completed epoch 4/4.",
        f"Uploaded snapshot: {job.planned_model}.",
        "Uploaded result files: file-results.",
        "Job succeeded.",
    ]


def test_advance_in_steps_equals_advance_at_once() -> None:
    job = make_job(Api.MODERN)
    at_once, all_events = advance(job, job.plan[-1].at + 100)
    stepwise, collected = job, []
    for milestone in job.plan:
        stepwise, new = advance(stepwise, milestone.at)
        collected.extend(new)
    assert stepwise == at_once and collected == all_events


def test_modern_jobs_report_steps_and_keep_three_checkpoints() -> None:
    job = make_job(Api.MODERN)
    running, _ = advance(job, job.plan[1].at)
    assert running.status is JobStatus.RUNNING
    done, events = advance(running, job.plan[-1].at)
    metrics = [e for e in events if e.data is not None]
    assert [e.data["step"] for e in metrics if e.data] == list(range(1, 9))
    assert metrics[0].message == "Step 1/8: training loss=2.0000"
    assert [c.step_number for c in done.checkpoints] == [4, 6, 8]
    assert done.checkpoints[-1].model.endswith(":ckpt-step-8")
    assert events[-1].message == "The job has successfully completed"


def test_a_planned_failure_fails_at_validation() -> None:
    job = make_job(Api.MODERN, failure="Line 3 is bad.")
    done, events = advance(job, T0 + 3600)
    assert done.status is JobStatus.FAILED and done.fine_tuned_model is None
    assert events[-1].level == "error" and "Line 3 is bad." in events[-1].message


@pytest.mark.parametrize("status", [s for s in JobStatus if s.terminal], ids=str)
def test_terminal_jobs_cannot_be_cancelled(status: JobStatus) -> None:
    with pytest.raises(ValueError, match="cannot be cancelled"):
        cancel(dataclasses.replace(make_job(), status=status), T0)


def test_cancelling_stops_the_plan() -> None:
    job, events = cancel(make_job(), T0 + 1)
    assert job.status is JobStatus.CANCELLED and events[-1].message == "Job cancelled."
    assert advance(job, T0 + 10**6) == (job, [])


def test_jobs_round_trip_through_json() -> None:
    job, _ = advance(make_job(Api.MODERN), T0 + 10**6)
    assert job_from_dict(json.loads(json.dumps(job_to_dict(job)))) == job


class JobLifecycle(RuleBasedStateMachine):
    """Random interleavings of time passing and cancellation keep the machine's promises."""

    def __init__(self) -> None:
        super().__init__()
        self.job = make_job(Api.MODERN)
        self.now = float(T0)
        self.history = [self.job.status]
        self.events = created_events(dataclasses.replace(self.job, events_emitted=0))[1]

    @rule(seconds=st.floats(min_value=0, max_value=120, allow_nan=False))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        # One milestone at a time, so the history sees every status the job passes through.
        while (due := self.job.next_change_at) is not None and due <= self.now:
            self.step(advance(self.job, due))

    @precondition(lambda self: not self.job.status.terminal)
    @rule()
    def cancel_it(self) -> None:
        self.step(cancel(self.job, self.now))

    @rule()
    def read_twice(self) -> None:
        assert advance(self.job, self.now) == (self.job, [])

    def step(self, result: tuple[FineTuneJob, list]) -> None:  # type: ignore[type-arg]
        self.job, new = result
        self.events.extend(new)
        if self.job.status != self.history[-1]:
            self.history.append(self.job.status)

    @invariant()
    def status_moves_only_along_transitions(self) -> None:
        for before, after in zip(self.history, self.history[1:], strict=False):
            assert after in TRANSITIONS[before]

    @invariant()
    def events_are_monotonic_and_unique(self) -> None:
        times = [e.created_at for e in self.events]
        assert times == sorted(times)
        assert len({e.id for e in self.events}) == len(self.events) == self.job.events_emitted

    @invariant()
    def a_model_exists_only_after_the_snapshot(self) -> None:
        assert (self.job.fine_tuned_model is None) == (self.job.done < len(self.job.plan) - 2)


TestJobLifecycle = JobLifecycle.TestCase
