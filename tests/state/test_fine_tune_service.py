"""FineTuneService: validation at create, lazy and eager catch-up, side effects, models, and restarts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockai import errors
from mockai._paths import resource_dir
from mockai.state.catalog import ModelCatalog
from mockai.state.clock import SimulatedClock
from mockai.state.files import FileObject, FileService
from mockai.state.fine_tune_service import FineTuneService, JobRequest
from mockai.state.fine_tunes import TRANSITIONS, Api, JobStatus
from mockai.state.ids import IdFactory
from mockai.state.store import Store

from .conftest import START, FakeTrainer, chat_lines, legacy_lines

HOUR = 3600.0


def processed(files: FileService, clock: SimulatedClock, data: bytes, org: str = "org-a") -> FileObject:
    file = files.upload(org, "train.jsonl", "fine-tune", [data])
    clock.advance(10)
    return file


def test_a_legacy_job_runs_to_success_with_its_side_effects(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock, catalog: ModelCatalog
) -> None:
    train = processed(files, clock, legacy_lines())
    job = fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", train.id))
    assert job.status.legacy == "pending" and job.hyperparameters.n_epochs == 4
    assert [e.message for e in fine_tunes.events("org-a", Api.LEGACY, job.id)] == [
        "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0."
    ]
    clock.advance(HOUR)
    done = fine_tunes.get("org-a", Api.LEGACY, job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert done.fine_tuned_model is not None and done.fine_tuned_model.startswith("curie:ft-a-2023-11-14-")
    result, chunks = files.content("org-a", done.result_files[0])
    assert result.filename == "compiled_results.csv" and result.purpose == "fine-tune-results"
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 4 * 3 and rows[0]["step"] == "1"
    assert catalog.get(done.fine_tuned_model, "org-a").owned_by == "org-a"
    assert catalog.find(done.fine_tuned_model, "org-b") is None


def test_legacy_jobs_want_processed_fine_tune_files(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock
) -> None:
    fresh = files.upload("org-a", "t.jsonl", "fine-tune", [legacy_lines()])
    with pytest.raises(errors.OpenAIError, match="still being processed"):
        fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", fresh.id))
    other = files.upload("org-a", "n.txt", "assistants", [b"x"])
    clock.advance(10)
    with pytest.raises(errors.OpenAIError, match="purpose 'assistants'") as caught:
        fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", other.id))
    assert caught.value.param == "training_file"


@pytest.mark.parametrize(
    ("api", "model", "message"),
    [
        (Api.LEGACY, "gpt-4", "Invalid base model: gpt-4"),
        (Api.MODERN, "curie", "Model curie is not available for fine-tuning"),
        (Api.MODERN, "no-such-model", "not available for fine-tuning"),
    ],
)
def test_base_models_are_checked_per_api(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock, api: Api, model: str, message: str
) -> None:
    train = processed(files, clock, chat_lines())
    with pytest.raises(errors.OpenAIError, match=message) as caught:
        fine_tunes.create("org-a", api, JobRequest(model, train.id))
    assert caught.value.param == "model"


def test_modern_jobs_check_format_and_size(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock
) -> None:
    legacy = processed(files, clock, legacy_lines(12))
    with pytest.raises(errors.OpenAIError, match="prompt-completion format"):
        fine_tunes.create("org-a", Api.MODERN, JobRequest("gpt-3.5-turbo-0613", legacy.id))
    small = processed(files, clock, chat_lines(3))
    with pytest.raises(errors.OpenAIError, match="has 3 example"):
        fine_tunes.create("org-a", Api.MODERN, JobRequest("gpt-3.5-turbo-0613", small.id))
    # davinci-002 is a completions model: the modern API trains it on prompt/completion lines.
    assert fine_tunes.create("org-a", Api.MODERN, JobRequest("davinci-002", legacy.id)).model == "davinci-002"


def test_a_modern_job_on_a_file_that_will_fail_validation_fails(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock
) -> None:
    bad = files.upload("org-a", "t.jsonl", "fine-tune", [chat_lines(10) + b"oops\n"])
    job = fine_tunes.create("org-a", Api.MODERN, JobRequest("gpt-3.5-turbo-0613", bad.id))
    assert job.status is JobStatus.VALIDATING_FILES
    clock.advance(HOUR)
    failed = fine_tunes.get("org-a", Api.MODERN, job.id)
    assert failed.status is JobStatus.FAILED and "Line 11" in (failed.failure or "")


def test_other_organizations_get_404_for_jobs_and_files(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock
) -> None:
    train = processed(files, clock, legacy_lines())
    job = fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", train.id))
    with pytest.raises(errors.OpenAIError) as caught:
        fine_tunes.get("org-b", Api.LEGACY, job.id)
    assert caught.value.status == 404
    with pytest.raises(errors.OpenAIError) as caught:
        fine_tunes.create("org-b", Api.LEGACY, JobRequest("curie", train.id))
    assert caught.value.status == 404 and caught.value.param == "training_file"
    assert fine_tunes.list_jobs("org-b", Api.LEGACY) == []
    with pytest.raises(errors.OpenAIError):
        fine_tunes.get("org-a", Api.MODERN, job.id)


def test_cancel_follows_the_table(fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock) -> None:
    train = processed(files, clock, legacy_lines())
    job = fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", train.id))
    assert fine_tunes.cancel("org-a", Api.LEGACY, job.id).status is JobStatus.CANCELLED
    with pytest.raises(errors.OpenAIError, match="already been cancelled") as caught:
        fine_tunes.cancel("org-a", Api.LEGACY, job.id)
    assert caught.value.status == 400
    clock.advance(HOUR)
    assert fine_tunes.get("org-a", Api.LEGACY, job.id).fine_tuned_model is None


def test_models_are_named_uniquely_even_when_planned_in_the_same_second(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock
) -> None:
    train = processed(files, clock, legacy_lines())
    jobs = [fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", train.id)) for _ in range(3)]
    assert len({job.planned_model for job in jobs}) == 3
    suffixed = fine_tunes.create("org-a", Api.LEGACY, JobRequest("ada", train.id, suffix="mine"))
    assert suffixed.planned_model.startswith("ada:ft-a:mine-")
    modern = fine_tunes.create(
        "org-a", Api.MODERN, JobRequest("babbage-002", processed(files, clock, legacy_lines(10)).id)
    )
    assert modern.planned_model == f"ft:babbage-002:a::{modern.id[6:14]}"


def test_fine_tuned_models_serve_an_adapted_model_and_can_be_deleted(
    fine_tunes: FineTuneService, files: FileService, clock: SimulatedClock, trainer: FakeTrainer, catalog: ModelCatalog
) -> None:
    train = processed(files, clock, legacy_lines())
    job = fine_tunes.create("org-a", Api.LEGACY, JobRequest("curie", train.id))
    clock.advance(HOUR)
    model = fine_tunes.get("org-a", Api.LEGACY, job.id).fine_tuned_model
    assert model is not None
    files.delete("org-a", train.id)  # the model keeps its own copy of the training data
    assert fine_tunes.language_model("org-a", model) == ("adapted", "r50k_base", 3)
    assert fine_tunes.language_model("org-a", model) is fine_tunes.language_model("org-a", model)
    assert fine_tunes.language_model("org-b", model) is None
    with pytest.raises(errors.OpenAIError) as caught:
        fine_tunes.delete_model("org-b", model)
    assert caught.value.status == 404
    with pytest.raises(errors.OpenAIError) as caught:
        fine_tunes.delete_model("org-a", "curie")
    assert caught.value.status == 403
    fine_tunes.delete_model("org-a", model)
    assert catalog.find(model, "org-a") is None and fine_tunes.language_model("org-a", model) is None
    assert len(trainer.adapted) == 1


def test_jobs_and_models_survive_a_restart(tmp_path: Path, catalog: ModelCatalog) -> None:
    def open_services(clock: SimulatedClock) -> tuple[Store, FileService, FineTuneService, FakeTrainer]:
        store = Store(tmp_path)
        files = FileService(store, IdFactory(0, epoch=store.epoch), clock)
        trainer = FakeTrainer()
        service = FineTuneService(store, IdFactory(0, epoch=store.epoch), clock, files, catalog, trainer)
        return store, files, service, trainer

    clock = SimulatedClock(time_scale=0, start=START)
    store, files, service, _ = open_services(clock)
    train = processed(files, clock, legacy_lines())
    job = service.create("org-a", Api.LEGACY, JobRequest("curie", train.id))
    store.close()

    clock.advance(HOUR)
    store, files, service, trainer = open_services(clock)
    catalog.attach(service)
    done = service.get("org-a", Api.LEGACY, job.id)
    assert done.status is JobStatus.SUCCEEDED and done.fine_tuned_model
    assert service.language_model("org-a", done.fine_tuned_model) == ("adapted", "r50k_base", 3)
    assert len(trainer.adapted) == 1  # rebuilt from the job's copy of its training data
    assert len(files.list("org-a")) == 2
    assert files.upload("org-a", "x", "assistants", [b"1"]).id not in {train.id, done.result_files[0]}
    store.close()


def reachable(start: JobStatus, goal: JobStatus) -> bool:
    """Whether `goal` can follow `start` through one or more TRANSITIONS (reads may skip statuses)."""
    frontier, seen = [start], set()
    while frontier:
        for after in TRANSITIONS[frontier.pop()]:
            if after == goal:
                return True
            if after not in seen:
                seen.add(after)
                frontier.append(after)
    return False


class ServiceLifecycle(RuleBasedStateMachine):
    """Jobs created, cancelled and read while the clock jumps: the persisted world keeps the machine's promises."""

    def __init__(self) -> None:
        super().__init__()
        self.store = Store()
        self.clock = SimulatedClock(time_scale=0, start=START)
        self.catalog = ModelCatalog.from_file(resource_dir("fixtures") / "models.json")
        self.files = FileService(self.store, IdFactory(0), self.clock)
        self.service = FineTuneService(self.store, IdFactory(1), self.clock, self.files, self.catalog, FakeTrainer())
        self.catalog.attach(self.service)
        self.clock.on_advance(lambda _now: self.service.catch_up_all())
        self.legacy_file = processed(self.files, self.clock, legacy_lines())
        self.chat_file = processed(self.files, self.clock, chat_lines())
        self.seen: dict[str, list[JobStatus]] = {}
        self.apis: dict[str, Api] = {}

    @rule(api=st.sampled_from(Api))
    def create(self, api: Api) -> None:
        base, file = ("curie", self.legacy_file) if api is Api.LEGACY else ("gpt-4o-mini", self.chat_file)
        job = self.service.create("org-a", api, JobRequest(base, file.id, n_epochs=2))
        self.seen[job.id], self.apis[job.id] = [job.status], api

    @rule(seconds=st.sampled_from([0.5, 3, 10, 30, 120, 600]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: bool(self.seen))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.seen)))
        try:
            self.service.cancel("org-a", self.apis[job_id], job_id)
        except errors.OpenAIError as refused:
            assert refused.code == "job_not_cancellable" and self.seen[job_id][-1].terminal

    @invariant()
    def reads_agree_with_the_machine(self) -> None:
        for job_id, history in self.seen.items():
            job = self.service.get("org-a", self.apis[job_id], job_id)
            if job.status != history[-1]:
                assert not history[-1].terminal, "a terminal state never changes"
                assert reachable(history[-1], job.status)
                history.append(job.status)
            events = self.service.events("org-a", self.apis[job_id], job_id)
            assert [e.created_at for e in events] == sorted(e.created_at for e in events)
            assert (self.catalog.find(job.planned_model, "org-a") is not None) == (job.fine_tuned_model is not None)
            # The results milestone is the second to last; its file exists exactly once it has passed.
            assert bool(job.result_files) == (job.done >= len(job.plan) - 1)
            for file_id in job.result_files:
                assert self.files.get("org-a", file_id).filename == "compiled_results.csv"

    def teardown(self) -> None:
        self.store.close()


TestServiceLifecycle = ServiceLifecycle.TestCase
