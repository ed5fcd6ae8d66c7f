"""Modern `/v1/fine_tuning/jobs`: create, list, retrieve, cancel, pause, resume, events and checkpoints.

Lists page newest first by cursor (`mockai.state.pagination`); the job list filters by `metadata[key]=value`.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mockai.api.auth import organization
from mockai.api.pagination import metadata_filter, page_query, page_response
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.fine_tune_service import JobRequest
from mockai.state.fine_tunes import Api, Checkpoint, FineTuneEvent, FineTuneJob, JobStatus
from mockai.state.pagination import paginate

MODERN = Api.MODERN


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
        metadata=body.get("metadata"),
    )
    fine_tunes = services(request).fine_tunes
    # Fitting runs here (it is what makes the model real), so keep it off the event loop.
    job = await run_in_threadpool(fine_tunes.create, organization(request), MODERN, job_request)
    return json_response(fine_tuning_job_object(job))


async def list_fine_tuning_jobs(request: Request, _: None) -> Response:
    wanted = metadata_filter(request).items()
    jobs = services(request).fine_tunes.list_jobs(organization(request), MODERN)
    found = [job for job in jobs if wanted <= (job.metadata or {}).items()]
    page = paginate(found, _job_id, page_query(request, default_limit=20))
    return page_response(page, fine_tuning_job_object, cursors=False)


async def retrieve_fine_tuning_job(request: Request, _: None) -> Response:
    job = services(request).fine_tunes.get(organization(request), MODERN, request.path_params["fine_tuning_job_id"])
    return json_response(fine_tuning_job_object(job))


async def cancel_fine_tuning_job(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    job = services(request).fine_tunes.cancel(organization(request), MODERN, job_id)
    return json_response(fine_tuning_job_object(job))


async def pause_fine_tuning_job(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    job = services(request).fine_tunes.pause(organization(request), job_id)
    return json_response(fine_tuning_job_object(job))


async def resume_fine_tuning_job(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    job = services(request).fine_tunes.resume(organization(request), job_id)
    return json_response(fine_tuning_job_object(job))


async def list_fine_tuning_events(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    events = services(request).fine_tunes.events(organization(request), MODERN, job_id)
    page = paginate(events, _event_id, page_query(request, default_limit=20))
    return page_response(page, lambda event: event.to_api(MODERN), cursors=False)


async def list_fine_tuning_checkpoints(request: Request, _: None) -> Response:
    job_id = request.path_params["fine_tuning_job_id"]
    checkpoints = services(request).fine_tunes.checkpoints(organization(request), job_id)
    page = paginate(checkpoints, _checkpoint_id, page_query(request, default_limit=10))
    return page_response(page, lambda checkpoint: checkpoint.to_api(job_id))


def _job_id(job: FineTuneJob) -> str:
    return job.id


def _event_id(event: FineTuneEvent) -> str:
    return event.id


def _checkpoint_id(checkpoint: Checkpoint) -> str:
    return checkpoint.id


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
        "metadata": job.metadata,
    }


def _method_hyperparameters(method: object) -> dict[str, Any]:
    """Newer SDKs put hyperparameters under `method.supervised`; read them from there too."""
    if isinstance(method, dict):
        supervised = method.get("supervised") or {}
        found = supervised.get("hyperparameters") if isinstance(supervised, dict) else None
        if isinstance(found, dict):
            return found
    return {}
