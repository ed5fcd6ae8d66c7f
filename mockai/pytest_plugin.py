"""The mockai pytest plugin (entry point `pytest11`): a real mock server for the tests that ask for it.

Fixtures: `mockai_server` (session: one server per process, so one per xdist worker), `mockai` (the `MockAI`
handle; resets the server after each test and fails a test whose rules went unused or whose scenario steps were never
reached), `openai_client` and
`async_openai_client` (the official SDK bound to the server). The marker `@pytest.mark.mockai(...)` configures them.
Heavy imports happen inside fixture bodies so that merely having mockai installed costs a pytest run nothing.

Cassettes: `@pytest.mark.mockai(cassette=True)` (or `cassette="name"`, or any `record=`) answers the test's requests
from `<test module folder>/cassettes/<module name>/<test name>.json`, like pytest-recording. `record="new"` (or
`pytest --mockai-record=new`) records what is missing from `--mockai-record-upstream` (default: the real API) with the
key in `MOCKAI_RECORD_API_KEY` (else `OPENAI_API_KEY`), read once when pytest starts.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

if TYPE_CHECKING:
    from mockai.server import ServerThread
    from mockai.testing import AdminConnection, MockAI, RunningServer

MARKER = "mockai"
DEFAULT_API_KEY = "sk-mockai-test"
DEFAULT_SEED = 0
#: World time at server start: fixed and frozen, so `created` stamps and ids are the same on every run.
CLOCK_START = 1_700_000_000.0
DEFAULT_RECORD_UPSTREAM = "https://api.openai.com/v1"
_CASSETTE_OPTIONS = {"cassette", "record", "ignore_fields", "redact", "replay_speed"}
_OPTIONS = {"seed", "api_key", "assert_all_rules_used", "assert_all_steps_reached"} | _CASSETTE_OPTIONS
_CALL_FAILED = pytest.StashKey[bool]()
_RECORDING = pytest.StashKey["_Recording"]()
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.,=\[\]-]")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockai")
    group.addoption(
        "--mockai-record",
        choices=["none", "new", "all"],
        default=None,
        help="Record mode of every test that uses a cassette, over its marker's: none replays only, new records what "
        "is missing, all records everything again.",
    )
    group.addoption(
        "--mockai-record-upstream",
        default=None,
        help="The API cassettes record from, ending in /v1 (default: $MOCKAI_RECORD_UPSTREAM, else "
        f"{DEFAULT_RECORD_UPSTREAM}); its key comes from $MOCKAI_RECORD_API_KEY, else $OPENAI_API_KEY.",
    )


class _Recording(NamedTuple):
    """Where the session's cassettes record from, fixed when pytest starts (before any fixture changes the env)."""

    upstream: str
    api_key: str | None
    mode: str | None  # --mockai-record, which wins over markers


# trylast: pytest's cache provider sets `config.cache` in its own pytest_configure, and the tiktoken files go there.
@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockai(seed=0, api_key=None, assert_all_rules_used=True, assert_all_steps_reached=True, cassette=None, "
        "record=None, ignore_fields=(), redact=(), replay_speed=None): options for the mockai fixtures (server seed, "
        "the key clients send, whether unused rules or unreached scenario steps fail the test; the test's cassette, "
        "its record mode, body fields not matched on, body patterns redacted, replay pace)",
    )
    upstream = config.getoption("--mockai-record-upstream", None) or os.environ.get("MOCKAI_RECORD_UPSTREAM")
    key = os.environ.get("MOCKAI_RECORD_API_KEY") or os.environ.get("OPENAI_API_KEY")
    config.stash[_RECORDING] = _Recording(
        upstream or DEFAULT_RECORD_UPSTREAM, key, config.getoption("--mockai-record", None)
    )
    _point_tiktoken_at_the_shipped_encodings(config)


def _point_tiktoken_at_the_shipped_encodings(config: pytest.Config) -> None:
    """Set `TIKTOKEN_CACHE_DIR` for the session, so the code under test can use tiktoken with no network.

    A variable the user set (or tiktoken's older `DATA_GYM_CACHE_DIR`) is left alone. The files go to pytest's cache
    directory, where later runs find them (checking them costs a few milliseconds), or to a temporary directory
    removed at the end of the session when the cache provider is off.
    """
    if "TIKTOKEN_CACHE_DIR" in os.environ or "DATA_GYM_CACHE_DIR" in os.environ:
        return
    from mockai.tiktoken_cache import write_tiktoken_cache

    cache = getattr(config, "cache", None)
    if cache is not None:
        directory = cache.mkdir("mockai-tiktoken")
    else:
        directory = Path(tempfile.mkdtemp(prefix="mockai-tiktoken-"))
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
    write_tiktoken_cache(directory)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
    config.add_cleanup(lambda: _unset("TIKTOKEN_CACHE_DIR"))


