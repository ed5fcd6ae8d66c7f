"""`FineTuneService`: create, list, get, cancel, events and checkpoints of jobs, and the models they produce.

Each step of a job is persisted in one store transaction together with its side effects (events, the model row,
the result file), so a crash leaves a job either before or after a step. Jobs catch up lazily on every read and
eagerly when the clock is advanced, so no background thread decides anything. The fine-tuned models are a
`ModelSource` for the catalog, and `language_model()` serves their adapted token model (rebuilt from the job's
private copy of its training data after a restart).
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sqlite3
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mockai import errors
from mockai.state.catalog import FINE_TUNED_FAMILIES, ModelCatalog, ModelInfo
from mockai.state.clock import Clock
from mockai.state.files import RESULTS_PURPOSE, FileObject, FileService, FileStatus
from mockai.state.fine_tunes import (
    TRANSITIONS,
    Api,
    Checkpoint,
    FineTuneEvent,
    FineTuneJob,
    Hyperparameters,
    JobStatus,
    advance,
    cancel,
    created_events,
    event_from_dict,
    job_from_dict,
    job_to_dict,
    pause,
    plan_schedule,
    resume,
    snapshot_time,
)
from mockai.state.ids import IdFactory
from mockai.state.jsonl import DataFormat, read_examples
from mockai.state.store import Store
from mockai.state.training import Trainer, TrainingRequest

if TYPE_CHECKING:
    from mockai.engine.token_model import TokenModel

#: The modern API refuses smaller training files.
MIN_MODERN_EXAMPLES = 10


@dataclasses.dataclass(frozen=True)
class JobRequest:
    """A create request after schema validation (`None`/"auto" means: choose as the real API does)."""

    model: str
    training_file: str
    validation_file: str | None = None
    n_epochs: int | str | None = None
    batch_size: int | str | None = None
    learning_rate_multiplier: float | str | None = None
    prompt_loss_weight: float | None = None
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] | None = None


class FineTuneService:
    """Fine-tune jobs per organization.

    Built once per app; `catalog.attach(service)` makes its models visible.
    """

    def __init__(
        self,
        store: Store,
        ids: IdFactory,
        clock: Clock,
        files: FileService,
        catalog: ModelCatalog,
        trainer: Trainer,
        *,
        seed: int = 0,
    ) -> None:
        self._store, self._ids, self._clock = store, ids, clock
        self._files, self._catalog, self._trainer = files, catalog, trainer
        self._seed = seed
        self._models: dict[str, TokenModel] = {}
        self._models_lock = threading.Lock()

    # -- jobs -----------------------------------------------------------------------------------------------------

    def create(self, org: str, api: Api, request: JobRequest) -> FineTuneJob:
        """Validate, fit, plan and record a job (fitting happens now, so call this off the event loop)."""
        base = self._base_model(org, api, request.model)
        needed = DataFormat.CHAT if "chat" in base.endpoints else DataFormat.PROMPT_COMPLETION
        train = self._usable_file(org, api, request.training_file, "training_file", base.id, needed)
        valid = None
        if request.validation_file:
            valid = self._usable_file(org, api, request.validation_file, "validation_file", base.id, needed)
        job = self._new_job(org, api, request, base, needed, train, valid)
        job, events = created_events(job)
        training_copy = _training_copy(job.id)
        size = self._store.copy_blob(train.id, training_copy)
        with self._store.transaction() as tx:
            job = dataclasses.replace(job, planned_model=self._model_name(tx, job))
            Store.register_blob(tx, training_copy, size)
            tx.execute(
                "INSERT INTO jobs (id, org, api, terminal, doc) VALUES (?, ?, ?, 0, ?)",
                (job.id, org, api.value, json.dumps(job_to_dict(job))),
            )
            _insert_events(tx, events)
        return job

    def _new_job(
        self,
        org: str,
        api: Api,
        request: JobRequest,
        base: ModelInfo,
        needed: DataFormat,
        train: FileObject,
        valid: FileObject | None,
    ) -> FineTuneJob:
        """The job with its training already fitted and its milestones planned."""
        job_id = self._ids.new("fine_tune" if api is Api.LEGACY else "fine_tuning_job")
        hyper = _hyperparameters(api, request, train.examples)
        job_seed = request.seed if request.seed is not None else _derived_seed(self._seed, job_id)
        failure = train.verdict or (valid.verdict if valid else None)
        report = None
        if failure is None:
            examples = tuple(read_examples(self._store.read_blob(train.id)))
            report = self._trainer.fit(
                TrainingRequest(base.encoding or "", needed, examples, hyper.n_epochs, hyper.batch_size, job_seed)
            )
        now = int(self._clock.now())
        job = FineTuneJob(
            id=job_id,
            org=org,
            api=api,
            model=base.id,
            created_at=now,
            training_file=train.id,
            validation_file=valid.id if valid else None,
            hyperparameters=hyper,
            suffix=request.suffix,
            seed=job_seed,
            metadata=request.metadata,
            data_format=needed.value,
            report=report,
            failure=failure,
            updated_at=now,
            result_file_id=self._ids.new("file"),
        )
        ready = max(train.ready_at, valid.ready_at if valid else 0.0)
        return dataclasses.replace(job, plan=plan_schedule(job, report, files_ready_at=ready, seed=self._seed))

    def get(self, org: str, api: Api, job_id: str) -> FineTuneJob:
        rows = self._store.query("SELECT doc FROM jobs WHERE id = ? AND org = ? AND api = ?", (job_id, org, api.value))
        if not rows:
            raise errors.fine_tune_not_found(job_id)
        return self._catch_up(job_from_dict(json.loads(rows[0]["doc"])))

    def list_jobs(self, org: str, api: Api) -> list[FineTuneJob]:
        """The organization's jobs of one API, oldest first."""
        rows = self._store.query("SELECT doc FROM jobs WHERE org = ? AND api = ? ORDER BY seq", (org, api.value))
        return [self._catch_up(job_from_dict(json.loads(row["doc"]))) for row in rows]

    def cancel(self, org: str, api: Api, job_id: str) -> FineTuneJob:
        job = self.get(org, api, job_id)
        if JobStatus.CANCELLED not in TRANSITIONS[job.status]:
            raise errors.cannot_cancel(job.id, job.status.legacy if api is Api.LEGACY else job.status)
        with self._store.transaction() as tx:
            moved, events = cancel(job, self._clock.now())
            self._save(tx, moved, events)
        return moved

    def pause(self, org: str, job_id: str) -> FineTuneJob:
        """Pause a running modern job; any other status is refused in the words the status calls for."""
        job = self.get(org, Api.MODERN, job_id)
        if JobStatus.PAUSED not in TRANSITIONS[job.status]:
            raise errors.cannot_pause(job.id, job.status)
        with self._store.transaction() as tx:
            moved, events = pause(job, self._clock.now())
            self._save(tx, moved, events)
        return moved

    def resume(self, org: str, job_id: str) -> FineTuneJob:
        """Resume a paused modern job; its remaining milestones move later by the time it was paused."""
        job = self.get(org, Api.MODERN, job_id)
        if job.status is not JobStatus.PAUSED:
            raise errors.cannot_resume(job.id, job.status)
        with self._store.transaction() as tx:
            moved, events = resume(job, self._clock.now())
            self._save(tx, moved, events)
        return moved

    def events(self, org: str, api: Api, job_id: str) -> list[FineTuneEvent]:
        """Every event of the job, oldest first."""
        job = self.get(org, api, job_id)
        rows = self._store.query("SELECT doc FROM events WHERE job_id = ? ORDER BY seq", (job.id,))
        return [event_from_dict(json.loads(row["doc"])) for row in rows]

    def checkpoints(self, org: str, job_id: str) -> list[Checkpoint]:
        """The job's checkpoints, oldest first."""
        return list(self.get(org, Api.MODERN, job_id).checkpoints)

    def catch_up_all(self) -> None:
        """Bring every unfinished job up to the present (called when the clock is advanced)."""
        for row in self._store.query("SELECT doc FROM jobs WHERE terminal = 0"):
            self._catch_up(job_from_dict(json.loads(row["doc"])))

    def file_of(self, job: FineTuneJob, file_id: str) -> FileObject | None:
        """A file a job names, if it still exists (its owner may have deleted it since)."""
        try:
            return self._files.get(job.org, file_id)
        except errors.OpenAIError:
            return None

    # -- models ---------------------------------------------------------------------------------------------------

    def models_for(self, org: str) -> list[ModelInfo]:
        rows = self._store.query("SELECT doc FROM models WHERE org = ? AND deleted = 0 ORDER BY rowid", (org,))
        found = []
        for row in rows:
            doc = json.loads(row["doc"])
            base = self._catalog.find(doc["parent"], org, infer=False)
            if base is not None:
                found.append(_fine_tuned_info(doc, base, org))
        return found

    def reserves(self, model_id: str) -> bool:
        """A name the store knows (any organization's model, deleted or not, or one a job will produce) is never
        inferred: another organization's model stays invisible, a deleted one stays gone, a future one is not yet."""
        rows = self._store.query(
            "SELECT 1 FROM models WHERE id = ? "
            "UNION ALL SELECT 1 FROM jobs WHERE json_extract(doc, '$.planned_model') = ?",
            (model_id, model_id),
        )
        return bool(rows)

    def delete_model(self, org: str, model_id: str) -> None:
        """Delete a fine-tuned model of `org`; base models are refused, other organizations' and inferred names do
        not exist."""
        model = self._catalog.get(model_id, org, infer=False)
        if not model.is_fine_tuned:
            raise errors.cannot_delete_base_model(model_id)
        with self._store.transaction() as tx:
            tx.execute("UPDATE models SET deleted = 1 WHERE id = ? AND org = ?", (model_id, org))
        with self._models_lock:
            self._models.pop(model_id, None)

    def language_model(self, org: str, model_id: str) -> TokenModel | None:
        """The adapted token model behind a fine-tuned model `org` owns (None for any other model)."""
        rows = self._store.query(
            "SELECT job_id, doc FROM models WHERE id = ? AND org = ? AND deleted = 0", (model_id, org)
        )
        if not rows:
            return None
        with self._models_lock:
            if model_id not in self._models:
                self._models[model_id] = self._rebuild(rows[0]["job_id"], json.loads(rows[0]["doc"]))
            return self._models[model_id]

    def reset(self) -> None:
        """Forget cached models (the store is reset by its owner)."""
        with self._models_lock:
            self._models.clear()

    # -- internals ------------------------------------------------------------------------------------------------

    def _rebuild(self, job_id: str, doc: dict[str, Any]) -> TokenModel:
        examples = list(read_examples(self._store.read_blob(_training_copy(job_id))))
        return self._trainer.adapt(doc["encoding"], DataFormat(doc["data_format"]), examples)

    def _catch_up(self, job: FineTuneJob) -> FineTuneJob:
        due = job.next_change_at
        now = self._clock.now()
        if due is None or due > now:
            return job
        with self._store.transaction() as tx:
            # Reload under the lock: another thread may have moved the job since it was read.
            row = tx.execute("SELECT doc FROM jobs WHERE id = ?", (job.id,)).fetchone()
            current = job_from_dict(json.loads(row["doc"]))
            moved, events = advance(current, now)
            if moved.done != current.done:
                self._side_effects(tx, current, moved)
                self._save(tx, moved, events)
        return moved

    def _side_effects(self, tx: sqlite3.Connection, before: FineTuneJob, after: FineTuneJob) -> None:
        if after.fine_tuned_model and not before.fine_tuned_model:
            base = self._catalog.find(after.model, after.org, infer=False)
            doc = {
                "id": after.fine_tuned_model,
                "created": int(snapshot_time(after.plan) or after.updated_at),
                "parent": after.model,
                "encoding": base.encoding if base else None,
                "data_format": after.data_format,
            }
            tx.execute(
                "INSERT INTO models (id, org, job_id, doc, deleted) VALUES (?, ?, ?, ?, 0)",
                (after.fine_tuned_model, after.org, after.id, json.dumps(doc)),
            )
        if after.result_files and not before.result_files and after.report is not None:
            data = after.report.to_csv().encode()
            self._store.write_blob(after.result_file_id, [data])
            self._files.insert(tx, _result_file(after, len(data)))

    def _save(self, tx: sqlite3.Connection, job: FineTuneJob, events: Sequence[FineTuneEvent]) -> None:
        tx.execute(
            "UPDATE jobs SET doc = ?, terminal = ? WHERE id = ?",
            (json.dumps(job_to_dict(job)), int(job.status.terminal), job.id),
        )
        _insert_events(tx, events)

    def _base_model(self, org: str, api: Api, model_id: str) -> ModelInfo:
        model = self._catalog.find(model_id, org, infer=False)
        if model is not None and model.fine_tune == api.value:
            return model
        if api is Api.LEGACY:
            bases = [m.id for m in self._catalog.base_models() if m.fine_tune == Api.LEGACY.value]
            raise errors.legacy_base_model_invalid(model_id, bases, org)
        raise errors.model_not_fine_tunable(model_id)

    def _usable_file(self, org: str, api: Api, file_id: str, param: str, model: str, needed: DataFormat) -> FileObject:
        file = self._files.get(org, file_id, param=param)
        if file.purpose != "fine-tune":
            raise errors.file_wrong_purpose(file.id, file.purpose, param)
        if file.status is FileStatus.ERROR:
            raise errors.invalid_training_file(file.id, file.status_details or "", param)
        # The modern API validates files inside the job (`validating_files`); the legacy one wanted them ready.
        if api is Api.LEGACY and file.status is not FileStatus.PROCESSED:
            raise errors.file_not_processed(file.id, param)
        if file.verdict is None and file.data_format != needed.value:
            raise errors.wrong_data_format(file.id, file.data_format or "", model, needed.value, param)
        if api is Api.MODERN and file.verdict is None and file.examples < MIN_MODERN_EXAMPLES:
            raise errors.too_few_examples(file.id, file.examples, MIN_MODERN_EXAMPLES, param)
        return file

    def _model_name(self, tx: sqlite3.Connection, job: FineTuneJob) -> str:
        """The job's future model name, made unique now (names carry only seconds, and jobs may share one)."""
        moment = snapshot_time(job.plan) or float(job.created_at)
        slug = _org_slug(job.org)
        while True:
            if job.api is Api.LEGACY:
                stamp = time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(moment))
                name = f"{job.model}:ft-{slug}{':' + job.suffix if job.suffix else ''}-{stamp}"
            else:
                name = f"ft:{job.model}:{slug}:{job.suffix or ''}:{job.id[6:14]}"
            taken = tx.execute(
                "SELECT 1 FROM models WHERE id = ? UNION ALL "
                "SELECT 1 FROM jobs WHERE json_extract(doc, '$.planned_model') = ?",
                (name, name),
            ).fetchone()
            if taken is None:
                return name
            moment += 1.0


