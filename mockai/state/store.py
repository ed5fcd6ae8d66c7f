"""Durable world state: one sqlite3 database plus a directory of blobs, written so a crash never shows half a file.

Without a data directory the store lives in a fresh temporary directory removed at `close()`. With one, it is
durable: WAL journal, one transaction per state change, and blobs written to a temporary name, fsynced, renamed
and the directory fsynced *before* the row that names them is committed. At open, temporary blobs and blobs no
row names (a crash between rename and commit) are swept away, so a `kill -9` at any moment leaves either the
whole upload or nothing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
_TEMP_SUFFIX = ".part"
_CHUNK = 1024 * 1024

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE blobs (name TEXT PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, org TEXT NOT NULL, doc TEXT NOT NULL,
    bytes INTEGER NOT NULL, blob TEXT NOT NULL REFERENCES blobs(name)
);
CREATE INDEX files_org ON files(org);
CREATE TABLE jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, org TEXT NOT NULL, api TEXT NOT NULL,
    terminal INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX jobs_org ON jobs(org);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, job_id TEXT NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX events_job ON events(job_id);
CREATE TABLE models (
    id TEXT PRIMARY KEY, org TEXT NOT NULL, job_id TEXT NOT NULL, doc TEXT NOT NULL, deleted INTEGER NOT NULL
);
"""


class Store:
    """sqlite3 rows and on-disk blobs behind one lock.

    >>> store = Store()
    >>> with store.transaction() as tx:
    ...     _ = tx.execute("INSERT INTO meta VALUES ('k', 'v')")
    >>> store.query("SELECT value FROM meta WHERE key = 'k'")[0]["value"]
    'v'
    >>> store.close()
    """

    def __init__(self, data_dir: Path | None = None) -> None:
        self.durable = data_dir is not None
        self.root = Path(tempfile.mkdtemp(prefix="mockai-")) if data_dir is None else Path(data_dir)
        self.blob_dir = self.root / "blobs"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        # Handlers, tests and the pytest plugin may reach the store from several threads; the lock serialises them.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.root / "mockai.sqlite3", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._configure()
        self._migrate()
        self.epoch = self._count_opening()
        self._sweep_blobs()

    # -- rows -----------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One state change: everything inside commits together or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def read_meta(self, key: str) -> str | None:
        """A value the store keeps about itself (its opening count, the world clock's mark), or None."""
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def write_meta(self, key: str, value: str) -> None:
        with self.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # -- blobs ----------------------------------------------------------------------------------------------------

    def write_blob(self, name: str, chunks: Iterable[bytes]) -> int:
        """Write `chunks` under `name` atomically and return the size; the caller then commits a row naming it.

        A failing iterator (a limit exceeded, a client gone) leaves nothing behind.
        """
        final = self.blob_path(name)
        temp = final.with_name(final.name + _TEMP_SUFFIX)
        size = 0
        try:
            with open(temp, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
                self._sync(out.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        os.replace(temp, final)
        self._sync_dir()
        return size

    @staticmethod
    def register_blob(tx: sqlite3.Connection, name: str, size: int) -> None:
        """Record a written blob inside the transaction that commits the row naming it."""
        tx.execute("INSERT INTO blobs VALUES (?, ?)", (name, size))

    @staticmethod
    def forget_blob(tx: sqlite3.Connection, name: str) -> None:
        tx.execute("DELETE FROM blobs WHERE name = ?", (name,))

    def copy_blob(self, source: str, name: str) -> int:
        """A private copy of blob `source` under `name` (so deleting one never breaks the other)."""
        with open(self.blob_path(source), "rb") as handle:
            return self.write_blob(name, iter(lambda: handle.read(_CHUNK), b""))

    def blob_path(self, name: str) -> Path:
        if not name or "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"{name=} is not a plain blob name")
        return self.blob_dir / name

    def read_blob(self, name: str) -> Iterator[bytes]:
        with open(self.blob_path(name), "rb") as handle:
            yield from iter(lambda: handle.read(_CHUNK), b"")

    def remove_blob(self, name: str) -> None:
        """Remove a blob whose row is already gone (if we crash first, the sweep at open removes it)."""
        self.blob_path(name).unlink(missing_ok=True)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every row and blob (between tests); the schema and the opening count stay."""
        with self.transaction() as tx:
            for table in ("files", "jobs", "events", "models", "blobs"):
                tx.execute(f"DELETE FROM {table}")
        for path in self.blob_dir.iterdir():
            path.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            self._db.close()
        if not self.durable:
            shutil.rmtree(self.root, ignore_errors=True)

    def _configure(self) -> None:
        if self.durable:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        else:
            # Throw-away state: skip the fsyncs that only a durable store needs.
            self._db.execute("PRAGMA journal_mode=MEMORY")
            self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA foreign_keys=ON")

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"{self.root} holds schema version {version}; this mockai knows up to {SCHEMA_VERSION}")
        if version == 0:
            with self.transaction() as tx:
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    tx.execute(statement)
                tx.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _count_opening(self) -> int:
        with self.transaction() as tx:
            row = tx.execute("SELECT value FROM meta WHERE key = 'openings'").fetchone()
            epoch = 0 if row is None else int(row["value"]) + 1
            tx.execute("INSERT OR REPLACE INTO meta VALUES ('openings', ?)", (str(epoch),))
        return epoch

    def _sweep_blobs(self) -> None:
        known = {row["name"] for row in self.query("SELECT name FROM blobs")}
        for path in self.blob_dir.iterdir():
            if path.name not in known:
                path.unlink(missing_ok=True)

    def _sync(self, fd: int) -> None:
        if self.durable:
            os.fsync(fd)

    def _sync_dir(self) -> None:
        if self.durable:
            fd = os.open(self.blob_dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
