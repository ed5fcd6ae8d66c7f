"""Replay pacing follows the recorded delays divided by the speed; the sleeper is injected, nothing waits here."""

from __future__ import annotations

import asyncio

import pytest

from mockai.cassettes.pacing import delays, paced


def test_recorded_gaps_are_replayed_at_the_chosen_speed() -> None:
    first, gaps = delays(latency_ms=300.0, event_times_ms=[10.0, 110.0, 410.0], speed=1.0)
    assert (first, gaps) == (0.3, [0.01, 0.1, 0.3])
    first, gaps = delays(latency_ms=300.0, event_times_ms=[10.0, 110.0, 410.0], speed=4.0)
    assert (first, gaps) == (0.075, [0.0025, 0.025, 0.075])


def test_as_fast_as_possible_waits_for_nothing() -> None:
    assert delays(latency_ms=300.0, event_times_ms=[10.0, 20.0], speed=None) == (0.0, [0.0, 0.0])


def test_events_recorded_out_of_order_never_ask_for_negative_waits() -> None:
    assert delays(latency_ms=0.0, event_times_ms=[50.0, 40.0, 60.0], speed=1.0)[1] == [0.05, 0.0, 0.01]


@pytest.mark.parametrize("speed", [0.0, -1.0])
def test_a_speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        delays(latency_ms=0.0, event_times_ms=[], speed=speed)


def test_frames_are_sent_each_after_its_gap() -> None:
    slept: list[float] = []
    log: list[object] = []

    async def sleeper(seconds: float) -> None:
        slept.append(seconds)
        log.append(("sleep", seconds))

    async def replay() -> None:
        async for frame in paced([b"a", b"b", b"c"], [0.5, 0.0, 0.25], sleeper):
            log.append(frame)

    asyncio.run(replay())
    assert slept == [0.5, 0.25]
    assert log == [("sleep", 0.5), b"a", b"b", ("sleep", 0.25), b"c"]