def _hyperparameters(api: Api, request: JobRequest, n_examples: int) -> Hyperparameters:
    """Defaults as documented: legacy 4 epochs; modern "auto" picks more epochs for small files."""
    batch = _number(request.batch_size) or max(1, min(256, round(0.002 * n_examples)))
    if api is Api.LEGACY:
        epochs = int(_number(request.n_epochs) or 4)
        rate = _number(request.learning_rate_multiplier) or (0.05 if batch < 8 else 0.1 if batch < 64 else 0.2)
    else:
        epochs = int(_number(request.n_epochs) or max(3, min(10, math.ceil(100 / max(1, n_examples)))))
        rate = _number(request.learning_rate_multiplier) or 2.0
    weight = request.prompt_loss_weight if request.prompt_loss_weight is not None else 0.01
    return Hyperparameters(epochs, int(batch), float(rate), float(weight))


def _number(value: int | float | str | None) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def _derived_seed(seed: int, job_id: str) -> int:
    return random.Random(f"{seed}:{job_id}").randrange(2**31)


def _org_slug(org: str) -> str:
    bare = org.removeprefix("org-").removeprefix("user-").lower()
    return "".join(c if c.isalnum() else "-" for c in bare).strip("-") or "personal"


def _training_copy(job_id: str) -> str:
    return f"train-{job_id}"


def _insert_events(tx: sqlite3.Connection, events: Sequence[FineTuneEvent]) -> None:
    tx.executemany(
        "INSERT INTO events (id, job_id, doc) VALUES (?, ?, ?)",
        [(e.id, e.job_id, json.dumps(dataclasses.asdict(e))) for e in events],
    )


def _result_file(job: FineTuneJob, size: int) -> FileObject:
    moment = job.updated_at
    return FileObject(
        id=job.result_file_id,
        org=job.org,
        filename="compiled_results.csv",
        purpose=RESULTS_PURPOSE,
        bytes=size,
        created_at=moment,
        ready_at=float(moment),
        status=FileStatus.PROCESSED,
    )


def _fine_tuned_info(doc: dict[str, Any], base: ModelInfo, org: str) -> ModelInfo:
    """The base's capabilities under the fine-tuned name; a legacy `davinci:ft-…` name keeps the 2023 object."""
    return dataclasses.replace(
        base,
        id=doc["id"],
        created=doc["created"],
        owned_by=org,
        endpoints=base.endpoints & FINE_TUNED_FAMILIES,
        fine_tune=None,
        legacy_object=not doc["id"].startswith("ft:"),
        parent=base.id,
        owner_org=org,
    )
