"""`/v1/uploads`: create an upload, add parts (multipart `data`), complete it into a File, or cancel it."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from mockai import errors
from mockai.api.auth import organization
from mockai.api.files import file_slices
from mockai.api.responses import json_response
from mockai.api.services import services


async def create_upload(request: Request, body: dict[str, Any]) -> Response:
    upload = services(request).uploads.create(
        organization(request),
        body["filename"],
        body["purpose"],
        body["bytes"],
        body["mime_type"],
        expires_after=(body.get("expires_after") or {}).get("seconds"),
    )
    return json_response(upload.to_api())


async def add_upload_part(request: Request, body: dict[str, Any]) -> Response:
    data = body["data"]
    if not isinstance(data, UploadFile):
        raise errors.invalid_field("data", "expected a file upload, but got a text field instead.")
    uploads, org, upload_id = services(request).uploads, organization(request), request.path_params["upload_id"]
    part = await run_in_threadpool(uploads.add_part, org, upload_id, file_slices(data.file))
    return json_response(part.to_api())


async def complete_upload(request: Request, body: dict[str, Any]) -> Response:
    uploads, org, upload_id = services(request).uploads, organization(request), request.path_params["upload_id"]
    # Assembling streams every part into the File (and validates fine-tuning JSONL): off the event loop.
    upload, file = await run_in_threadpool(uploads.complete, org, upload_id, body["part_ids"], body.get("md5"))
    return json_response(upload.to_api(file))


async def cancel_upload(request: Request, _: None) -> Response:
    upload = services(request).uploads.cancel(organization(request), request.path_params["upload_id"])
    return json_response(upload.to_api())
