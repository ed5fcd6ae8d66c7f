"""World time never runs backwards: not past a bound, not across restarts of a server with `--data-dir`."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockai.state.clock import END_OF_TIME, ClockMark, SimulatedClock
from tests.conftest import start_server


def now(base_url: str) -> float:
    return float(httpx.get(f"{base_url}/_mockai/clock").json()["now"])


def advance(base_url: str, seconds: float) -> float:
    return float(httpx.post(f"{base_url}/_mockai/clock/advance", json={"seconds": seconds}).json()["now"])


def test_an_advance_survives_a_restart_with_a_data_dir(tmp_path: Path) -> None:
    # An advance was forgotten at restart: world time went back by up to 2,093 s.
    first = start_server(data_dir=tmp_path, clock_start=1_000.0)
    try:
        assert advance(first.base_url, 3_000) == 4_000.0
    finally:
        first.stop()
    second = start_server(data_dir=tmp_path, clock_start=1_000.0)
    try:
        assert now(second.base_url) == 4_000.0
        assert advance(second.base_url, 5) == 4_005.0
    finally:
        second.stop()


def test_a_reset_before_the_restart_is_where_the_next_run_starts(tmp_path: Path) -> None:
    first = start_server(data_dir=tmp_path, clock_start=1_000.0)
    try:
        advance(first.base_url, 3_000)
        httpx.post(f"{first.base_url}/_mockai/reset")
    finally:
        first.stop()
    second = start_server(data_dir=tmp_path, clock_start=1_000.0)
    try:
        assert now(second.base_url) == 1_000.0
    finally:
        second.stop()


def test_without_a_data_dir_each_start_is_fresh(tmp_path: Path) -> None:
    first = start_server(clock_start=1_000.0)
    try:
        advance(first.base_url, 3_000)
    finally:
        first.stop()
    second = start_server(clock_start=1_000.0)
    try:
        assert now(second.base_url) == 1_000.0
    finally:
        second.stop()


@given(
    world=st.floats(0, END_OF_TIME),
    time_scale=st.floats(0, 1_000),
    saved_at=st.floats(0, 4e9),
    restarted_at=st.floats(0, 4e9),
)
def test_a_resumed_clock_is_never_behind_its_mark(
    world: float, time_scale: float, saved_at: float, restarted_at: float
) -> None:
    resumed = ClockMark(world, time_scale, saved_at).resumed_at(restarted_at)
    assert world <= resumed <= END_OF_TIME
    if restarted_at >= saved_at:
        assert math.isclose(resumed, min(END_OF_TIME, world + time_scale * (restarted_at - saved_at)))


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -1.0], ids=["nan", "infinity", "negative"])
def test_the_clock_refuses_an_advance_that_is_not_a_finite_forward_step(seconds: float) -> None:
    clock = SimulatedClock(time_scale=0, start=0.0)
    with pytest.raises(ValueError, match="must be finite and >= 0"):
        clock.advance(seconds)
    assert clock.now() == 0.0
