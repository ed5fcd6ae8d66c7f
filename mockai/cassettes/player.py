"""The cassette a server uses right now: which recording answers a request, and the recordings it adds.

A server has at most one cassette in use (set at start with `--cassette`, or per test through the admin API).
Recordings are appended when their response has ended, and the whole file is rewritten atomically each time, so the
file always holds whole interactions only, however many clients record at once.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from mockai import errors
from mockai.cassettes.matching import Closest, closest, find
from mockai.cassettes.model import Cassette, CassetteRequest, Interaction
from mockai.cassettes.redaction import compile_patterns
from mockai.cassettes.storage import CassetteError, cassette_path, dump, load, sweep_temporaries, write_atomic


class RecordMode(StrEnum):
    NONE = "none"  # replay only: a request with no recording gets a `cassette_miss` error
    NEW = "new"  # replay what is recorded, record what is missing (record on miss)
    ALL = "all"  # record everything again: every request goes upstream, and the file keeps this run's recordings


@dataclass(frozen=True)
class CassetteOptions:
    """How a cassette is used: its name (a path below the cassette folder), the record mode, match fields ignored
    on top of each recording's own, body patterns redacted on top of the cassette's own, and the replay speed."""

    name: str
    record: RecordMode = RecordMode.NONE
    ignore: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    replay_speed: float | None = None  # None: as fast as possible; 1.0: the recorded pace

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CassetteOptions:
        return cls(
            str(raw["name"]),
            RecordMode(raw.get("record", RecordMode.NONE)),
            tuple(raw.get("ignore", ())),
            tuple(raw.get("redact", ())),
            raw.get("replay_speed"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "record": self.record.value,
            "ignore": list(self.ignore),
            "redact": list(self.redact),
            "replay_speed": self.replay_speed,
        }


@dataclass(frozen=True)
class Hit:
    """A recording answers the request."""

    index: int
    interaction: Interaction


@dataclass(frozen=True)
class Miss:
    """No recording answers it (in `all` mode, none ever does); `closest` is the nearest one, if any."""

    closest: Closest | None


@dataclass
class LoadedCassette:
    """One cassette in use: its file, its recordings, which have been played, and the writes in flight."""

    path: Path
    options: CassetteOptions
    cassette: Cassette
    existed: bool
    played: set[int] = field(default_factory=set)
    _version: int = 0
    _written: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def redact(self) -> tuple[str, ...]:
        """The body patterns in force: the cassette's own, then the ones this use adds."""
        return tuple(dict.fromkeys((*self.cassette.redact, *self.options.redact)))

    def lookup(self, request: CassetteRequest) -> Hit | Miss:
        """The recording for `request` (marked played), or the miss with the closest recording."""
        if self.options.record is RecordMode.ALL:
            return Miss(None)
        recordings = self.cassette.interactions
        index = find(recordings, request, played=self.played, extra_ignore=self.options.ignore)
        if index is None:
            return Miss(closest(recordings, request, played=self.played, extra_ignore=self.options.ignore))
        self.played.add(index)
        return Hit(index, recordings[index])

    def describe_miss(self, miss: Miss) -> str:
        if miss.closest is not None:
            return miss.closest.describe()
        return errors.cassette_empty(str(self.path), exists=self.existed)

    async def record(self, interaction: Interaction) -> int:
        """Append `interaction` (already played) and write the file; returns its index once it is on disk."""
        self.cassette.interactions.append(interaction)
        index = len(self.cassette.interactions) - 1
        self.played.add(index)
        self._version += 1
        snapshot = Cassette(list(self.cassette.interactions), self.redact)
        await asyncio.to_thread(self._save, snapshot, self._version)
        return index

    def _save(self, snapshot: Cassette, version: int) -> None:
        with self._lock:
            if version <= self._written:
                return  # a newer snapshot, which holds this recording too, is on disk already
            write_atomic(self.path, dump(snapshot))
            self._written = version
            self.existed = True

    def to_json(self) -> dict[str, Any]:
        return {
            **self.options.to_json(),
            "path": str(self.path),
            "interactions": len(self.cassette.interactions),
            "played": len(self.played),
        }


class CassettePlayer:
    """The cassettes of one server: the folder they live in, and the one in use (if any)."""

    def __init__(
        self,
        root: Path,
        validator: Draft202012Validator,
        *,
        can_record: bool,
        start: CassetteOptions | None = None,
        ignore: tuple[str, ...] = (),
        redact: tuple[str, ...] = (),
        replay_speed: float | None = None,
    ) -> None:
        """`start`: in use from the start and after each reset; `ignore`, `redact` and `replay_speed` hold for every
        cassette (a use adds its own ignored fields and patterns, and may choose its own speed)."""
        self.root = root
        self._validator = validator
        self._can_record = can_record
        self._start = start
        self._ignore = ignore
        self._redact = redact
        self._replay_speed = replay_speed
        self.active: LoadedCassette | None = None

    def use(self, options: CassetteOptions) -> LoadedCassette:
        """Put the cassette `options.name` in use (raises `CassetteError` naming the problem and the file)."""
        if options.record is not RecordMode.NONE and not self._can_record:
            raise CassetteError(errors.record_needs_upstream(options.record.value))
        options = CassetteOptions(
            options.name,
            options.record,
            tuple(dict.fromkeys((*self._ignore, *options.ignore))),
            tuple(dict.fromkeys((*self._redact, *options.redact))),
            options.replay_speed if options.replay_speed is not None else self._replay_speed,
        )
        _check_patterns(options.redact)
        path = cassette_path(self.root, options.name)
        sweep_temporaries(path)
        existed = path.is_file()
        # `all` records everything again: what the file held is neither replayed nor kept.
        fresh = options.record is RecordMode.ALL or not existed
        cassette = Cassette() if fresh else load(path, self._validator)
        _check_patterns(cassette.redact)
        self.active = LoadedCassette(path, options, cassette, existed)
        return self.active

    def eject(self) -> None:
        self.active = None

    def reset(self) -> None:
        """Back to how the server started: the `--cassette` one in use again (played from the start), or none."""
        self.active = None
        if self._start is not None:
            self.use(self._start)


def _check_patterns(patterns: tuple[str, ...]) -> None:
    try:
        compile_patterns(patterns)
    except ValueError as exc:
        raise CassetteError(str(exc)) from None


__all__ = ["CassetteError", "CassetteOptions", "CassettePlayer", "Hit", "LoadedCassette", "Miss", "RecordMode"]
