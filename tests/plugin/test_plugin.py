"""The pytest plugin, run the way users run it: fixtures, marker options and teardown messages (pytester)."""

from __future__ import annotations

import openai  # noqa: F401  (the SDK is part of the test extra: missing, it must fail, not skip)
import pytest
import xdist  # noqa: F401  (so is pytest-xdist)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


def test_the_fixtures_and_the_marker_are_registered(pytester: pytest.Pytester) -> None:
    fixtures = pytester.runpytest("--fixtures")
    listed = fixtures.stdout.str()
    assert all(f"\n{name} " in listed for name in ("mockai_server", "mockai", "openai_client", "async_openai_client"))
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(
        [
            "@pytest.mark.mockai(seed=0, api_key=None, assert_all_rules_used=True, assert_all_steps_reached=True, "
            "cassette=None, record=None, *)*"
        ]
    )


def test_code_under_test_finds_the_mock_through_the_environment(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import httpx

        def list_model_ids():
            base = os.environ["OPENAI_BASE_URL"]
            key = os.environ["OPENAI_API_KEY"]
            response = httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {key}"})
            return [model["id"] for model in response.json()["data"]]

        def test_env(mockai, mockai_server):
            assert os.environ["OPENAI_BASE_URL"] == mockai_server.base_url + "/v1"
            mockai.models.respond({"object": "list", "data": [{"id": "only-me"}]})
            assert list_model_ids() == ["only-me"]
            assert mockai.requests.last.path == "/v1/models"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_unused_rules_fail_a_passing_test_at_teardown_with_instructions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_forgets_to_call(mockai):
            mockai.models.respond({"never": "sent"})
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockai: 1 rule was not used by any request:",
            "*  - rule-1: path matches '^/v1/(models|engines)' -> json (status 200)",
            "*If a rule is optional, delete it when done or mark the test with "
            "@pytest.mark.mockai(assert_all_rules_used=False).",
        ]
    )


def test_the_marker_turns_the_unused_rule_check_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.mockai(assert_all_rules_used=False)

        def test_optional_rule(mockai):
            mockai.models.fail(503)
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_failing_test_reports_its_own_failure_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(mockai):
            mockai.models.fail(503)
            assert 1 == 2
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*not used by any request*")


def test_each_test_starts_from_a_reset_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_first(mockai):
            mockai.models.respond({"scripted": True})
            mockai.clock.advance(3600)
            response = httpx.get(mockai.api_base + "/models", headers={"Authorization": "Bearer k"})
            assert response.json() == {"scripted": True}

        def test_second(mockai):
            assert mockai.rules == []
            assert len(mockai.requests) == 0
            assert mockai.clock.now() == 1_700_000_000.0
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_marker_options_choose_the_key_and_the_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.mockai(api_key="sk-custom", seed=42)
        def test_options(mockai, mockai_server):
            assert os.environ["OPENAI_API_KEY"] == "sk-custom" == mockai.api_key
            assert mockai.base_url != mockai_server.base_url  # a second server runs with seed 42

        def test_defaults(mockai, mockai_server):
            assert mockai.base_url == mockai_server.base_url
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_unknown_marker_options_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockai(sed=1)
        def test_typo(mockai):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unknown option(s) ?'sed'?*"])


def test_the_sdk_clients_are_bound_to_the_mock_and_validate_strictly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio

        def test_sync(openai_client, mockai):
            assert openai_client.models.retrieve("gpt-4").id == "gpt-4"
            assert mockai.requests.last.path == "/v1/models/gpt-4"

        def test_async(async_openai_client):
            async def retrieve():
                async with async_openai_client as client:  # closed in the loop that used it
                    return await client.models.retrieve("davinci")

            assert asyncio.run(retrieve()).id == "davinci"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


def test_each_xdist_worker_runs_its_own_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_isolated(mockai, n):
            mockai.models.respond({"n": n})
            import httpx
            body = httpx.get(mockai.api_base + "/models", headers={"Authorization": "Bearer k"}).json()
            assert body == {"n": n}
            assert len(mockai.requests) == 1
        """
    )
    pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=6)


def test_a_dropped_stream_leaves_no_server_error_in_the_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import openai
        import pytest

        def test_client_survives_a_dropped_stream(openai_client, mockai):
            mockai.chat.reply("Sunny and warm all week long")
            mockai.faults.drop_stream(after_chunks=2)
            stream = openai_client.chat.completions.create(
                model="gpt-3.5-turbo", messages=[{"role": "user", "content": "Weather?"}], stream=True
            )
            with pytest.raises(openai.APIConnectionError):
                list(stream)
            assert mockai.requests.last.response["done"] is False
        """
    )
    result = pytester.runpytest_subprocess("-s")  # uncaptured: whatever the server logs reaches the output
    result.assert_outcomes(passed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "ASGI callable returned without completing response" not in output


def test_the_strict_clients_embed_without_naming_an_encoding_format(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio

        import openai

        TEXTS = ["The quick brown fox", "jumps over the lazy dog"]

        def lax_vectors(mockai, **options):
            with openai.OpenAI(base_url=mockai.api_base, api_key=mockai.api_key) as lax:  # decodes base64 itself
                return [item.embedding for item in lax.embeddings.create(input=TEXTS, **options).data]

        def test_sync(openai_client, mockai):
            response = openai_client.embeddings.create(model="text-embedding-ada-002", input=TEXTS)
            assert mockai.requests.last.json["encoding_format"] == "base64"  # what the SDK asked for
            vectors = [item.embedding for item in response.data]
            assert [len(vector) for vector in vectors] == [1536, 1536]
            assert vectors == lax_vectors(mockai, model="text-embedding-ada-002")  # the very same floats

        def test_explicit_float_is_untouched(openai_client, mockai):
            response = openai_client.embeddings.create(
                model="text-embedding-3-small", input=TEXTS, encoding_format="float", dimensions=8
            )
            expected = lax_vectors(mockai, model="text-embedding-3-small", encoding_format="float", dimensions=8)
            assert [item.embedding for item in response.data] == expected

        def test_async(async_openai_client, mockai):
            async def embed():
                async with async_openai_client as client:
                    return await client.embeddings.create(model="text-embedding-ada-002", input=TEXTS)

            vectors = [item.embedding for item in asyncio.run(embed()).data]
            assert vectors == lax_vectors(mockai, model="text-embedding-ada-002")
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
