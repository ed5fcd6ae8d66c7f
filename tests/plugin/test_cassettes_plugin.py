"""Cassettes in the pytest plugin: record a test once against an upstream, replay it offline, fail misses readably."""

from __future__ import annotations

import json

import pytest

from tests.conftest import start_server

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")

REAL_KEY = "sk-real-upstream-key-0123456789"

WEATHER_TEST = """
import pytest
from openai import OpenAI


@pytest.mark.mockai(record="RECORD")  # the marker alone brings the mockai fixture
def test_forecast():
    with OpenAI(max_retries=0) as client:  # reads OPENAI_BASE_URL and OPENAI_API_KEY, pointed at the mock
        reply = client.chat.completions.create(
            model="gpt-3.5-turbo", seed=3, max_tokens=6, messages=[{"role": "user", "content": "PROMPT"}]
        )
    assert reply.choices[0].message.content


def test_without_a_cassette(mockai):
    assert mockai.cassettes.state() == {"active": False}
"""


def _weather(record: str, prompt: str = "What's the weather in Paris?") -> str:
    return WEATHER_TEST.replace("RECORD", record).replace("PROMPT", prompt)


def test_a_test_records_once_then_replays_offline_and_a_changed_request_fails_with_a_diff(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKAI_RECORD_API_KEY", REAL_KEY)
    upstream = start_server()
    pytester.makepyfile(test_weather=_weather("new"))
    try:
        recorded = pytester.runpytest("--mockai-record-upstream", upstream.base_url + "/v1")
    finally:
        upstream.stop()
    recorded.assert_outcomes(passed=2)

    cassette = pytester.path / "cassettes" / "test_weather" / "test_forecast.json"
    text = cassette.read_text(encoding="utf-8")
    assert REAL_KEY not in text and "sk-mockai-test" not in text
    assert json.loads(text)["interactions"][0]["request"]["body"]["json"]["seed"] == 3

    pytester.makepyfile(test_weather=_weather("none"))
    pytester.runpytest().assert_outcomes(passed=2)  # the upstream is gone: replayed from the file

    pytester.makepyfile(test_weather=_weather("none", "What's the weather in Rome?"))
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockai: 1 request had no recording in the cassette:",
            "*  - POST /v1/chat/completions",
            "*    Closest recording: interaction 0 (POST /v1/chat/completions), which differs in:",
            # ([] are fnmatch's character classes, hence [[] and []])
            '*      body.messages[[]0[]].content: recorded "What\'s the weather in Paris?", '
            'sent "What\'s the weather in Rome?"',
            '*Record what is missing with @pytest.mark.mockai(record="new") or pytest --mockai-record=new*',
        ]
    )


def test_the_default_cassette_lives_beside_the_test_module(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_where="""
        import pytest

        class TestGroup:
            @pytest.mark.mockai(cassette=True)
            @pytest.mark.parametrize("n", ["a/b"])
            def test_named(self, mockai, n):
                state = mockai.cassettes.state()
                assert state["name"] == "cassettes/test_where/TestGroup.test_named[a_b]"
                assert state["record"] == "none" and state["interactions"] == 0

            @pytest.mark.mockai(cassette="shared", ignore_fields=["temperature"], replay_speed=2.0)
            def test_chosen(self, mockai):
                state = mockai.cassettes.state()
                assert state["name"] == "cassettes/test_where/shared"
                assert "temperature" in state["ignore"] and state["replay_speed"] == 2.0
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_module_marker_gives_every_test_its_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_module_wide="""
        import os
        import pytest

        pytestmark = pytest.mark.mockai(cassette=True)

        @pytest.mark.mockai(seed=5)
        def test_seeded():
            assert os.environ["OPENAI_BASE_URL"].startswith("http://127.0.0.1")

        def test_plain(mockai):
            assert mockai.cassettes.state()["name"] == "cassettes/test_module_wide/test_plain"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_command_line_record_mode_wins_over_the_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockai(record="none")
        def test_mode(mockai):
            assert mockai.cassettes.state()["record"] == "all"
        """
    )
    pytester.runpytest("--mockai-record=all", "--mockai-record-upstream", "http://127.0.0.1:9/v1").assert_outcomes(
        passed=1
    )


def test_a_broken_cassette_errors_the_test_naming_the_file_and_position(pytester: pytest.Pytester) -> None:
    broken = pytester.path / "cassettes" / "test_broken" / "test_it.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{\n  "mockai_cassette": 1,\n  "interactions": [1,]\n}')
    pytester.makepyfile(
        test_broken="""
        import pytest

        @pytest.mark.mockai(cassette=True)
        def test_it(mockai):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cassette {broken} is not valid JSON at line 3, column 22*"])
