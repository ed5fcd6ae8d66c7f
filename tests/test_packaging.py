"""A built wheel carries `schemas/` and `fixtures/`, and `resource_dir` finds them in an installed layout."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out)]
    # setuptools builds in the checkout's build/ folder: xdist workers (each with its own module fixture) take turns.
    with (tmp_path_factory.getbasetemp().parent / "wheel-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([*command, str(ROOT)], check=True, capture_output=True)
    return next(out.glob("mockai-*.whl"))


def test_the_wheel_ships_every_schema_and_fixture(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("schemas", "fixtures"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert f"mockai/_resources/{path.relative_to(ROOT).as_posix()}" in names


def test_the_wheel_ships_the_journal_page(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    static = sorted(path.name for path in (ROOT / "mockai" / "api" / "static").iterdir())
    assert static == ["favicon.svg", "journal.css", "journal.html", "journal.js", "signin.html"]
    assert {f"mockai/api/static/{name}" for name in static} <= names


def test_the_wheel_registers_the_cli_and_the_pytest_plugin(wheel: Path) -> None:
    archive = zipfile.ZipFile(wheel)
    entry_points = archive.read(next(n for n in archive.namelist() if n.endswith("entry_points.txt"))).decode()
    assert "mockai = mockai.cli:main" in entry_points
    assert "[pytest11]" in entry_points and "mockai = mockai.pytest_plugin" in entry_points


def test_resource_dir_finds_the_installed_copies(wheel: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = "from mockai._paths import resource_dir; print(resource_dir('schemas')); print(resource_dir('fixtures'))"
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert found == [
        str(tmp_path / "mockai" / "_resources" / "schemas"),
        str(tmp_path / "mockai" / "_resources" / "fixtures"),
    ]
