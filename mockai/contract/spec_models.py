"""List the model ids an OpenAPI spec names, enum by enum: `python -m mockai.contract.spec_models [SPEC] [--ids]`.

Structure only: an enum of model ids is one under a property called `model` (a request's `model`, a session's
`model`, at any depth of `anyOf`/`oneOf`/`items`), or the enum of a schema whose name says it holds models
(`ModelIdsShared`, `VideoModel`, `AssistantSupportedModels`). The catalog test (tests/state/test_catalog_vs_spec.py)
uses it to fail when the spec names a model `fixtures/models.json` lacks; moving to a new spec is: drop it into
`spec/`, run this, add the new ids to the catalog.

>>> spec = {"components": {"schemas": {"ChatModel": {"anyOf": [{"type": "string"}, {"enum": ["gpt-x", "gpt-y"]}]},
...     "Req": {"properties": {"model": {"enum": ["m-1"]}, "type": {"enum": ["label_model"]}}}}}}
>>> model_enums(spec)
{'components.schemas.ChatModel.anyOf.1': ('gpt-x', 'gpt-y'), 'components.schemas.Req.properties.model': ('m-1',)}
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Schema names that hold model ids (their own enum, not their properties').
_MODEL_SCHEMA = re.compile(r"\w*ModelIds\w*|\w+Model|\w+Models")
#: Keys that nest a schema in another without naming a property.
_WRAPPERS = frozenset({"anyOf", "oneOf", "allOf", "items"})
#: The spec this repository vendors (absent from an installed package).
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "spec" / "openapi.yaml"


def model_enums(spec: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each enum of model ids in the spec, keyed by its dotted location."""
    return {".".join(path): values for path, values in _enums(spec, ())}


def spec_model_ids(spec: Mapping[str, Any]) -> set[str]:
    """Every model id any enum of the spec names."""
    return {model_id for values in model_enums(spec).values() for model_id in values}


def load_spec(path: Path) -> dict[str, Any]:
    """The spec as data (the C loader: the official spec is about 3 MB)."""
    import yaml

    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return document


def _enums(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    if isinstance(node, Mapping):
        values = node.get("enum")
        if isinstance(values, list) and _holds_models(path):
            yield path, tuple(value for value in values if isinstance(value, str))
        for key, child in node.items():
            yield from _enums(child, (*path, str(key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _enums(child, (*path, str(index)))


def _holds_models(path: Sequence[str]) -> bool:
    """Whether an enum at `path` lists models: under a `model` property, or directly in a models schema."""
    bare = [part for part in path if part not in _WRAPPERS and not part.isdigit()]
    if len(bare) >= 2 and bare[-2:] == ["properties", "model"]:
        return True
    return len(bare) == 3 and bare[:2] == ["components", "schemas"] and bool(_MODEL_SCHEMA.fullmatch(bare[2]))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    ids_only = "--ids" in args
    paths = [arg for arg in args if arg != "--ids"]
    spec = load_spec(Path(paths[0]) if paths else DEFAULT_SPEC)
    if ids_only:
        print("\n".join(sorted(spec_model_ids(spec))))
        return 0
    for location, values in model_enums(spec).items():
        print(f"{location} ({len(values)}): {', '.join(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
