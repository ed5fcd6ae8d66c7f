"""The mockai pytest plugin (entry point `pytest11`): a real mock server for the tests that ask for it.

Fixtures: `mockai_server` (session: one server per process, so one per xdist worker), `mockai` (the `MockAI`
handle; resets the server after each test and fails a test whose rules went unused or whose scenario steps were never
reached), `openai_client` and
`async_openai_client` (the official SDK bound to the server). The marker `@pytest.mark.mockai(...)` configures them.
Heavy imports happen inside fixture bodies so that merely having mockai installed costs a pytest run nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockai.server import ServerThread
    from mockai.testing import MockAI, RunningServer

MARKER = "mockai"
DEFAULT_API_KEY = "sk-mockai-test"
DEFAULT_SEED = 0
#: World time at server start: fixed and frozen, so `created` stamps and ids are the same on every run.
CLOCK_START = 1_700_000_000.0
_OPTIONS = {"seed", "api_key", "assert_all_rules_used", "assert_all_steps_reached"}
_CALL_FAILED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockai(seed=0, api_key=None, assert_all_rules_used=True, assert_all_steps_reached=True): options for the "
        "mockai fixtures (server seed, the key clients send, whether unused rules or unreached scenario steps fail "
        "the test)",
    )


class _ServerPool:
    """Session servers keyed by seed: the default one starts on first use, others only if a marker asks."""

    def __init__(self) -> None:
        self._servers: dict[int, ServerThread] = {}

    def get(self, seed: int) -> RunningServer:
        from mockai.server import ServerThread
        from mockai.settings import Settings
        from mockai.testing import RunningServer

        server = self._servers.get(seed)
        if server is None:
            server = ServerThread(Settings(port=0, seed=seed, time_scale=0.0, clock_start=CLOCK_START))
            server.start()
            self._servers[seed] = server
        return RunningServer(server.base_url, DEFAULT_API_KEY)

    def stop(self) -> None:
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
def _mockai_pool() -> Iterator[_ServerPool]:
    pool = _ServerPool()
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
    from mockai.testing import MockAI, unreached_steps_message, unused_rules_message

    options = _marker_options(request)
    server = _mockai_pool.get(int(options.get("seed", DEFAULT_SEED)))
    handle = MockAI(server.base_url, api_key=str(options.get("api_key") or server.api_key))
    handle.reset()
    monkeypatch.setenv("OPENAI_BASE_URL", handle.api_base)
    monkeypatch.setenv("OPENAI_API_BASE", handle.api_base)  # what the legacy 0.28 SDK reads
    monkeypatch.setenv("OPENAI_API_KEY", handle.api_key)
    try:
        yield handle
        # A failing test already explains itself; unused rules or unreached steps would only bury its message.
        passed = not request.node.stash.get(_CALL_FAILED, False)
        unused = handle.unused_rules() if passed and options.get("assert_all_rules_used", True) else []
        unreached = handle.unreached_steps() if passed and options.get("assert_all_steps_reached", True) else []
    finally:
        handle.reset()
        handle.close()
    failures = [unused_rules_message(unused)] if unused else []
    failures += [unreached_steps_message(unreached)] if unreached else []
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)


@pytest.fixture
def openai_client(mockai: MockAI) -> Iterator[Any]:
    """The official `openai.OpenAI` client bound to the mock, validating responses strictly, with no retries."""
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(
        base_url=mockai.api_base, api_key=mockai.api_key, max_retries=0, _strict_response_validation=True
    )
    yield client
    client.close()


@pytest.fixture
def async_openai_client(mockai: MockAI) -> Any:
    """The official `openai.AsyncOpenAI` client bound to the mock, validating responses strictly, with no retries.

    Close it in the event loop that used it (`async with async_openai_client as client: ...`): its connections
    belong to that loop, which is gone by the time fixtures are torn down.
    """
    openai = pytest.importorskip("openai")
    return openai.AsyncOpenAI(
        base_url=mockai.api_base, api_key=mockai.api_key, max_retries=0, _strict_response_validation=True
    )


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
