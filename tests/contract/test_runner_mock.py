"""`run_contract` against a running mockai: every operation conforms, writes happen, nothing is skipped silently."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from hypothesis import settings

from mockai.cli import main
from mockai.contract.operations import OPERATIONS
from mockai.contract.report import ContractReport, render_text
from mockai.contract.runner import run_contract
from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server

# The read/write tour needs resources the run itself makes; deleting a real model is never attempted.
ONLY_THE_REFUSAL = {"deleteModel"}


@pytest.fixture(scope="module")
def mock() -> Iterator[ServerThread]:
    # Its own server: the run uploads files and advances the world clock, which the shared server must not see.
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def report(mock: ServerThread) -> ContractReport:
    # ci: 4 examples per operation and kind (about 15 s); the nightly profile digs ~20x deeper.
    examples = max(4, settings().max_examples // 6)
    return run_contract(f"{mock.base_url}/v1", api_key=API_KEY, max_examples=examples, seed=1)


def test_mockai_passes_its_own_contract(report: ContractReport) -> None:
    assert report.ok, render_text(report)


def test_the_run_knew_it_was_talking_to_mockai_and_covered_every_operation(report: ContractReport) -> None:
    assert report.target == "mockai"
    assert [result.operation_id for result in report.results] == list(OPERATIONS)
    assert [result.operation_id for result in report.results if result.skipped] == []
    assert all(result.checks_run > 0 for result in report.results)


def test_streaming_operations_ran_the_stream_checks(report: ContractReport) -> None:
    chat = next(result for result in report.results if result.operation_id == "createChatCompletion")
    # per valid example: status, schema, then status, framing, chunks, invariants, equality for the stream
    assert chat.checks_run >= 4 * 7


def test_unknown_families_are_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="unknown endpoint families"):
        run_contract("http://127.0.0.1:9/v1", endpoints="chat,telepathy")


def test_a_non_positive_example_count_is_refused() -> None:
    with pytest.raises(ValueError, match="max_examples=0 must be positive"):
        run_contract("http://127.0.0.1:9/v1", max_examples=0)


def test_the_cli_exits_zero_when_the_chosen_families_conform(mock: ServerThread) -> None:
    result = CliRunner().invoke(
        main,
        ["contract", "--base-url", f"{mock.base_url}/v1", "--api-key", API_KEY, "--endpoints", "models,embeddings",
         "--max-examples", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "(mockai), seed 0" in result.output and "all checks passed" in result.output
