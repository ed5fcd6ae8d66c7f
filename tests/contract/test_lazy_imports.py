"""The server and the CLI load without hypothesis: only `mockai contract` pays for the generators, and only the sync
parses the specs."""

from __future__ import annotations

import subprocess
import sys


def test_serving_and_the_cli_do_not_import_hypothesis() -> None:
    probe = (
        "import sys, mockai.cli, mockai.api.app, mockai.api.openapi; "
        "print(sorted(name for name in ('hypothesis', 'mockai.contract.generate', 'mockai.contract.sync') "
        "if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_built_server_has_not_imported_what_only_some_requests_need() -> None:
    # yaml reads --rules files, httpx drives the dialogue's backends, jsonschema validates the first request body:
    # together ~150 ms of every start.
    probe = (
        "import sys, mockai.cli, mockai.server; from mockai.api.app import build_app; "
        "from mockai.settings import Settings; build_app(Settings()); "
        "print(sorted(name for name in ('yaml', 'httpx', 'hypothesis', 'jsonschema') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_serving_does_not_import_pyav_until_speech_asks_for_it() -> None:
    probe = "import sys, mockai.cli, mockai.api.app, mockai.api.routes; print('av' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_built_server_imports_a_family_s_handlers_only_when_they_answer() -> None:
    # The endpoint table names its handlers; every family's module (and the engine and state code behind it) was 32
    # of the 135 modules a server imported before it could answer, though it may only ever answer chat completions.
    probe = (
        "import sys; from mockai.api.app import build_app; from mockai.settings import Settings; "
        "build_app(Settings()); "
        "print(sorted(name for name in ('mockai.api.chat', 'mockai.api.speech', 'mockai.api.fine_tuning', "
        "'mockai.api.model_responses', 'mockai.api.images') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_started_server_warms_the_text_families_before_their_first_request() -> None:
    # Nothing is asked of the server: its start-up's warm-up thread alone imports the chat, completions and
    # Responses handlers and jsonschema, so the first such request after a start does not pay for them.
    probe = """
import asyncio, sys
from mockai.api.app import build_app
from mockai.settings import Settings

app = build_app(Settings())

async def start_and_wait() -> None:
    async with app.router.lifespan_context(app):
        app.state.warm_up.join(timeout=60)

asyncio.run(start_and_wait())
names = ("jsonschema", "mockai.api.chat", "mockai.api.completions", "mockai.api.model_responses", "mockai.api.speech")
print(sorted(name for name in names if name in sys.modules))
print(__import__("gc").get_freeze_count())
"""
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    imported, frozen = result.stdout.splitlines()
    expected = ["jsonschema", "mockai.api.chat", "mockai.api.completions", "mockai.api.model_responses"]
    assert imported == str(expected)
    # The warm-up leaves what start-up built (tens of thousands of containers) out of the collector's full passes.
    assert int(frozen) > 10_000
