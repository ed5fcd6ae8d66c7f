"""`/v1/batches`: create over an uploaded JSONL file, retrieve, list and cancel; requests run in-process.

`in_process_runner(app)` is how a batch's requests reach mockai's own endpoints: each line is sent through the
app itself (auth, validation, rules, faults, the journal, the handler), as the batch's organization, so a batch of
requests answers exactly what the same requests answer one by one, for every endpoint the table serves.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from mockai.api.auth import organization
from mockai.api.pagination import page_query, page_response
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.batch_service import RequestResult, RequestRunner
from mockai.state.batches import Batch, BatchRequest
from mockai.state.pagination import paginate

#: The key batch requests present when the server accepts any key (with --api-key, the first one configured).
BATCH_API_KEY = "sk-mockai-batch"


async def create_batch(request: Request, body: dict[str, Any]) -> Response:
    batches = services(request).batches
    output_policy = body.get("output_expires_after") or {}
    batch = await run_in_threadpool(
        lambda: batches.create(
            organization(request),
            body["input_file_id"],
            body["endpoint"],
            metadata=body.get("metadata"),
            output_expires_after=output_policy.get("seconds"),
        )
    )
    return json_response(batch.to_api())


async def retrieve_batch(request: Request, _: None) -> Response:
    batch = await services(request).batches.get(organization(request), request.path_params["batch_id"])
    return json_response(batch.to_api())


async def list_batches(request: Request, _: None) -> Response:
    found = await services(request).batches.list(organization(request))
    page = paginate(found, _batch_id, page_query(request, default_limit=20))
    return page_response(page, Batch.to_api)


async def cancel_batch(request: Request, _: None) -> Response:
    batch = await services(request).batches.cancel(organization(request), request.path_params["batch_id"])
    return json_response(batch.to_api())


def in_process_runner(app: ASGIApp, api_key: str) -> RequestRunner:
    """Run batch requests through `app`, as the batch's organization, presenting `api_key`."""
    transport = httpx.ASGITransport(app=app)

    async def run(org: str, request: BatchRequest) -> RequestResult:
        headers = {"Authorization": f"Bearer {api_key}", "OpenAI-Organization": org}
        async with httpx.AsyncClient(transport=transport, base_url="http://mockai.batch") as client:
            response = await client.post(request.url, json=request.body, headers=headers)
        try:
            body = response.json()
        except ValueError:  # a text answer (a scripted rule's, say) is reported as the text it is
            body = response.text
        return RequestResult(response.status_code, response.headers.get("x-request-id", ""), body)

    return run


def _batch_id(batch: Batch) -> str:
    return batch.id