def _unset(name: str) -> None:
    os.environ.pop(name, None)


class _ServerPool:
    """Session servers keyed by seed: the default one starts on first use, others only if a marker asks.

    It also keeps one admin connection per server for every test's `MockAI` handle: a handle opening its own would
    pay a TCP handshake (and the server an accept) on each test.
    """

    def __init__(self, config: pytest.Config) -> None:
        self._servers: dict[int, ServerThread] = {}
        self._config = config
        self._admin_connections: dict[str, AdminConnection] = {}

    def admin_connection(self, base_url: str) -> AdminConnection:
        from mockai.testing import AdminConnection

        found = self._admin_connections.get(base_url)
        if found is None:
            found = self._admin_connections[base_url] = AdminConnection(base_url)
        return found

    def get(self, seed: int) -> RunningServer:
        from mockai._paths import default_cache_dir
        from mockai.server import ServerThread
        from mockai.settings import Settings
        from mockai.testing import RunningServer

        server = self._servers.get(seed)
        if server is None:
            recording = self._config.stash[_RECORDING]
            settings = Settings(
                port=0,
                seed=seed,
                time_scale=0.0,
                clock_start=CLOCK_START,
                # The user's cache of fitted models: every xdist worker after the first one loads instead of fitting.
                cache_dir=default_cache_dir(os.environ),
                # Cassette names are paths below the rootdir (`tests/cassettes/test_chat/test_hello`).
                cassettes_dir=self._config.rootpath,
                record_upstream=recording.upstream,
                record_api_key=recording.api_key,
            )
            server = ServerThread(settings)
            server.start()
            self._servers[seed] = server
        return RunningServer(server.base_url, DEFAULT_API_KEY)

    def stop(self) -> None:
        for connection in self._admin_connections.values():
            connection.close()
        for server in self._servers.values():
            server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Kept so the `mockai` fixture's teardown can tell whether the test itself failed.
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def _mockai_pool(pytestconfig: pytest.Config) -> Iterator[_ServerPool]:
    pool = _ServerPool(pytestconfig)
    yield pool
    pool.stop()


@pytest.fixture(scope="session")
def mockai_server(_mockai_pool: _ServerPool) -> RunningServer:
    """A real mockai server on a free loopback port for the whole session, with a frozen world clock."""
    return _mockai_pool.get(DEFAULT_SEED)


@pytest.fixture
def mockai(
    request: pytest.FixtureRequest, _mockai_pool: _ServerPool, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MockAI]:
    """A `MockAI` handle on the session server, with `OPENAI_BASE_URL`/`OPENAI_API_KEY` pointing at it."""
    from mockai.testing import (
        MockAI,
        MockAIError,
        cassette_misses_message,
        unreached_steps_message,
        unused_rules_message,
    )

    options = _marker_options(request)
    server = _mockai_pool.get(int(options.get("seed", DEFAULT_SEED)))
    api_key = str(options.get("api_key") or server.api_key)
    handle = MockAI(server.base_url, api_key=api_key, http=_mockai_pool.admin_connection(server.base_url))
    handle.reset()
    cassette = _cassette_use(request, options)
    if cassette is not None:
        try:
            handle.cassettes.use(**cassette)
        except MockAIError as exc:  # a broken cassette file: the server's message names it and the position
            handle.close()
            pytest.fail(str(exc), pytrace=False)
    monkeypatch.setenv("OPENAI_BASE_URL", handle.api_base)
    monkeypatch.setenv("OPENAI_API_BASE", handle.api_base)  # what the legacy 0.28 SDK reads
    monkeypatch.setenv("OPENAI_API_KEY", handle.api_key)
    try:
        yield handle
        # Misses are reported even when the test failed: the SDK's rendering of the error buries the diff.
        misses = handle.cassettes.misses() if cassette is not None else []
    finally:
        leftovers = handle.reset()  # one round trip: the reset reports unused rules and unreached steps
        handle.close()
    # A failing test already explains itself; unused rules or unreached steps would only bury its message.
    passed = not request.node.stash.get(_CALL_FAILED, False)
    problems = [cassette_misses_message(misses)] if misses else []
    if passed and options.get("assert_all_rules_used", True) and leftovers.unused_rules:
        problems.append(unused_rules_message(leftovers.unused_rules))
    if passed and options.get("assert_all_steps_reached", True) and leftovers.unreached_steps:
        problems.append(unreached_steps_message(leftovers.unreached_steps))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _mockai_cassette_marker(request: pytest.FixtureRequest) -> None:
    """A test marked with a cassette gets the `mockai` fixture without asking for it, as pytest-recording's marker
    does: the marker is the whole opt-in."""
    if "mockai" in request.fixturenames or request.node.get_closest_marker(MARKER) is None:
        return  # the common case, decided without merging markers
    if _CASSETTE_OPTIONS & set(_marker_options(request)):
        request.getfixturevalue("mockai")


