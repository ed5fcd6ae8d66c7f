"""`/v1/files`: upload (streamed to disk), list, retrieve, delete and download, per organization."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import IO, Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from mockai import errors
from mockai.api.auth import organization
from mockai.api.pagination import page_query, page_response
from mockai.api.responses import json_response
from mockai.api.services import services
from mockai.state.files import FileObject
from mockai.state.pagination import paginate

#: Copy uploads in slices this big: memory stays flat whatever the file size.
CHUNK_BYTES = 1024 * 1024
#: Content types of the files mockai itself writes or that the docs name, by extension.
CONTENT_TYPES = {".jsonl": "application/jsonl", ".csv": "text/csv"}


async def create_file(request: Request, body: dict[str, Any]) -> Response:
    upload = body["file"]
    if not isinstance(upload, UploadFile):
        raise errors.invalid_field("file", "expected a file upload, but got a text field instead.")
    # Starlette has spooled the part to a temporary file; copying it in slices off the event loop keeps both
    # memory and latency flat for large uploads.
    file = await run_in_threadpool(
        lambda: services(request).files.upload(
            organization(request),
            upload.filename or "upload",
            body["purpose"],
            file_slices(upload.file),
            expires_after=(body.get("expires_after") or {}).get("seconds"),
        )
    )
    return json_response(file.to_api())


async def list_files(request: Request, _: None) -> Response:
    purpose = request.query_params.get("purpose") or None
    found = services(request).files.list(organization(request), purpose)
    # The real API lists newest first and up to 10,000 files a page by default.
    page = paginate(found, _file_id, page_query(request, default_limit=10_000))
    return page_response(page, FileObject.to_api)


def _file_id(file: FileObject) -> str:
    return file.id


async def retrieve_file(request: Request, _: None) -> Response:
    file = services(request).files.get(organization(request), request.path_params["file_id"])
    return json_response(file.to_api())


async def delete_file(request: Request, _: None) -> Response:
    file = services(request).files.delete(organization(request), request.path_params["file_id"])
    return json_response({"id": file.id, "object": "file", "deleted": True})


async def download_file(request: Request, _: None) -> Response:
    file, chunks = services(request).files.content(organization(request), request.path_params["file_id"])
    media_type = content_type(file.filename)
    # A sync iterator: Starlette reads each slice in its thread pool, so the download never blocks the loop.
    return StreamingResponse(chunks, media_type=media_type, headers={"content-length": str(file.bytes)})


def content_type(filename: str) -> str:
    """The type to serve a file's bytes with, from its name (never from its contents)."""
    for extension, media_type in CONTENT_TYPES.items():
        if filename.lower().endswith(extension):
            return media_type
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def file_slices(handle: IO[bytes]) -> Iterator[bytes]:
    """A spooled upload's bytes from its start, in slices."""
    handle.seek(0)
    yield from iter(lambda: handle.read(CHUNK_BYTES), b"")
