"""The import rule, enforced: data flows one way and the engine never touches HTTP.

api → control/dialogue/state/cassettes/contract.registry → engine/errors. The engine imports no HTTP framework, no
state and no API; state, control, dialogue and cassettes import no Starlette; the contract runner can check any
server, so it never imports the API layer. Only the generation core (`engine/reply.py`) decides what a model says:
the API layer translates requests into its input and renders its output, so it never calls tool planning, JSON-mode
shaping or the edit corrector itself (checking a request's schemas before the core runs is validation, and allowed).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mockai"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "engine": ("starlette", "httpx", "uvicorn", "mockai.api", "mockai.state", "mockai.control", "mockai.contract"),
    "api": ("mockai.engine.tool_calls", "mockai.engine.json_mode", "mockai.engine.edit"),
    "state": ("starlette", "uvicorn", "mockai.api"),
    "control": ("starlette", "uvicorn", "mockai.api"),
    "dialogue": ("starlette", "uvicorn", "mockai.api"),
    # Cassettes know files, bodies and httpx; the HTTP side of replay and recording is api/cassettes.py.
    "cassettes": ("starlette", "uvicorn", "mockai.api", "mockai.state", "mockai.engine", "mockai.dialogue"),
    "errors.py": ("starlette", "uvicorn", "mockai.api"),
    "strict_json.py": ("starlette", "uvicorn", "mockai.api", "mockai.state", "mockai.control", "mockai.engine"),
    "lru.py": ("starlette", "uvicorn", "mockai.api", "mockai.state", "mockai.control", "mockai.engine"),
    "contract/runner.py": ("mockai.api", "mockai.state", "mockai.engine"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _files(area: str) -> list[Path]:
    target = PACKAGE / area
    return sorted(target.rglob("*.py")) if target.is_dir() else [target] if target.exists() else []


@pytest.mark.parametrize("area", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(area: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in _files(area)
        for name in _imports(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[area])
    ]
    assert offenders == []


def test_only_the_api_layer_imports_starlette() -> None:
    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "api" not in path.relative_to(PACKAGE).parts[:1]
        and path.name not in ("server.py",)
        and any(name.startswith("starlette") for name in _imports(path))
    ]
    assert outside == []
