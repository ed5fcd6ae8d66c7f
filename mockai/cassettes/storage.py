"""Cassette files: one pretty-printed JSON file each, read with errors that point at a line and column, and written
atomically (a temporary file, fsync, rename), so a crash or `kill -9` never leaves half a cassette behind.

>>> cassette_path(Path("cassettes"), "chat/streaming").as_posix()
'cassettes/chat/streaming.json'
>>> position("{\\n  \\"a\\": [1, 2]\\n}", ["a", 1])
(2, 12)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator

from mockai import errors
from mockai.cassettes.model import Cassette

SUFFIX = ".json"
_FLAT_LIST_WIDTH = 100  # a list of plain values this short fits on one line
_BLANK = re.compile(r"[ \t\n\r]*")


class CassetteError(ValueError):
    """A cassette that cannot be used: unreadable, invalid (the message names the file and the position), or
    named outside the cassette folder."""


def cassette_path(root: Path, name: str) -> Path:
    """Where the cassette `name` lives below `root`; names are relative paths and never leave `root`."""
    pure = PurePosixPath(name.removesuffix(SUFFIX))
    if not name or "\\" in name or pure.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        raise CassetteError(errors.cassette_name_invalid(name))
    return root.joinpath(*pure.parts[:-1], pure.parts[-1] + SUFFIX)


def load(path: Path, validator: Draft202012Validator) -> Cassette:
    """The cassette in `path`, checked against `schemas/mockai/cassette.json`."""
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CassetteError(errors.cassette_unreadable(str(path), exc.msg, exc.lineno, exc.colno)) from None
    problems = sorted(validator.iter_errors(document), key=lambda problem: list(map(str, problem.absolute_path)))
    if problems:
        where = list(problems[0].absolute_path)
        line, column = position(text, where)
        raise CassetteError(errors.cassette_invalid(str(path), _dotted(where), line, column, problems[0].message))
    return Cassette.from_json(document)


def dump(cassette: Cassette) -> str:
    """The file's text: two-space indentation, keys in the model's order, UTF-8 kept readable, short lists of plain
    values on one line, a final newline.

    >>> print(dump(Cassette()), end="")
    {
      "mockai_cassette": 1,
      "redact": [],
      "interactions": []
    }
    """
    return _pretty(cassette.to_json(), "") + "\n"


def _pretty(value: Any, indent: str, *, flat_items: bool = False) -> str:
    inner = indent + "  "
    if isinstance(value, dict) and value:
        members = [
            f"{inner}{json.dumps(key, ensure_ascii=False)}: {_pretty(item, inner, flat_items=key == 'events')}"
            for key, item in value.items()
        ]
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    if isinstance(value, list) and value:
        flat = _flat(value)
        if len(flat) <= _FLAT_LIST_WIDTH and not any(isinstance(item, dict | list) for item in value):
            return flat
        # A stream's events one per line: a re-recorded stream diffs event by event.
        items = [_flat(item) if flat_items else _pretty(item, inner) for item in value]
        return "[\n" + ",\n".join(f"{inner}{item}" for item in items) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False)


def _flat(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` all at once: readers see the old file or the new one, never a mixture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def sweep_temporaries(path: Path) -> list[Path]:
    """Remove what an interrupted write of `path` left (its temporary files); returns what was removed."""
    if not path.parent.is_dir():
        return []
    stale = sorted(path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"))
    for leftover in stale:
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    return stale


def _glob_escape(name: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", name)


def position(text: str, path: Sequence[str | int]) -> tuple[int, int]:
    """The line and column (1-based) where the value at `path` starts in the JSON `text`."""
    offset = _offset(text, path)
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def _offset(text: str, path: Sequence[str | int]) -> int:
    decoder = json.JSONDecoder()
    index = _skip(text, 0)
    for part in path:
        opener = text[index : index + 1]
        if opener not in ("{", "["):
            return index
        index = _skip(text, index + 1)
        count = 0
        while text[index : index + 1] not in ("}", "]", ""):
            if opener == "{":
                key, index = decoder.raw_decode(text, index)
                index = _skip(text, _skip(text, index) + 1)  # past the colon
                found = key == str(part)
            else:
                found = count == part
            if found:
                break
            _, index = decoder.raw_decode(text, index)
            index = _skip(text, index)
            index = _skip(text, index + 1) if text[index : index + 1] == "," else index
            count += 1
    return index


def _skip(text: str, index: int) -> int:
    match = _BLANK.match(text, index)
    return match.end() if match else index


def _dotted(path: Sequence[Any]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
    return text or "(the document)"


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); platforms that cannot open a directory skip it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
