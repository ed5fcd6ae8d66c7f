"""Locate the top-level resource folders (`schemas/`, `fixtures/`) in a checkout or an installed wheel, and the
cache folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder `name` ("schemas" or "fixtures").

    A checkout (and an editable install) keeps them beside the package; a built wheel carries copies inside the
    package at `mockai/_resources/<name>` (see `setup.py`), because wheels cannot install top-level data folders.
    """
    for candidate in (_PACKAGE_DIR.parent / name, _PACKAGE_DIR / "_resources" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mockai resource folder {name!r} is missing from this installation")


def default_cache_dir(environ: Mapping[str, str], data_dir: Path | None = None) -> Path | None:
    """Where fitted token models and verified rank tables are kept (`Settings.cache_dir`) unless told otherwise.

    With a data directory, its `cache/` folder, so one directory holds everything a deployment keeps; otherwise
    `$XDG_CACHE_HOME/mockai`, `~/.cache/mockai` by default (None, no disk cache, for a user without a home). The
    edges (CLI, pytest plugin) pass the environment.

    >>> default_cache_dir({"XDG_CACHE_HOME": "/var/cache"}).as_posix()
    '/var/cache/mockai'
    >>> default_cache_dir({}, Path("/srv/mockai")).as_posix()
    '/srv/mockai/cache'
    """
    if data_dir is not None:
        return data_dir / "cache"
    base = Path(environ.get("XDG_CACHE_HOME", ""))
    if base.is_absolute():  # the XDG spec says to ignore a relative path there
        return base / "mockai"
    try:
        return Path.home() / ".cache" / "mockai"
    except RuntimeError:
        return None
