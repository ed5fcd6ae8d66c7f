"""`python -m mockai.contract.sync`: regenerate `schemas/openai/` from the vendored specs in `spec/` and the overlay.

Run it after dropping in a new spec or editing `spec/overlay.yaml`, then review `git diff schemas/openai/`.
`--check` writes nothing and exits 1 when the committed files differ from what the specs give (the suite's
derivation test does the same). The specs are parsed here only, never when the server starts.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from mockai._paths import resource_dir
from mockai.contract.derive import SCHEMA_DIALECT, derive_spec
from mockai.contract.overlay import apply_patches, parse_overlay
from mockai.contract.registry import SCHEMA_BASE_URI

SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
OVERLAY_FILE = "overlay.yaml"


def output_dir() -> Path:
    return resource_dir("schemas") / "openai"


@functools.cache
def load_yaml(path: Path) -> Any:
    """A parsed YAML file, once per process: the 3 MB spec takes about two seconds even with libyaml."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=loader)


def derive_files(spec_dir: Path = SPEC_DIR) -> dict[str, str]:
    """Every file of `schemas/openai/`, by name, as the sync writes it."""
    overlay = parse_overlay(load_yaml(spec_dir / OVERLAY_FILE))
    files: dict[str, Any] = {}
    for spec_name in overlay.specs():
        spec = apply_patches(load_yaml(spec_dir / spec_name), overlay.patches(spec_name))
        components_file = Path(spec_name).stem.replace("openapi", "components") + ".json"
        kept = [operation for operation in overlay.operations if operation.spec == spec_name]
        extra = {"error": overlay.error_schema} if spec_name == "openapi.yaml" else None
        files.update(
            derive_spec(spec, kept, components_file, close_requests=overlay.refuse_unknown_parameters, documents=extra)
        )
    return {name: _render(name, document) for name, document in sorted(files.items())}


GENERATED = "Derived from spec/ by `python -m mockai.contract.sync`: change spec/overlay.yaml, never this file."


def _render(name: str, document: dict[str, Any]) -> str:
    framed = {"$schema": SCHEMA_DIALECT, "$id": f"{SCHEMA_BASE_URI}openai/{name}", "$comment": GENERATED, **document}
    return json.dumps(framed, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def differences(expected: dict[str, str], folder: Path) -> list[str]:
    """What differs between the derived files and the folder: one line per changed, missing or stale file."""
    present = {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.json"))}
    changed = [f"changed: {name}" for name in expected if name in present and present[name] != expected[name]]
    missing = [f"missing: {name}" for name in expected if name not in present]
    stale = [f"not derived from the spec: {name}" for name in present if name not in expected]
    return changed + missing + stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mockai.contract.sync", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if schemas/openai/ is stale")
    args = parser.parse_args(argv)
    expected = derive_files()
    folder = output_dir()
    found = differences(expected, folder)
    if args.check:
        print("\n".join(found) or f"{folder} is up to date with {SPEC_DIR}")
        return 1 if found else 0
    for name, text in expected.items():
        (folder / name).write_text(text, encoding="utf-8")
    for line in found:
        if line.startswith("not derived"):
            (folder / line.rsplit(" ", 1)[-1]).unlink()
    print(f"{len(expected)} files in {folder}; {len(found)} changed: review `git diff {folder}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
