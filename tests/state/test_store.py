"""The store commits all or nothing, writes blobs atomically, survives restarts and a `kill -9` mid-upload."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockai.state.store import SCHEMA_VERSION, Store


def test_a_failed_transaction_leaves_no_trace(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute("INSERT INTO meta VALUES ('x', '1')")
        raise RuntimeError("boom")
    assert store.query("SELECT * FROM meta WHERE key = 'x'") == []


def test_blobs_are_written_whole_and_read_back_exactly(store: Store) -> None:
    size = store.write_blob("b1", [b"abc", b"", b"def"])
    assert size == 6
    assert b"".join(store.read_blob("b1")) == b"abcdef"


def test_a_failing_stream_leaves_no_blob(store: Store) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"partial"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.write_blob("b2", chunks())
    assert list(store.blob_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden"])
def test_blob_names_are_never_paths(store: Store, name: str) -> None:
    with pytest.raises(ValueError, match="plain blob name"):
        store.blob_path(name)


def test_a_temporary_store_disappears_at_close() -> None:
    store = Store()
    root = store.root
    store.close()
    assert not root.exists()


def test_a_data_dir_survives_a_restart_and_sweeps_orphans(tmp_path: Path) -> None:
    store = Store(tmp_path)
    size = store.write_blob("kept", [b"data"])
    with store.transaction() as tx:
        Store.register_blob(tx, "kept", size)
    store.write_blob("orphan", [b"renamed but never committed"])
    (store.blob_dir / "half.part").write_bytes(b"half")
    store.close()

    reopened = Store(tmp_path)
    assert sorted(p.name for p in reopened.blob_dir.iterdir()) == ["kept"]
    assert reopened.epoch == 1
    assert reopened.query("PRAGMA user_version")[0][0] == SCHEMA_VERSION
    reopened.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    import sqlite3

    with sqlite3.connect(tmp_path / "mockai.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="schema version"):
        Store(tmp_path)


UPLOADER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mockai.state.clock import SimulatedClock
    from mockai.state.files import FileService
    from mockai.state.ids import IdFactory
    from mockai.state.store import Store

    store = Store(Path(sys.argv[1]))
    files = FileService(store, IdFactory(0, epoch=store.epoch), SimulatedClock(time_scale=0, start=0))
    files.upload("org-a", "done.bin", "assistants", [b"x" * 1000])

    def endless():
        yield b"y" * 65536
        # Asked for more: the first chunk (bigger than the write buffer) is already in the temporary blob.
        print("streaming", flush=True)
        while True:
            yield b"y" * 65536

    files.upload("org-a", "killed.bin", "assistants", endless())
    """
)


def test_kill_9_during_an_upload_never_leaves_half_a_file(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.stdout is not None
    with child.stdout:
        assert child.stdout.readline().strip() == "streaming"
    assert any(p.stat().st_size > 0 for p in (tmp_path / "blobs").glob("*.part"))
    child.send_signal(signal.SIGKILL)
    child.wait()

    store = Store(tmp_path)
    rows = store.query("SELECT id, bytes FROM files")
    assert [row["bytes"] for row in rows] == [1000]
    assert [p.name for p in store.blob_dir.iterdir()] == [rows[0]["id"]]
    store.close()


def test_changed_says_whether_anything_was_written_since_the_last_reset(store: Store) -> None:
    store.reset()
    assert not store.changed
    store.query("SELECT * FROM meta")
    assert not store.changed  # reading writes nothing
    store.write_blob("b3", [b"x"])
    assert store.changed
    store.reset()
    with store.transaction() as tx:
        tx.execute("INSERT INTO meta VALUES ('y', '1')")
    assert store.changed
