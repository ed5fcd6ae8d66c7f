"""A contract report renders as a fixed-width table, as JSON and as JUnit XML, each naming every failure."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from mockai.contract.checks import Failure, RecordedRequest, RecordedResponse
from mockai.contract.report import ContractReport, OperationResult, render_json, render_junit, render_text


def _report() -> ContractReport:
    failure = Failure(
        "response_schema_conformance",
        "response violates listModels.response at data[*].created: type",
        "'soon' is not of type 'integer'",
        RecordedRequest("GET", "http://127.0.0.1:1/v1/models"),
        RecordedResponse(200, {"content-type": "application/json"}, '{"object": "list", "data": []}'),
    )
    return ContractReport(
        "http://127.0.0.1:1/v1",
        target="other",
        seed=3,
        results=[
            OperationResult("listModels", "models", checks_run=2, checks_passed=1, failures=[failure]),
            OperationResult("createEdit", "edits", checks_run=0, checks_passed=0, skipped="not implemented: 404"),
        ],
    )


def test_the_text_table_lists_each_operation_and_each_failure_with_its_example() -> None:
    assert render_text(_report()).splitlines() == [
        "mockai contract against http://127.0.0.1:1/v1 (other), seed 3",
        "",
        "operation   family         run  passed  failed  note",
        "listModels  models           2       1       1",
        "createEdit  edits            0       0       0  skipped: not implemented: 404",
        "",
        "1 failure(s)",
        "",
        "1. listModels · response_schema_conformance · response violates listModels.response at data[*].created: type",
        "   'soon' is not of type 'integer'",
        "   request:  GET http://127.0.0.1:1/v1/models",
        '   response: 200 {"object": "list", "data": []}',
    ]


def test_json_carries_counts_failures_and_the_overall_verdict() -> None:
    document = json.loads(render_json(_report()))
    assert document["ok"] is False
    first, second = document["operations"]
    assert (first["checks_run"], first["checks_failed"]) == (2, 1)
    assert first["failures"][0]["request"]["url"] == "http://127.0.0.1:1/v1/models"
    assert second["skipped"] == "not implemented: 404"


def test_junit_has_one_case_per_operation_with_failures_and_skips() -> None:
    suite = ElementTree.fromstring(render_junit(_report()))
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    failure = cases["listModels"].find("failure")
    assert failure is not None and "listModels.response" in (failure.get("message") or "")
    assert cases["createEdit"].find("skipped") is not None


def test_a_report_where_no_check_ran_is_not_ok_and_says_why() -> None:
    # Every operation skipped once printed "all checks passed" and exited 0, having verified nothing.
    skipped = OperationResult("listModels", "models", skipped="not implemented: 404")
    for report in (
        ContractReport("http://x/v1", target="other", seed=0),
        ContractReport("http://x/v1", target="other", seed=0, results=[skipped]),
    ):
        assert not report.ok
        assert render_text(report).endswith("no check ran: every operation was skipped, so nothing was verified\n")
        assert json.loads(render_json(report))["checks_run"] == 0


def test_a_passing_report_says_so_and_warnings_come_first() -> None:
    passed = OperationResult("listModels", "models", checks_run=2, checks_passed=2)
    report = ContractReport("http://x", target="other", seed=0, results=[passed], warnings=["looks wrong"])
    assert report.ok
    text = render_text(report)
    assert text.splitlines()[1] == "warning: looks wrong"
    assert text.endswith("all checks passed\n")
