"""Modern `/v1/fine_tuning/jobs`: create, list, retrieve, cancel, events and checkpoints, with cursor pagination."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mockai.api.auth import organization
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.fine_tune_service import JobRequest
from mockai.state.fine_tunes import Api, FineTuneJob, JobStatus

MODERN = Api.MODERN
T = TypeVar("T")


async def create_fine_tuning_job(request: Request, body: dict[str, Any]) -> Response:
    hyper = body.get("hyperparameters") or _method_hyperparameters(body.get("method"))
    job_request = JobRequest(
        model=body["model"],
        training_file=body["training_file"],
        validation_file=body.get("validation_file"),
        n_epochs=hyper.get("n_epochs"),
        batch_size=hyper.get("batch_size"),
        learning_rate_multiplier=hyper.get("learning_rate_multiplier"),
        suffix=body.get("suffix"),
        seed=body.get("seed"),
    )
    fine_tunes = services(request).fine_tunes
    # Fitting runs here (it is what makes the model real), so keep it off the event loop.
    job = await run_in_threadpool(fine_tunes.create, organization(request), MODERN, job_request)
    return json_response(fine_tuning_job_object(job))


async def list_fine_tuning_jobs(request: Request, _: None) -> Response:
    jobs = services(request).fine_tunes.list_jobs(organization(request), MODERN)
    page, has_more = paginate(request, jobs[::-1], lambda job: job.id, default_limit=20)
    return json_response({"object": "list", "data": [fine_tuning_job_object(j) for j in page], "has_more": has_more})


async def retrieve_fine_tuning_job(request: Request, _: None) -> Response:
    job = services(request).fine_tunes.get(organization(request), MODERN, request.path_params["fine_tuning_job_id"])
    return json_response(fine_tuning_job_object(job))


async def cancel_fine_tuning_job(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    job = services(request).fine_tunes.cancel(organization(request), MODERN, job_id)
    return json_response(fine_tuning_job_object(job))


async def list_fine_tuning_events(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    events = services(request).fine_tunes.events(organization(request), MODERN, job_id)
    page, has_more = paginate(request, events[::-1], lambda event: event.id, default_limit=20)
    return json_response({"object": "list", "data": [e.to_api(MODERN) for e in page], "has_more": has_more})


async def list_fine_tuning_checkpoints(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    checkpoints = services(request).fine_tunes.checkpoints(organization(request), job_id)
    page, has_more = paginate(request, checkpoints[::-1], lambda c: c.id, default_limit=10)
    return json_response(
        {
            "object": "list",
            "data": [c.to_api(job_id) for c in page],
            "has_more": has_more,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        }
    )


def paginate(
    request: Request, newest_first: Sequence[T], key: Callable[[T], str], *, default_limit: int
) -> tuple[list[T], bool]:
    """The page after the `after` cursor (an id), at most `limit` long, and whether more follow.

    `limit` was validated as an integer against the operation's query schema; the spec sets it no bounds."""
    raw_limit = request.query_params.get("limit")
    limit = default_limit if raw_limit is None else max(int(raw_limit), 0)
    items = list(newest_first)
    after = request.query_params.get("after")
    if after:
        ids = [key(item) for item in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return items[:limit], len(items) > limit


def fine_tuning_job_object(job: FineTuneJob) -> dict[str, Any]:
    """The `fine_tuning.job` object, statuses as they are (this API shows `validating_files` and `queued`)."""
    hyper = job.hyperparameters.to_api(MODERN)
    failed = job.status is JobStatus.FAILED
    return {
        "object": "fine_tuning.job",
        "id": job.id,
        "model": job.model,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "fine_tuned_model": job.fine_tuned_model,
        "organization_id": job.org,
        "result_files": list(job.result_files),
        "status": job.status.value,
        "validation_file": job.validation_file,
        "training_file": job.training_file,
        "hyperparameters": hyper,
        "trained_tokens": job.report.trained_tokens if job.report and job.status is JobStatus.SUCCEEDED else None,
        "error": {"code": "invalid_training_file", "message": job.failure, "param": "training_file"}
        if failed
        else None,
        "seed": job.seed,
        "estimated_finish": job.estimated_finish,
        "integrations": [],
        "user_provided_suffix": job.suffix,
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
        "metadata": None,
    }


def _method_hyperparameters(method: object) -> dict[str, Any]:
    """Newer SDKs put hyperparameters under `method.supervised`; read them from there too."""
    if isinstance(method, dict):
        supervised = method.get("supervised") or {}
        found = supervised.get("hyperparameters") if isinstance(supervised, dict) else None
        if isinstance(found, dict):
            return found
    return {}