@pytest.fixture
def openai_client(mockai: MockAI) -> Iterator[Any]:
    """The official `openai.OpenAI` client bound to the mock, validating responses strictly, with no retries.

    Embeddings asked for without `encoding_format` come back as the floats the SDK would decode, as with a lax
    client: the SDK's strict types would otherwise refuse the base64 it asks for (see `mockai._sdk_clients`).
    """
    from mockai._sdk_clients import strict_openai_client

    openai = pytest.importorskip("openai")
    client = strict_openai_client(openai, mockai.api_base, mockai.api_key)
    yield client
    client.close()


@pytest.fixture
def async_openai_client(mockai: MockAI) -> Any:
    """The official `openai.AsyncOpenAI` client bound to the mock, validating responses strictly, with no retries.

    Close it in the event loop that used it (`async with async_openai_client as client: ...`): its connections
    belong to that loop, which is gone by the time fixtures are torn down.
    """
    from mockai._sdk_clients import strict_openai_client

    openai = pytest.importorskip("openai")
    return strict_openai_client(openai, mockai.api_base, mockai.api_key, asynchronous=True)


def _cassette_use(request: pytest.FixtureRequest, options: dict[str, Any]) -> dict[str, Any] | None:
    """The `MockAI.cassettes.use()` arguments the marker asks for, or None when the test uses no cassette."""
    if not _CASSETTE_OPTIONS & set(options) or options.get("cassette") is False:
        return None
    recording = request.config.stash[_RECORDING]
    record = recording.mode or options.get("record") or "none"
    return {
        "name": cassette_name(request.node.path, request.node.nodeid, options.get("cassette"), request.config.rootpath),
        "record": record,
        "ignore": list(options.get("ignore_fields", ())),
        "redact": list(options.get("redact", ())),
        "replay_speed": options.get("replay_speed"),
    }


def cassette_name(module: Path, nodeid: str, chosen: object, rootpath: Path) -> str:
    """`<module folder>/cassettes/<module name>/<test name>`, relative to the rootdir (the server's cassette folder).

    >>> cassette_name(Path("/r/tests/test_chat.py"), "tests/test_chat.py::TestA::test_b[x/y]", True, Path("/r"))
    'tests/cassettes/test_chat/TestA.test_b[x_y]'
    >>> cassette_name(Path("/r/tests/test_chat.py"), "tests/test_chat.py::test_b", "shared", Path("/r"))
    'tests/cassettes/test_chat/shared'
    """
    test = ".".join(nodeid.split("::")[1:])
    name = chosen if isinstance(chosen, str) else _UNSAFE_NAME.sub("_", test)
    path = module.parent / "cassettes" / module.stem / name
    try:
        return path.relative_to(rootpath).as_posix()
    except ValueError:
        raise pytest.UsageError(f"mockai cassettes live below the rootdir {rootpath}; {path} is outside it") from None


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker wins: a test's own marker overrides its class's and module's.
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.mockai takes keyword arguments only, got {marker.args!r}")
        unknown = set(marker.kwargs) - _OPTIONS
        if unknown:
            raise pytest.UsageError(
                f"@pytest.mark.mockai got unknown option(s) {sorted(unknown)}; known: {sorted(_OPTIONS)}"
            )
        options.update(marker.kwargs)
    return options
