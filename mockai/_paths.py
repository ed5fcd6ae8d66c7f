"""Locate the top-level resource folders (`schemas/`, `fixtures/`) in a checkout or an installed wheel."""

from __future__ import annotations

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
