"""Finished generations kept and played back: a run is a pure function of its inputs, so it is sampled once.

mockai is deterministic: the same model, prompt, knobs, seed and choice index always sample the same tokens. A
bounded cache of finished runs lets repeated requests (a test suite's bread and butter) skip the sampling loop, while
streams and bodies still see the very same `TokenStep`s.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockai.lru import LruMap

if TYPE_CHECKING:  # the cache only holds runs: importing the generator (and tiktoken) waits for the first reply
    from mockai.engine.generate import GenerationRun, TokenStep


@dataclass(frozen=True)
class Recording:
    """Everything a finished run produced."""

    steps: tuple[TokenStep, ...]
    text: str
    finish_reason: str | None
    completion_tokens: int


class ReplayRun:
    """A recording played back with the interface of a `GenerationRun` (already finished)."""

    def __init__(self, recording: Recording) -> None:
        self._recording = recording
        self.text = recording.text
        self.finish_reason = recording.finish_reason
        self.completion_tokens = recording.completion_tokens

    def __iter__(self) -> Iterator[TokenStep]:
        return iter(self._recording.steps)


class RecordingRun:
    """A live run that hands its recording to `on_done` once iterated to the end (an abandoned stream records
    nothing, so only complete runs are ever replayed)."""

    def __init__(self, run: GenerationRun, on_done: Callable[[Recording], None]) -> None:
        self._run = run
        self._on_done = on_done

    @property
    def text(self) -> str:
        return self._run.text

    @property
    def finish_reason(self) -> str | None:
        return self._run.finish_reason

    @property
    def completion_tokens(self) -> int:
        return self._run.completion_tokens

    def __iter__(self) -> Iterator[TokenStep]:
        steps = []
        for step in self._run:
            steps.append(step)
            yield step
        run = self._run
        self._on_done(Recording(tuple(steps), run.text, run.finish_reason, run.completion_tokens))


class ReplayCache(LruMap[Hashable, Recording]):
    """The recordings of finished runs, keyed by everything a run depends on (bounded, thread-safe).

    >>> cache = ReplayCache(capacity=1)
    >>> cache.put("a", Recording((), "hi", "stop", 1)); cache.get("a").text
    'hi'
    """

    def __init__(self, capacity: int = 4096) -> None:
        super().__init__(capacity)
