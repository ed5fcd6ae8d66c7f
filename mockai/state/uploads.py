"""Uploads: a large file sent in parts, then assembled into an ordinary File (`pending → completed | cancelled |
expired`).

Each part is a blob of its own; completing an upload streams the parts, in the order the caller names them, into
`FileService.upload`, so the File is exactly one uploaded through `/v1/files` (a fine-tuning file is validated the
same way). An upload still pending an hour after its creation expires, and its parts are deleted.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockai import errors
from mockai.state.clock import Clock
from mockai.state.files import FileObject, FileService
from mockai.state.ids import IdFactory
from mockai.state.objects import ObjectTable
from mockai.state.store import Store

#: The documented limits: 8 GB an upload, 64 MB a part, an hour to complete it.
MAX_UPLOAD_BYTES = 8 * 1024**3
MAX_PART_BYTES = 64 * 1024**2
UPLOAD_SECONDS = 3600
#: The content types a purpose's files may declare; purposes not named take any `type/subtype`.
JSONL_TYPES = frozenset({"text/jsonl", "application/jsonl", "application/x-ndjson", "application/json"})
MIME_TYPES = {"fine-tune": JSONL_TYPES, "batch": JSONL_TYPES}


class UploadStatus(StrEnum):
    PENDING = "pending"  # accepting parts
    COMPLETED = "completed"  # assembled into `file` (terminal)
    CANCELLED = "cancelled"  # cancelled by its organization; parts deleted (terminal)
    EXPIRED = "expired"  # not completed within the hour; parts deleted (terminal)


TRANSITIONS: dict[UploadStatus, frozenset[UploadStatus]] = {
    UploadStatus.PENDING: frozenset({UploadStatus.COMPLETED, UploadStatus.CANCELLED, UploadStatus.EXPIRED}),
    UploadStatus.COMPLETED: frozenset(),
    UploadStatus.CANCELLED: frozenset(),
    UploadStatus.EXPIRED: frozenset(),
}


@dataclass(frozen=True)
class Upload:
    """One upload as its owner sees it; `to_api(file)` is the JSON the API returns."""

    id: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    file_expires_after: int | None = None  # the File's own `expires_after`, applied when it is made
    status: UploadStatus = UploadStatus.PENDING
    file_id: str | None = None

    def to_api(self, file: FileObject | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status.value,
            "expires_at": self.expires_at,
            "file": None if file is None else file.to_api(),
        }


@dataclass(frozen=True)
class UploadPart:
    id: str
    upload_id: str
    created_at: int
    bytes: int

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "object": "upload.part", "created_at": self.created_at, "upload_id": self.upload_id}


def advance_upload(upload: Upload, now: float) -> Upload:
    """The upload at world time `now` (pure): a pending one past its hour has expired."""
    if upload.status is UploadStatus.PENDING and now >= upload.expires_at:
        return dataclasses.replace(upload, status=UploadStatus.EXPIRED)
    return upload


class UploadService:
    """Uploads per organization.

    >>> from mockai.state.clock import SimulatedClock
    >>> store, ids, clock = Store(), IdFactory(1), SimulatedClock(time_scale=0, start=0)
    >>> uploads = UploadService(store, ids, clock, FileService(store, ids, clock))
    >>> upload = uploads.create("org-a", "a.txt", "assistants", 5, "text/plain")
    >>> part = uploads.add_part("org-a", upload.id, [b"hello"])
    >>> uploads.complete("org-a", upload.id, [part.id])[1].bytes
    5
    """

    def __init__(self, store: Store, ids: IdFactory, clock: Clock, files: FileService) -> None:
        self._store, self._ids, self._clock, self._files = store, ids, clock, files
        self._uploads = ObjectTable(store, "upload")
        self._parts = ObjectTable(store, "upload.part")

    def create(
        self, org: str, filename: str, purpose: str, size: int, mime_type: str, *, expires_after: int | None = None
    ) -> Upload:
        if size > MAX_UPLOAD_BYTES:
            raise errors.upload_too_large(size, MAX_UPLOAD_BYTES)
        allowed = MIME_TYPES.get(purpose)
        if (allowed is not None and mime_type.lower() not in allowed) or "/" not in mime_type:
            raise errors.invalid_mime_type(mime_type, purpose)
        now = int(self._clock.now())
        upload = Upload(self._ids.new("upload"), filename, purpose, size, mime_type, now, now + UPLOAD_SECONDS)
        upload = dataclasses.replace(upload, file_expires_after=expires_after)
        with self._store.transaction() as tx:
            self._uploads.insert(tx, org, upload.id, _doc(upload))
        return upload

    def get(self, org: str, upload_id: str) -> tuple[Upload, FileObject | None]:
        """The upload at the present world time, and its File once completed (None if since deleted)."""
        upload = self._current(org, upload_id)
        if upload.file_id is None:
            return upload, None
        try:
            return upload, self._files.get(org, upload.file_id)
        except errors.OpenAIError:  # the File was deleted (or expired) since
            return upload, None

    def add_part(self, org: str, upload_id: str, chunks: Iterable[bytes]) -> UploadPart:
        """Store one part (at most 64 MB) of a pending upload."""
        upload = self._pending(org, upload_id)
        part_id = self._ids.new("upload_part")
        size = self._store.write_blob(part_id, _limited(chunks, MAX_PART_BYTES))
        part = UploadPart(part_id, upload.id, int(self._clock.now()), size)
        try:
            with self._store.transaction() as tx:
                Store.register_blob(tx, part_id, size)
                self._parts.insert(tx, org, part_id, dataclasses.asdict(part))
        except BaseException:
            self._store.remove_blob(part_id)
            raise
        return part

    def complete(
        self, org: str, upload_id: str, part_ids: Sequence[str], md5: str | None = None
    ) -> tuple[Upload, FileObject]:
        """Assemble the named parts, in order, into a File; the total must be the upload's `bytes`."""
        upload = self._pending(org, upload_id)
        parts = [self._part(org, upload.id, part_id) for part_id in part_ids]
        if len(set(part_ids)) != len(part_ids):
            raise errors.upload_part_repeated()
        total = sum(part.bytes for part in parts)
        if total != upload.bytes:
            raise errors.upload_size_mismatch(total, upload.bytes)
        if md5 is not None and md5.lower() != self._md5(parts):
            raise errors.upload_md5_mismatch(md5)
        file = self._files.upload(
            org, upload.filename, upload.purpose, self._bytes_of(parts), expires_after=upload.file_expires_after
        )
        done = dataclasses.replace(upload, status=UploadStatus.COMPLETED, file_id=file.id)
        self._finish(done, self._parts_of(org, upload.id))
        return done, file

    def cancel(self, org: str, upload_id: str) -> Upload:
        upload = self._current(org, upload_id)
        if UploadStatus.CANCELLED not in TRANSITIONS[upload.status]:
            raise errors.upload_not_pending(upload.id, upload.status, "cancel")
        cancelled = dataclasses.replace(upload, status=UploadStatus.CANCELLED)
        self._finish(cancelled, self._parts_of(org, upload.id))
        return cancelled

    def expire_due(self) -> None:
        """Expire every pending upload past its hour (called when the clock is advanced)."""
        for org, doc in list(self._uploads.every()):
            if doc["status"] == UploadStatus.PENDING:
                self._current(org, doc["id"])

    # -- internals ------------------------------------------------------------------------------------------------

    def _current(self, org: str, upload_id: str) -> Upload:
        doc = self._uploads.get(org, upload_id)
        if doc is None:
            raise errors.upload_not_found(upload_id)
        upload = _upload(doc)
        moved = advance_upload(upload, self._clock.now())
        if moved is not upload:
            self._finish(moved, self._parts_of(org, upload.id))
        return moved

    def _pending(self, org: str, upload_id: str) -> Upload:
        upload = self._current(org, upload_id)
        if upload.status is not UploadStatus.PENDING:
            raise errors.upload_not_pending(upload.id, upload.status, "change")
        return upload

    def _part(self, org: str, upload_id: str, part_id: str) -> UploadPart:
        doc = self._parts.get(org, part_id)
        if doc is None or doc["upload_id"] != upload_id:
            raise errors.upload_part_not_found(part_id, upload_id)
        return UploadPart(**doc)

    def _parts_of(self, org: str, upload_id: str) -> list[UploadPart]:
        return [UploadPart(**doc) for doc in self._parts.all(org) if doc["upload_id"] == upload_id]

    def _finish(self, upload: Upload, parts: Sequence[UploadPart]) -> None:
        """Save a terminal upload and delete its parts: they live only as long as the upload is pending."""
        with self._store.transaction() as tx:
            self._uploads.update(tx, upload.id, _doc(upload))
            for part in parts:
                self._parts.delete(tx, part.id)
                Store.forget_blob(tx, part.id)
        for part in parts:
            self._store.remove_blob(part.id)

    def _bytes_of(self, parts: Sequence[UploadPart]) -> Iterator[bytes]:
        for part in parts:
            yield from self._store.read_blob(part.id)

    def _md5(self, parts: Sequence[UploadPart]) -> str:
        digest = hashlib.md5(usedforsecurity=False)
        for chunk in self._bytes_of(parts):
            digest.update(chunk)
        return digest.hexdigest()


def _limited(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise errors.upload_part_too_large(limit)
        yield chunk


def _doc(upload: Upload) -> dict[str, Any]:
    return dataclasses.asdict(upload)


def _upload(doc: dict[str, Any]) -> Upload:
    return Upload(**{**doc, "status": UploadStatus(doc["status"])})
