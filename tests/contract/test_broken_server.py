"""`mockai contract` must be able to fail: against a deliberately broken server it reports every planted defect."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from mockai.cli import main
from mockai.contract.report import ContractReport
from mockai.contract.runner import run_contract
from tests.contract.broken_server import ACCEPTS_INVALID, MISSING_FIELD, PLANTED, RESPONSE_DEFECTS, broken_server

FAMILIES = "models,chat,completions,embeddings,files,fine-tuning"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with broken_server() as url:
        yield url


@pytest.fixture(scope="module")
def report(base_url: str) -> ContractReport:
    return run_contract(base_url, endpoints=FAMILIES, max_examples=3, seed=0)


def _keys(report: ContractReport, operation_id: str) -> set[tuple[str, str]]:
    result = next(result for result in report.results if result.operation_id == operation_id)
    return {failure.key for failure in result.failures}


@pytest.mark.parametrize("operation_id", sorted(PLANTED))
def test_each_planted_defect_is_reported(report: ContractReport, operation_id: str) -> None:
    assert PLANTED[operation_id] in _keys(report, operation_id)


def test_a_missing_field_and_accepting_invalid_requests_are_reported(report: ContractReport) -> None:
    assert {MISSING_FIELD, ACCEPTS_INVALID} <= _keys(report, "createChatCompletion")


def test_each_failure_is_reported_once_with_its_example(report: ContractReport) -> None:
    keys = [(result.operation_id, failure.key) for result, failure in report.failures]
    assert len(keys) == len(set(keys))
    assert all(failure.request is not None and failure.response is not None for _, failure in report.failures)


def test_a_server_that_is_not_mockai_gets_no_writes_and_unrouted_operations_are_skipped(
    report: ContractReport,
) -> None:
    skipped = {result.operation_id: result.skipped for result in report.results if result.skipped}
    assert report.target == "other"
    assert skipped["createFile"] == "writes to a server that is not mockai (pass --allow-writes)"
    assert skipped["createFineTuningJob"] == "writes to a server that is not mockai (pass --allow-writes)"
    assert skipped["listFiles"] == "not implemented: 404"
    assert not report.ok


def test_the_cli_exits_non_zero_and_writes_json_and_junit(base_url: str, tmp_path: Path) -> None:
    json_file, junit_file = tmp_path / "report.json", tmp_path / "report.xml"
    result = CliRunner().invoke(
        main,
        ["contract", "--base-url", base_url, "--endpoints", "models", "--max-examples", "2",
         "--json", str(json_file), "--junit", str(junit_file)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "listModels" in result.output and "failure(s)" in result.output
    assert json.loads(json_file.read_text())["ok"] is False
    assert ElementTree.parse(junit_file).getroot().get("failures") == "2"


def test_the_cli_refuses_an_unknown_family_by_name(base_url: str) -> None:
    result = CliRunner().invoke(main, ["contract", "--base-url", base_url, "--endpoints", "telepathy"])
    assert result.exit_code == 2
    assert "unknown endpoint families ['telepathy']" in result.output


def test_the_cli_says_when_nothing_listens(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(main, ["contract", "--base-url", f"http://127.0.0.1:{port}/v1"])
    assert result.exit_code == 1
    assert f"cannot talk to http://127.0.0.1:{port}/v1" in result.output


def test_shrinking_leaves_the_smallest_example_of_a_defect_every_request_shows(report: ContractReport) -> None:
    result = next(result for result in report.results if result.operation_id == "createChatCompletion")
    failure = next(failure for failure in result.failures if failure.key == MISSING_FIELD)
    assert failure.request is not None
    body = failure.request.body
    assert set(body) == {"model", "messages", "max_tokens"}
    assert body["max_tokens"] == 1 and len(body["messages"]) == 1 and body["messages"][0]["content"] == ""


def contract_cli(base_url: str, families: str = "chat") -> Any:
    arguments = ["contract", "--base-url", base_url, "--endpoints", families, "--max-examples", "2"]
    return CliRunner().invoke(main, arguments)


def test_a_server_that_answers_404_to_everything_fails_the_run_with_a_clear_line() -> None:
    # It used to print "all checks passed" and exit 0: every operation was skipped, nothing was verified.
    with broken_server("all-404") as base_url:
        result = contract_cli(base_url, FAMILIES)
    assert result.exit_code == 1, result.output
    assert result.output.endswith("no check ran: every operation was skipped, so nothing was verified\n")


def test_a_base_url_without_v1_is_warned_about_and_fails() -> None:
    with broken_server("all-404") as base_url:
        result = contract_cli(base_url.removesuffix("/v1"), "models")
    assert result.exit_code == 1
    assert "does not end in /v1" in result.output and "did you mean --base-url" in result.output


@pytest.mark.parametrize(
    ("variant", "failure"),
    [
        ("wrong-total", "total_tokens is not prompt_tokens + completion_tokens"),
        ("over-max-tokens", "completion_tokens exceed max_tokens times the choices asked for"),
        ("wrong-prompt-count", "prompt_tokens differ from the count in the model's encoding"),
    ],
)
def test_usage_that_does_not_add_up_is_reported(variant: str, failure: str) -> None:
    with broken_server(variant) as base_url:
        result = contract_cli(base_url)
    assert result.exit_code == 1
    assert f"createChatCompletion · usage_arithmetic · {failure}" in result.output or (
        f"createChatCompletion · prompt_token_count · {failure}" in result.output
    )


#: The checks of a Responses stream and its usage: a conforming server fails none of them.
EVENT_CHECKS = {"typed_event_framing", "chunk_schema_conformance", "sequence_numbers", "event_order",
                "streamed_text_joins", "usage_arithmetic", "response_schema_conformance"}  # fmt: skip


def _create_response_result(variant: str) -> Any:
    with broken_server(variant) as base_url:
        report = run_contract(base_url, endpoints="responses", max_examples=2, seed=0)
    return next(result for result in report.results if result.operation_id == "createResponse")


def test_a_conforming_responses_stream_passes_every_event_check() -> None:
    result = _create_response_result("responses")
    # per streamed request: status, framing, event schema, sequence, order, join, usage
    assert result.checks_run >= 3 * 7
    assert [failure.key for failure in result.failures if failure.check in EVENT_CHECKS] == []


@pytest.mark.parametrize("defect", sorted(RESPONSE_DEFECTS))
def test_each_responses_stream_defect_is_reported(defect: str) -> None:
    result = _create_response_result(f"responses-{defect}")
    assert RESPONSE_DEFECTS[defect] in {failure.key for failure in result.failures}
