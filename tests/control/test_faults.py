"""Fault plans: counted and seeded status faults, stream faults only for streams, latency jitter."""

from __future__ import annotations

from mockai.control.faults import FaultPlan
from mockai.control.matching import RequestView

MODELS = RequestView("GET", "/v1/models", {})
STREAM = RequestView("POST", "/v1/chat/completions", {}, {"model": "gpt-4", "stream": True}, "json")


def test_a_status_fault_hits_the_next_n_matching_requests() -> None:
    plan = FaultPlan()
    plan.add({"kind": "status", "status": 503, "times": 2, "match": {"path": "/v1/models"}})
    assert [plan.strike(MODELS).status for _ in range(3)] == [503, 503, None]
    assert plan.strike(STREAM).status is None


def test_a_fault_rate_is_reproducible_from_its_seed() -> None:
    def hits(seed: int) -> list[bool]:
        plan = FaultPlan()
        plan.add({"kind": "status", "status": 500, "rate": 0.5, "seed": seed})
        return [plan.strike(MODELS).status == 500 for _ in range(40)]

    assert hits(7) == hits(7)
    assert hits(7) != hits(8)
    assert 5 < sum(hits(7)) < 35


def test_stream_faults_only_hit_streaming_requests() -> None:
    plan = FaultPlan()
    plan.add({"kind": "drop_stream", "after_chunks": 3, "times": 1})
    plan.add({"kind": "malformed_chunk", "at": 2})
    plan.add({"kind": "pace", "ttft": 0.1, "tokens_per_second": 50})
    assert not plan.strike(MODELS).affects_stream()
    strikes = plan.strike(STREAM)
    assert (strikes.drop_after_chunks, strikes.malformed_at, strikes.ttft) == (3, 2, 0.1)
    assert abs(strikes.chunk_interval - 0.02) < 1e-9
    assert plan.strike(STREAM).drop_after_chunks is None  # times=1 was used up


def test_latency_jitter_stays_in_range_and_is_seeded() -> None:
    def delays(seed: int) -> list[float]:
        plan = FaultPlan()
        plan.add({"kind": "latency", "seconds": 0.5, "jitter": 0.2, "seed": seed})
        return [plan.strike(MODELS).delay for _ in range(20)]

    assert delays(1) == delays(1)
    assert all(0.3 <= delay <= 0.7 for delay in delays(1))


def test_only_the_first_status_fault_answers_and_the_others_are_not_used_up() -> None:
    plan = FaultPlan()
    first = plan.add({"kind": "status", "status": 429, "times": 1})
    second = plan.add({"kind": "status", "status": 500, "times": 1})
    assert [plan.strike(MODELS).status for _ in range(3)] == [429, 500, None]
    assert (first.hit_count, second.hit_count) == (1, 1)
