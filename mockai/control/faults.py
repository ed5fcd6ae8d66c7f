"""Injected faults: a closed `Fault` enum and the `FaultPlan` that decides which faults hit a request.

Status faults answer with an error before any rule or the engine runs; stream faults are applied by the SSE writer;
latency and pacing are real delays (the only real sleeping mockai does) so client timeouts can be tested. Every
random choice (a fault rate, latency jitter) comes from the fault's own `random.Random(seed)`, so a run of requests
in the same order meets the same faults.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mockai.control.matching import Pattern, RequestView


class Fault(StrEnum):
    STATUS = "status"  # answer with an error status (429/500/502/503/...) instead of the real response
    DROP_STREAM = "drop_stream"  # close the connection after `after_chunks` stream chunks, with no [DONE]
    MALFORMED_CHUNK = "malformed_chunk"  # send stream chunk number `at` (1-based) as broken JSON
    LATENCY = "latency"  # wait `seconds` (± `jitter`) before answering
    PACE = "pace"  # stream pacing: `ttft` before the first chunk, then `tokens_per_second`


STREAM_FAULTS = frozenset({Fault.DROP_STREAM, Fault.MALFORMED_CHUNK, Fault.PACE})


@dataclass
class FaultRule:
    """One configured fault: which requests it hits, how often, and its parameters."""

    id: str
    kind: Fault
    match: Pattern
    times: int | None = None  # None: every matching request (subject to `rate`)
    rate: float | None = None  # hit a matching request with this probability
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    hit_count: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, fault_id: str) -> FaultRule:
        known = {"id", "kind", "match", "times", "rate", "seed"}
        seed = int(raw.get("seed", 0))
        return cls(
            id=str(raw.get("id") or fault_id),
            kind=Fault(raw["kind"]),
            match=Pattern.from_json(raw.get("match")),
            times=raw.get("times"),
            rate=raw.get("rate"),
            seed=seed,
            params={key: value for key, value in raw.items() if key not in known},
            _rng=random.Random(seed),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "match": self.match.to_json(),
            "times": self.times,
            "rate": self.rate,
            "seed": self.seed,
            **self.params,
            "hit_count": self.hit_count,
        }

    def strikes(self, request: RequestView) -> bool:
        """Whether this fault hits `request` (counting the hit); draws from the fault's own seeded stream."""
        if self.times is not None and self.hit_count >= self.times:
            return False
        if self.kind in STREAM_FAULTS and not _streams(request):
            return False
        if not self.match.matches(request):
            return False
        if self.rate is not None and self._rng.random() >= self.rate:
            return False
        self.hit_count += 1
        return True

    def delay(self) -> float:
        """The latency of one hit: `seconds` plus uniform jitter, never negative."""
        seconds = float(self.params.get("seconds", 0.0))
        jitter = float(self.params.get("jitter", 0.0))
        return max(0.0, seconds + (self._rng.uniform(-jitter, jitter) if jitter else 0.0))


@dataclass
class Strikes:
    """The faults that hit one request, reduced to what the HTTP layer needs to apply them."""

    status: int | None = None
    error: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop_after_chunks: int | None = None
    malformed_at: int | None = None
    ttft: float = 0.0
    chunk_interval: float = 0.0
    names: list[str] = field(default_factory=list)

    def affects_stream(self) -> bool:
        return self.drop_after_chunks is not None or self.malformed_at is not None or bool(self.chunk_interval)


class FaultPlan:
    """The faults of one server; `strike(request)` consults them in the order they were added.

    >>> plan = FaultPlan()
    >>> _ = plan.add({"kind": "status", "status": 503, "times": 1})
    >>> request = RequestView("GET", "/v1/models", {})
    >>> plan.strike(request).status, plan.strike(request).status
    (503, None)
    """

    def __init__(self) -> None:
        self._faults: dict[str, FaultRule] = {}
        self._ids = itertools.count(1)

    def add(self, raw: Mapping[str, Any]) -> FaultRule:
        fault = FaultRule.from_json(raw, fault_id=f"fault-{next(self._ids)}")
        self._faults[fault.id] = fault
        return fault

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self) -> None:
        """Remove every fault; ids start again at fault-1."""
        self._faults.clear()
        self._ids = itertools.count(1)

    def __iter__(self) -> Iterator[FaultRule]:
        return iter(list(self._faults.values()))

    def __len__(self) -> int:
        return len(self._faults)

    def strike(self, request: RequestView) -> Strikes:
        """Every fault that hits `request`; the first status fault wins, later ones are not consumed."""
        strikes = Strikes()
        for fault in self._faults.values():
            if fault.kind is Fault.STATUS and strikes.status is not None:
                continue
            if fault.strikes(request):
                _apply(fault, strikes)
        return strikes


def _apply(fault: FaultRule, strikes: Strikes) -> None:
    strikes.names.append(f"{fault.id}:{fault.kind.value}")
    params = fault.params
    if fault.kind is Fault.STATUS:
        strikes.status = int(params.get("status", 500))
        strikes.error = params.get("error")
        strikes.headers.update(params.get("headers", {}))
    elif fault.kind is Fault.LATENCY:
        strikes.delay += fault.delay()
    elif fault.kind is Fault.DROP_STREAM:
        strikes.drop_after_chunks = int(params.get("after_chunks", 0))
    elif fault.kind is Fault.MALFORMED_CHUNK:
        strikes.malformed_at = int(params.get("at", 1))
    else:
        strikes.ttft = float(params.get("ttft", 0.0))
        per_second = float(params.get("tokens_per_second", 0.0))
        strikes.chunk_interval = 1.0 / per_second if per_second > 0 else 0.0


def _streams(request: RequestView) -> bool:
    return bool((request.body or {}).get("stream"))
