"""Files: streamed uploads, per-organization visibility, the processing machine on the clock, limits."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mockai import errors
from mockai.state.clock import SimulatedClock
from mockai.state.files import (
    FILE_TRANSITIONS,
    PROCESSING_SECONDS,
    FileObject,
    FileService,
    FileStatus,
    advance_file,
)
from mockai.state.ids import IdFactory
from mockai.state.store import Store

from .conftest import legacy_lines


def test_upload_keeps_bytes_and_the_filename_as_given(files: FileService) -> None:
    file = files.upload("org-a", "../../etc/passwd", "assistants", [b"he", b"llo"])
    assert file.filename == "../../etc/passwd"
    assert file.bytes == 5 and file.status is FileStatus.UPLOADED
    got, chunks = files.content("org-a", file.id)
    assert got == file and b"".join(chunks) == b"hello"


def test_files_move_to_processed_on_the_clock_and_stay_there(files: FileService, clock: SimulatedClock) -> None:
    file = files.upload("org-a", "a.txt", "assistants", [b"x"])
    clock.advance(PROCESSING_SECONDS / 2)
    assert files.get("org-a", file.id).status is FileStatus.UPLOADED
    clock.advance(PROCESSING_SECONDS)
    assert files.get("org-a", file.id).status is FileStatus.PROCESSED
    assert files.list("org-a")[0].to_api()["status"] == "processed"


def test_a_bad_training_file_ends_in_error_naming_the_line(files: FileService, clock: SimulatedClock) -> None:
    file = files.upload("org-a", "t.jsonl", "fine-tune", [legacy_lines(2) + b'{"prompt": "x"}\n'])
    assert file.status is FileStatus.UPLOADED
    clock.advance(60)
    seen = files.get("org-a", file.id)
    assert seen.status is FileStatus.ERROR
    assert seen.status_details is not None and "line 3" in seen.status_details


def test_advance_file_only_follows_transitions() -> None:
    file = FileObject("file-x", "o", "f", "fine-tune", 1, 0, ready_at=10.0, verdict="bad")
    assert advance_file(file, 9.9) is file
    moved = advance_file(file, 10.0)
    assert moved.status in FILE_TRANSITIONS[file.status]
    assert advance_file(moved, 1e9) is moved


def test_other_organizations_never_see_a_file(files: FileService) -> None:
    file = files.upload("org-a", "a.txt", "assistants", [b"x"])
    assert files.list("org-b") == []
    for call in (files.get, files.delete, files.content):
        with pytest.raises(errors.OpenAIError) as caught:
            call("org-b", file.id)
        assert caught.value.status == 404 and file.id in caught.value.message


def test_list_filters_by_purpose_and_keeps_upload_order(files: FileService) -> None:
    a = files.upload("org-a", "a", "assistants", [b"1"])
    b = files.upload("org-a", "b", "fine-tune", [legacy_lines()])
    c = files.upload("org-a", "c", "assistants", [b"3"])
    assert [f.id for f in files.list("org-a")] == [a.id, b.id, c.id]
    assert [f.id for f in files.list("org-a", purpose="assistants")] == [a.id, c.id]


def test_delete_removes_row_and_blob(files: FileService, store: Store) -> None:
    file = files.upload("org-a", "a", "assistants", [b"1"])
    assert files.delete("org-a", file.id).id == file.id
    assert files.list("org-a") == []
    assert list(store.blob_dir.iterdir()) == []


def test_the_storage_limit_is_per_organization(store: Store, clock: SimulatedClock) -> None:
    files = FileService(store, IdFactory(3), clock, storage_limit_bytes=10)
    files.upload("org-a", "a", "assistants", [b"123456"])
    with pytest.raises(errors.OpenAIError) as caught:
        files.upload("org-a", "b", "assistants", [b"12345"])
    assert caught.value.code == "storage_limit_exceeded"
    assert files.upload("org-b", "b", "assistants", [b"12345"]).bytes == 5
    assert len(files.list("org-a")) == 1 and len(list(store.blob_dir.iterdir())) == 2


def test_fifty_parallel_uploads_give_fifty_distinct_files(files: FileService) -> None:
    def upload(i: int) -> str:
        return files.upload("org-a", f"f{i}", "assistants", [str(i).encode()] * 100).id

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(upload, range(50)))
    assert len(set(ids)) == 50
    stored = {f.id: f for f in files.list("org-a")}
    assert set(stored) == set(ids)
    for i, file_id in enumerate(ids):
        assert b"".join(files.content("org-a", file_id)[1]) == str(i).encode() * 100


def test_limit_must_be_positive(store: Store, clock: SimulatedClock) -> None:
    with pytest.raises(ValueError, match="storage_limit_bytes=0"):
        FileService(store, IdFactory(0), clock, storage_limit_bytes=0)
