"""Rate limits: windows on world time, the real headers' format, the token estimate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mockai.control.ratelimit import Limits, RateLimiter, count_pieces, estimate_tokens, format_duration


def test_requests_count_down_and_the_window_resets_a_minute_later() -> None:
    limiter = RateLimiter(Limits(rpm=2))
    remaining = [limiter.charge("sk", "gpt-4", 0, now=t).headers["x-ratelimit-remaining-requests"] for t in (0, 1)]
    refused = limiter.charge("sk", "gpt-4", 0, now=20)
    assert remaining == ["1", "0"]
    assert refused.exceeded is not None
    assert (refused.exceeded.used, refused.exceeded.limit, refused.exceeded.retry_after) == (2, 2, 40)
    assert refused.headers["x-ratelimit-reset-requests"] == "40s"
    assert limiter.charge("sk", "gpt-4", 0, now=60).headers["x-ratelimit-remaining-requests"] == "1"


def test_windows_are_per_key_and_model_and_overrides_apply_per_model() -> None:
    limiter = RateLimiter(Limits(rpm=1), {"gpt-4": Limits(rpm=5)})
    assert limiter.charge("a", "gpt-3.5-turbo", 0, now=0).exceeded is None
    assert limiter.charge("b", "gpt-3.5-turbo", 0, now=0).exceeded is None
    assert limiter.charge("a", "gpt-3.5-turbo", 0, now=0).exceeded is not None
    assert limiter.charge("a", "gpt-4", 0, now=0).headers["x-ratelimit-limit-requests"] == "5"


def test_a_refused_request_is_not_counted() -> None:
    limiter = RateLimiter(Limits(rpm=10, tpm=100))
    limiter.charge("sk", "m", 90, now=0)
    refused = limiter.charge("sk", "m", 20, now=0)
    assert refused.exceeded is not None and refused.exceeded.kind == "tokens"
    assert refused.headers["x-ratelimit-remaining-requests"] == "9"
    assert refused.headers["x-ratelimit-remaining-tokens"] == "10"


def test_no_headers_when_no_limit_is_configured() -> None:
    limiter = RateLimiter(Limits())
    assert not limiter.enabled
    assert limiter.charge("sk", "m", 5, now=0).headers == {}


@given(st.floats(min_value=0, max_value=7200, allow_nan=False))
def test_durations_read_back_to_within_a_millisecond(seconds: float) -> None:
    text = format_duration(seconds)
    total = 0.0
    if text.endswith("ms"):
        total = float(text[:-2]) / 1000
    else:
        rest = text[:-1]
        for unit, scale in (("h", 3600), ("m", 60)):
            if unit in rest:
                head, rest = rest.split(unit)
                total += int(head) * scale
        total += float(rest)
    assert abs(total - seconds) <= 0.001 + 1e-9


def test_the_token_estimate_counts_the_prompt_and_reserves_the_completion() -> None:
    chat = {"model": "gpt-4", "messages": [{"role": "user", "content": "Say this is a test!"}], "max_tokens": 10}
    assert count_pieces(["Say this is a test!"]) == 6
    assert estimate_tokens(chat, operation_id="createChatCompletion") == 6 + 3 + 3 + 10
    completion = {"model": "davinci", "prompt": ["Hello", [1, 2, 3]], "n": 2}
    assert estimate_tokens(completion, operation_id="createCompletion") == 1 + 3 + 16 * 2
    assert estimate_tokens(None) == 0
