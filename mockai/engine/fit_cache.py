"""A disk cache for what is fitted from shipped data (the corpus token models): fit once, then load in a fraction.

An entry is a pickle of the fitted object, filed under a key that digests everything the object is a function of:
the input files, the source of the code that fits and reads it (all of `mockai/engine/`), the Python version and
this module's `FORMAT`. Editing any of them fits again; there is no version constant to forget to bump. Encodings
inside the object are stored by name and come back through `get_encoding` (verified, shared by the process), so an
entry never carries, and is never trusted for, a rank table.

Several processes may share a cache directory and start at once (pytest-xdist workers), so:

- an entry is written to a temporary file in the same directory and renamed into place: readers see all of it or
  none of it;
- a lock file lets one process fit while the others wait and then load its entry (where `fcntl` exists; elsewhere
  each fits, and the renames still keep entries whole);
- an entry that is truncated, fails its checksum or no longer unpickles is fitted again and rewritten;
- a directory that cannot be created or written leaves the object fitted in memory, with a warning.

Entries are pickles: a cache directory must be as trusted as the installation itself.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import tiktoken

__all__ = ["FORMAT", "cached", "inputs_digest"]

FORMAT = 1  # the entry layout below; bump it only when `_store` writes something `_load` of old would misread
_MAGIC = b"mockai-fit-cache\n"
_DIGEST_SIZE = 32  # sha256 of the pickle, checked before unpickling

T = TypeVar("T")
logger = logging.getLogger("mockai.cache")


def inputs_digest(roots: Mapping[str, Path], *, salt: str = "") -> str:
    """A hex digest of every file under each root (by label and relative path), the Python version and `FORMAT`.

    Paths are hashed relative to their root, so two checkouts of the same code share entries.
    """
    digest = hashlib.sha256(f"{FORMAT}\0{sys.implementation.cache_tag}\0{salt}\0".encode())
    for label, root in sorted(roots.items()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cached(directory: Path | None, name: str, key: str, fit: Callable[[], T]) -> T:
    """The entry `name` for `key` in `directory`, or `fit()` stored there (with `directory` None, just `fit()`).

    `fit()` must return the same object for the same key, and never None.
    """
    if directory is None:
        return _fitted(fit)
    path = directory / f"{name}-{key[:32]}.pickle"
    found: T | None = _load(path, key)
    if found is not None:
        return found
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _exclusive(directory / f"{name}.lock"):
            found = _load(path, key)  # written by another process while this one waited
            if found is None:
                found = _fitted(fit)
                _store(path, key, found)
                _prune(directory, name, keep=path)
    except OSError as exc:
        logger.warning("cannot keep the fitted %s in %s (%s); fitting it in memory", name, directory, exc)
    return found if found is not None else _fitted(fit)


def _fitted(fit: Callable[[], T]) -> T:
    with _gc_paused():
        return fit()


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    # Loading or fitting a model builds many long-lived containers at once, and the collections they trigger only
    # walk them (and everything loaded before) again and again: a quarter of a model's load time. What was loaded
    # lives as long as the process, so it is then frozen: full collections stop walking it too.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


class _Pickler(pickle.Pickler):
    # reducer_override, unlike persistent_id, is skipped for plain ints, floats, strs, tuples and dicts: the bulk
    # of a fitted model, which would otherwise cost a Python call each.
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, tiktoken.Encoding):
            return _encoding, (obj.name,)
        return NotImplemented


def _encoding(name: str) -> tiktoken.Encoding:
    from mockai.engine.tokenizer import get_encoding  # the tokenizer keeps its ranks in this cache: import it late

    return get_encoding(name)


def _header(key: str) -> bytes:
    return _MAGIC + key.encode("ascii") + b"\n"


def _load(path: Path, key: str) -> Any:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read the cache entry %s (%s); fitting again", path, exc)
        return None
    header = _header(key)
    # A view, not a copy: an entry is megabytes, and this is every start's path.
    digest, payload = data[len(header) : len(header) + _DIGEST_SIZE], memoryview(data)[len(header) + _DIGEST_SIZE :]
    if not data.startswith(header) or hashlib.sha256(payload).digest() != digest:
        logger.warning("the cache entry %s is damaged; fitting again", path)
        return None
    try:
        with _gc_paused():
            return pickle.loads(payload)
    except Exception as exc:  # an intact entry that no longer loads is stale, whatever the reason: fit again
        logger.warning("the cache entry %s no longer loads (%r); fitting again", path, exc)
        return None


def _store(path: Path, key: str, fitted: object) -> None:
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(fitted)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        # A fitted object that cannot be pickled is a bug (tests/engine/test_fit_cache.py round-trips the corpus
        # models), but the server still serves it from memory.
        logger.warning("the fitted %s cannot be cached (%r)", path.name, exc)
        return
    payload = buffer.getvalue()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private, but an entry is fitted from shipped public data and a cache may be shared
        # (a container image's, prepared by root and read by its unprivileged user; a CI runner's).
        os.chmod(temporary, 0o644)
        with os.fdopen(handle, "wb") as file:
            file.write(_header(key) + hashlib.sha256(payload).digest() + payload)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _prune(directory: Path, name: str, *, keep: Path) -> None:
    """Remove the entries of `name` for other keys (older code or corpus): each is megabytes."""
    for stale in directory.glob(f"{name}-*.pickle"):
        if stale != keep:
            with contextlib.suppress(OSError):
                stale.unlink()


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    if sys.platform == "win32":
        yield
        return
    import fcntl

    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when a holder dies
        yield
