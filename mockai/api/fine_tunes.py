"""Legacy `/v1/fine-tunes`: create, list, retrieve, cancel, and events (listed, or streamed until the job ends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mockai.api.auth import organization
from mockai.api.responses import json_response, list_response
from mockai.api.services import services
from mockai.api.sse import event_stream
from mockai.state.fine_tune_service import FineTuneService, JobRequest
from mockai.state.fine_tunes import Api, FineTuneJob

LEGACY = Api.LEGACY


async def create_fine_tune(request: Request, body: dict[str, Any]) -> Response:
    hyper = body.get("hyperparameters") or {}
    job_request = JobRequest(
        model=body.get("model") or "curie",
        training_file=body["training_file"],
        validation_file=body.get("validation_file"),
        n_epochs=body.get("n_epochs") or hyper.get("n_epochs"),
        batch_size=body.get("batch_size"),
        learning_rate_multiplier=body.get("learning_rate_multiplier"),
        prompt_loss_weight=body.get("prompt_loss_weight"),
        suffix=body.get("suffix"),
    )
    fine_tunes = services(request).fine_tunes
    # Fitting runs here (it is what makes the model real), so keep it off the event loop.
    job = await run_in_threadpool(fine_tunes.create, organization(request), LEGACY, job_request)
    return json_response(fine_tune_object(fine_tunes, job, with_events=True))


async def list_fine_tunes(request: Request, _: None) -> Response:
    fine_tunes = services(request).fine_tunes
    jobs = fine_tunes.list_jobs(organization(request), LEGACY)
    return list_response(fine_tune_object(fine_tunes, job) for job in jobs)


async def retrieve_fine_tune(request: Request, _: None) -> Response:
    fine_tunes = services(request).fine_tunes
    job = fine_tunes.get(organization(request), LEGACY, request.path_params["fine_tune_id"])
    return json_response(fine_tune_object(fine_tunes, job, with_events=True))


async def cancel_fine_tune(request: Request, _: None) -> Response:
    fine_tunes = services(request).fine_tunes
    job = fine_tunes.cancel(organization(request), LEGACY, request.path_params["fine_tune_id"])
    return json_response(fine_tune_object(fine_tunes, job, with_events=True))


async def list_fine_tune_events(request: Request, _: None) -> Response:
    fine_tunes, org = services(request).fine_tunes, organization(request)
    job_id = request.path_params["fine_tune_id"]
    events = fine_tunes.events(org, LEGACY, job_id)  # raises 404 before any stream starts
    if request.query_params.get("stream", "false").lower() != "true":
        return list_response(event.to_api(LEGACY) for event in events)
    return event_stream(request, _follow(request, job_id))


async def _follow(request: Request, job_id: str) -> AsyncIterator[dict[str, Any]]:
    """Every event as it happens; world time is awaited on the clock (never slept), ending at a terminal state."""
    app_services, org = services(request), organization(request)
    sent = 0
    while True:
        events = app_services.fine_tunes.events(org, LEGACY, job_id)
        for event in events[sent:]:
            yield event.to_api(LEGACY)
        sent = len(events)
        job = app_services.fine_tunes.get(org, LEGACY, job_id)
        if job.next_change_at is None:
            return
        await app_services.clock.wait_until(job.next_change_at)


def fine_tune_object(fine_tunes: FineTuneService, job: FineTuneJob, *, with_events: bool = False) -> dict[str, Any]:
    """The documented `fine-tune` object (the list endpoint leaves out `events`, as the docs show)."""

    def files(ids: tuple[str, ...]) -> list[dict[str, Any]]:
        return [found.to_api() for file_id in ids if (found := fine_tunes.file_of(job, file_id)) is not None]

    shown: dict[str, Any] = {"id": job.id, "object": "fine-tune", "model": job.model, "created_at": job.created_at}
    if with_events:
        events = fine_tunes.events(job.org, LEGACY, job.id)
        shown["events"] = [event.to_api(LEGACY) for event in events]
    return shown | {
        "fine_tuned_model": job.fine_tuned_model,
        "hyperparams": job.hyperparameters.to_api(LEGACY),
        "organization_id": job.org,
        "result_files": files(job.result_files),
        "status": job.status.legacy,
        "validation_files": files((job.validation_file,) if job.validation_file else ()),
        "training_files": files((job.training_file,)),
        "updated_at": job.updated_at,
    }
