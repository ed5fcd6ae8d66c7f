"""Catalog documents: the built-in `fixtures/models.json` and the entries of a `--models FILE`, resolved to models.

The built-in document keeps the curated facts per family (`families`) and lists each model with its family and
what differs from it; a `--models FILE` entry adds a model (from scratch, or `like` one in the catalog) or changes
fields of one already there. Both are plain JSON at start-up: the spec itself is never parsed at run time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mockai.state.catalog import ModelInfo
from mockai.state.model_inference import InferenceRules

#: Fields a catalog document may not set: they describe fine-tuned or inferred models only.
_DERIVED = frozenset({"parent", "owner_org", "inferred"})


def read_catalog(path: Path, extra: Iterable[Mapping[str, Any]] = ()) -> tuple[list[ModelInfo], InferenceRules]:
    """The models of a catalog document with `extra` entries applied in order, and its inference rules."""
    document = json.loads(path.read_text(encoding="utf-8"))
    flat = resolve_families(document)
    for entry in extra:
        apply_entry(flat, entry)
    models = [ModelInfo.from_json(raw) for raw in flat.values()]
    return models, InferenceRules.from_json(document["inference"], known={model.id for model in models})


def resolve_families(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each listed model as flat fields: its family's facts, then its own (comments dropped)."""
    families: Mapping[str, Mapping[str, Any]] = document["families"]
    flat: dict[str, dict[str, Any]] = {}
    for entry in document["models"]:
        if entry["family"] not in families:
            raise ValueError(f"model {entry['id']!r} names the unknown family {entry['family']!r}")
        flat[entry["id"]] = {**_fields(families[entry["family"]]), **_fields(entry)}
    return flat


def apply_entry(flat: dict[str, dict[str, Any]], entry: Mapping[str, Any]) -> None:
    """Add or change one model: a known id takes the given fields; a new one copies `like` or stands alone."""
    fields = _fields(entry)
    model_id, like = fields["id"], fields.pop("like", None)
    if _DERIVED & fields.keys():
        raise ValueError(f"model {model_id!r}: {sorted(_DERIVED & fields.keys())} cannot be set in a catalog file")
    if like is not None:
        if like not in flat:
            raise ValueError(f"model {model_id!r}: 'like' names {like!r}, which is not in the catalog")
        # A copy is a new model: it answers with the modern object and is no fine-tuning base unless it says so.
        base = {**flat[like], "legacy_object": False, "fine_tune": None}
    elif model_id in flat:
        base = flat[model_id]
    elif "endpoints" not in fields:
        raise ValueError(f"model {model_id!r} is not in the catalog: give its 'endpoints', or a 'like' model to copy")
    else:
        base = {"created": 0, "owned_by": "system"}
    flat[model_id] = {**base, **fields}


def read_model_file(path: Path) -> list[dict[str, Any]]:
    """The entries of a `--models` file: YAML or JSON (YAML reads both), a list or `{"models": [...]}`."""
    import yaml  # only when a file is given: start-up without one stays free of YAML

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("models") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ValueError(f"{path}: expected a list of models or an object with a 'models' list")
    return entries


def _fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if not key.startswith("$")}
