"""What a server imports, and when: the server and the CLI load without hypothesis (only `mockai contract` pays for
the generators, and only the sync parses the specs), and each family's code waits for its first request."""

from __future__ import annotations

import json
import subprocess
import sys

BUILT_APP = "from mockai.api.app import build_app\nfrom mockai.settings import Settings\napp = build_app(Settings())"


def _loaded_after(setup: str, names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Which of `names` a fresh interpreter has imported once `setup` ran, and the lines `setup` printed."""
    report = f"import json, sys\nprint(json.dumps(sorted(name for name in {names!r} if name in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", f"{setup}\n{report}"], capture_output=True, text=True, check=True)
    *printed, loaded = result.stdout.splitlines()
    return json.loads(loaded), printed


def test_serving_and_the_cli_do_not_import_hypothesis() -> None:
    setup = "import mockai.cli, mockai.api.app, mockai.api.openapi"
    assert _loaded_after(setup, ("hypothesis", "mockai.contract.generate", "mockai.contract.sync"))[0] == []


def test_a_built_server_has_not_imported_what_only_some_requests_need() -> None:
    # yaml reads --rules files, httpx drives the dialogue's backends, jsonschema validates the first request body:
    # together ~150 ms of every start.
    setup = f"import mockai.cli, mockai.server\n{BUILT_APP}"
    assert _loaded_after(setup, ("yaml", "httpx", "hypothesis", "jsonschema"))[0] == []


def test_serving_does_not_import_pyav_until_speech_asks_for_it() -> None:
    assert _loaded_after("import mockai.cli, mockai.api.app, mockai.api.routes", ("av",))[0] == []


def test_a_built_server_imports_a_family_s_handlers_only_when_they_answer() -> None:
    # The endpoint table names its handlers; every family's module (and the engine and state code behind it) was 32
    # of the 135 modules a server imported before it could answer, though it may only ever answer chat completions.
    families = ("mockai.api.chat", "mockai.api.speech", "mockai.api.fine_tuning", "mockai.api.model_responses")
    assert _loaded_after(BUILT_APP, (*families, "mockai.api.images"))[0] == []


def test_a_built_server_has_not_imported_the_generation_core_or_the_dialogue() -> None:
    # The control plane every request passes names scripted replies, not the token model behind the core; the replay
    # cache holds runs without importing their generator (and tiktoken); the /app/v1 dialogue is built on its first
    # use. Together ~60 ms of a start, paid by the warm-up thread instead.
    setup = f"import mockai.cli, mockai.server\n{BUILT_APP}"
    core = ("mockai.engine.reply", "mockai.engine.token_model", "mockai.engine.conversation", "tiktoken")
    assert _loaded_after(setup, (*core, "mockai.dialogue.service"))[0] == []


def test_a_started_server_warms_the_text_families_before_their_first_request() -> None:
    # Nothing is asked of the server: its start-up's warm-up thread alone imports the chat, completions and
    # Responses handlers and jsonschema, so the first such request after a start does not pay for them.
    setup = f"""
import asyncio, gc
{BUILT_APP}

async def start_and_wait() -> None:
    async with app.router.lifespan_context(app):
        app.state.warm_up.join(timeout=60)

asyncio.run(start_and_wait())
print(gc.get_freeze_count())
from mockai.engine import tokenizer
print(sorted(tokenizer._CACHE._built))
"""
    expected = ["jsonschema", "mockai.api.chat", "mockai.api.completions", "mockai.api.model_responses"]
    loaded, [frozen, built] = _loaded_after(setup, (*expected, "mockai.api.speech"))
    assert loaded == expected
    # The warm-up leaves what start-up built (tens of thousands of containers) out of the collector's full passes.
    assert int(frozen) > 10_000
    # With no request coming, the lull came at once, and the encoding of current models was built in it.
    assert json.loads(built.replace("'", '"')) == ["o200k_base"]
