"""The warm-up waits for a lull before its heavy step, so a server under steady traffic is not stalled by it."""

from __future__ import annotations

from collections.abc import Callable

from mockai.api.traffic import Traffic
from mockai.api.warmup import LULL_POLLS, step_aside, wait_for_lull


class _ScriptedPolls:
    """Stands in for the server's stop event: each wait is one poll, and before it `traffic_at(poll)` sets the
    traffic that poll sees. No time passes."""

    def __init__(self, traffic: Traffic, traffic_at: Callable[[int, Traffic], None], *, stop_at: int = 1000) -> None:
        self.polls = 0
        self._traffic, self._traffic_at, self._stop_at = traffic, traffic_at, stop_at

    def wait(self, timeout: float | None = None) -> bool:
        self.polls += 1
        self._traffic_at(self.polls, self._traffic)
        return self.polls >= self._stop_at


def test_an_idle_server_is_warmed_after_a_lull_of_consecutive_quiet_polls() -> None:
    traffic = Traffic()
    polls = _ScriptedPolls(traffic, lambda poll, seen: None)
    assert wait_for_lull(traffic, polls) is True
    assert polls.polls == LULL_POLLS


def test_requests_arriving_or_in_flight_restart_the_lull() -> None:
    def busy_until_poll_5(poll: int, traffic: Traffic) -> None:
        if poll in (1, 3):
            traffic.arrived += 1  # short requests, come and gone between polls
        traffic.in_flight = 1 if poll == 5 else 0  # a long one, seen in flight

    traffic = Traffic()
    polls = _ScriptedPolls(traffic, busy_until_poll_5)
    assert wait_for_lull(traffic, polls) is True
    assert polls.polls == 5 + LULL_POLLS


def test_a_server_that_stops_while_busy_is_never_warmed() -> None:
    def always_busy(poll: int, traffic: Traffic) -> None:
        traffic.arrived += 1

    traffic = Traffic()
    assert wait_for_lull(traffic, _ScriptedPolls(traffic, always_busy, stop_at=50)) is False


def test_a_warm_up_step_goes_ahead_at_once_when_no_request_is_being_answered() -> None:
    traffic = Traffic()
    traffic.arrived = 7  # requests that came and went do not hold it back
    polls = _ScriptedPolls(traffic, lambda poll, seen: None)
    assert step_aside(traffic, polls) is True
    assert polls.polls == 0


def test_a_warm_up_step_waits_for_the_request_in_flight_to_be_answered() -> None:
    def answered_at_poll_3(poll: int, traffic: Traffic) -> None:
        traffic.in_flight = 0 if poll >= 3 else 1

    traffic = Traffic()
    traffic.in_flight = 1
    polls = _ScriptedPolls(traffic, answered_at_poll_3)
    assert step_aside(traffic, polls) is True
    assert polls.polls == 3


def test_a_warm_up_step_ends_the_warm_up_when_the_server_stops_first() -> None:
    traffic = Traffic()
    traffic.in_flight = 1
    assert step_aside(traffic, _ScriptedPolls(traffic, lambda poll, seen: None, stop_at=4)) is False
