"""Uploaded files: the `uploaded → processed | error` machine and `FileService` (upload, list, get, delete, content).

A file with an expiry (`expires_after`, or the 30 days every `batch` file gets) is gone once world time passes its
`expires_at`: out of lists, 404 on retrieve, its bytes deleted, as the real API deletes expired files.

Bytes stream straight to a blob in the store, so memory stays flat however large the upload. Fine-tuning files
are validated while they stream; the verdict is fixed at upload but only revealed when world time reaches the
end of processing, which is how the real API behaves (the status changes a moment after the upload returns).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mockai import errors
from mockai.state.clock import Clock
from mockai.state.ids import IdFactory
from mockai.state.jsonl import JsonlReport, JsonlValidator
from mockai.state.store import Store

FINE_TUNE_PURPOSE = "fine-tune"
RESULTS_PURPOSE = "fine-tune-results"
#: World seconds a file spends `uploaded`, plus a little per megabyte (the real API takes a few seconds).
PROCESSING_SECONDS = 2.0
PROCESSING_SECONDS_PER_MB = 0.05
#: Files of purpose `batch` expire after 30 days unless the upload says otherwise (the documented default).
BATCH_FILE_SECONDS = 30 * 24 * 3600


class FileStatus(StrEnum):
    UPLOADED = "uploaded"  # bytes stored; processing has not finished in world time yet
    PROCESSED = "processed"  # ready to use (fine-tuning accepts only these)
    ERROR = "error"  # processing found a problem; `status_details` says which line


FILE_TRANSITIONS: dict[FileStatus, frozenset[FileStatus]] = {
    FileStatus.UPLOADED: frozenset({FileStatus.PROCESSED, FileStatus.ERROR}),
    FileStatus.PROCESSED: frozenset(),
    FileStatus.ERROR: frozenset(),
}


@dataclass(frozen=True)
class FileObject:
    """One stored file as its owner sees it; `to_api()` is the JSON the API returns."""

    id: str
    org: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    ready_at: float  # world time at which processing ends
    verdict: str | None = None  # the processing error to reveal at `ready_at` (None: it will succeed)
    data_format: str | None = None  # fine-tuning files: "prompt-completion" or "chat"
    examples: int = 0
    status: FileStatus = FileStatus.UPLOADED
    status_details: str | None = None
    expires_at: int | None = None  # world time at which the file is deleted (None: kept until deleted)

    def to_api(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "id": self.id,
            "object": "file",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status.value,
            "status_details": self.status_details,
        }
        if self.expires_at is not None:
            shown["expires_at"] = self.expires_at
        return shown

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> FileObject:
        raw = json.loads(text)
        return cls(**{**raw, "status": FileStatus(raw["status"])})


def advance_file(file: FileObject, now: float) -> FileObject:
    """The file as it is at world time `now` (pure)."""
    if file.status is not FileStatus.UPLOADED or now < file.ready_at:
        return file
    if file.verdict is None:
        return dataclasses.replace(file, status=FileStatus.PROCESSED)
    return dataclasses.replace(file, status=FileStatus.ERROR, status_details=file.verdict)


class FileService:
    """Files per organization; another organization's files do not exist for you.

    >>> from mockai.state.clock import SimulatedClock
    >>> service = FileService(Store(), IdFactory(1), SimulatedClock(time_scale=0, start=0))
    >>> service.upload("org-a", "notes.txt", "assistants", [b"hello"]).bytes
    5
    """

    def __init__(
        self,
        store: Store,
        ids: IdFactory,
        clock: Clock,
        *,
        storage_limit_bytes: int = 1024**3,
    ) -> None:
        if storage_limit_bytes <= 0:
            raise ValueError(f"{storage_limit_bytes=} must be positive")
        self._store, self._ids, self._clock = store, ids, clock
        self.storage_limit_bytes = storage_limit_bytes

    def upload(
        self, org: str, filename: str, purpose: str, chunks: Iterable[bytes], *, expires_after: int | None = None
    ) -> FileObject:
        """Stream `chunks` to disk and record the file; over the organization's limit, nothing is kept.

        `expires_after` is seconds after creation (the `created_at` anchor); `batch` files default to 30 days."""
        file_id = self._ids.new("file")
        validator = JsonlValidator() if purpose == FINE_TUNE_PURPOSE else None
        budget = self.storage_limit_bytes - self.used_bytes(org)
        size = self._store.write_blob(file_id, self._metered(chunks, budget, org, validator))
        report = validator.report() if validator is not None else None
        now = self._clock.now()
        lifetime = expires_after if expires_after is not None else BATCH_FILE_SECONDS if purpose == "batch" else None
        file = FileObject(
            id=file_id,
            org=org,
            filename=filename,
            purpose=purpose,
            bytes=size,
            created_at=int(now),
            ready_at=now + PROCESSING_SECONDS + PROCESSING_SECONDS_PER_MB * size / 1e6,
            expires_at=None if lifetime is None else int(now) + lifetime,
            **_verdict_fields(report),
        )
        try:
            with self._store.transaction() as tx:
                # Parallel uploads each checked their budget alone; the committed total decides.
                if self._used(tx, org) + size > self.storage_limit_bytes:
                    raise errors.storage_limit_exceeded(self.storage_limit_bytes, self._used(tx, org))
                self.insert(tx, file)
        except BaseException:
            self._store.remove_blob(file_id)
            raise
        return file

    def create_generated(
        self, org: str, filename: str, purpose: str, data: bytes, *, expires_after: int | None = None
    ) -> FileObject:
        """A file mockai writes itself (a batch's output, say): stored and processed at once."""
        file_id = self._ids.new("file")
        size = self._store.write_blob(file_id, [data])
        now = int(self._clock.now())
        file = FileObject(
            id=file_id,
            org=org,
            filename=filename,
            purpose=purpose,
            bytes=size,
            created_at=now,
            ready_at=float(now),
            status=FileStatus.PROCESSED,
            expires_at=None if expires_after is None else now + expires_after,
        )
        with self._store.transaction() as tx:
            self.insert(tx, file)
        return file

    def insert(self, tx: sqlite3.Connection, file: FileObject) -> None:
        """Record `file`, whose blob (named by its id) is already written, inside the caller's transaction."""
        Store.register_blob(tx, file.id, file.bytes)
        tx.execute(
            "INSERT INTO files (id, org, doc, bytes, blob) VALUES (?, ?, ?, ?, ?)",
            (file.id, file.org, file.to_json(), file.bytes, file.id),
        )

    def list(self, org: str, purpose: str | None = None) -> list[FileObject]:
        """The organization's files, oldest first."""
        rows = self._store.query("SELECT doc FROM files WHERE org = ? ORDER BY seq", (org,))
        found = [self._current(FileObject.from_json(row["doc"])) for row in rows]
        return [f for f in found if f is not None and (purpose is None or f.purpose == purpose)]

    def get(self, org: str, file_id: str, *, param: str = "id") -> FileObject:
        rows = self._store.query("SELECT doc FROM files WHERE id = ? AND org = ?", (file_id, org))
        file = self._current(FileObject.from_json(rows[0]["doc"])) if rows else None
        if file is None:
            raise errors.file_not_found(file_id, param=param)
        return file

    def delete(self, org: str, file_id: str) -> FileObject:
        file = self.get(org, file_id)
        self._remove(file.id)
        return file

    def expire_due(self) -> None:
        """Delete every file whose expiry world time has passed (called when the clock is advanced)."""
        now = self._clock.now()
        for row in self._store.query("SELECT doc FROM files WHERE json_extract(doc, '$.expires_at') <= ?", (now,)):
            self._remove(FileObject.from_json(row["doc"]).id)

    def _remove(self, file_id: str) -> None:
        with self._store.transaction() as tx:
            tx.execute("DELETE FROM files WHERE id = ?", (file_id,))
            Store.forget_blob(tx, file_id)
        self._store.remove_blob(file_id)

    def content(self, org: str, file_id: str) -> tuple[FileObject, Iterator[bytes]]:
        """The file and an iterator over its exact bytes."""
        file = self.get(org, file_id)
        return file, self._store.read_blob(file.id)

    def used_bytes(self, org: str) -> int:
        return int(self._store.query("SELECT COALESCE(SUM(bytes), 0) FROM files WHERE org = ?", (org,))[0][0])

    def _current(self, file: FileObject) -> FileObject | None:
        """`file` at the present world time, saved if processing finished since it was last read; None (and the
        file deleted) once it has expired."""
        now = self._clock.now()
        if file.expired(now):
            self._remove(file.id)
            return None
        moved = advance_file(file, now)
        if moved is not file:
            with self._store.transaction() as tx:
                tx.execute("UPDATE files SET doc = ? WHERE id = ?", (moved.to_json(), moved.id))
        return moved

    @staticmethod
    def _used(tx: sqlite3.Connection, org: str) -> int:
        row = tx.execute("SELECT COALESCE(SUM(bytes), 0) FROM files WHERE org = ?", (org,)).fetchone()
        return int(row[0])

    def _metered(
        self, chunks: Iterable[bytes], budget: int, org: str, validator: JsonlValidator | None
    ) -> Iterator[bytes]:
        seen = 0
        for chunk in chunks:
            seen += len(chunk)
            if seen > budget:
                raise errors.storage_limit_exceeded(self.storage_limit_bytes, self.used_bytes(org))
            if validator is not None:
                validator.feed(chunk)
            yield chunk


def _verdict_fields(report: JsonlReport | None) -> dict[str, Any]:
    if report is None:
        return {}
    return {
        "verdict": report.error,
        "data_format": None if report.format is None else report.format.value,
        "examples": report.examples,
    }
