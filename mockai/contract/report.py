"""The result of a contract run as plain data, and its three renderings: a text table, JSON and JUnit XML.

The runner fills a `ContractReport`; rendering happens last and never feeds back, so the same report reads the same
in a terminal, a JSON file for tooling and a JUnit file for CI.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from mockai.contract.checks import Failure, RecordedRequest, RecordedResponse

_PREVIEW = 600


@dataclass
class OperationResult:
    """What happened to one operation: checks run and passed, the failures, or why it was skipped."""

    operation_id: str
    family: str
    checks_run: int = 0
    checks_passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    skipped: str | None = None  # the reason, e.g. "not implemented: 404"

    @property
    def checks_failed(self) -> int:
        return self.checks_run - self.checks_passed


@dataclass
class ContractReport:
    """A whole run. `ok` is what the exit code reports.

    >>> report = ContractReport("http://127.0.0.1:8000/v1", target="mockai", seed=0)
    >>> report.ok  # nothing ran: nothing was verified
    False
    """

    base_url: str
    target: str  # "mockai" or "other": whether the server said it is a mockai instance
    seed: int
    results: list[OperationResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a base URL that looks wrong

    @property
    def checks_run(self) -> int:
        return sum(result.checks_run for result in self.results)

    @property
    def ok(self) -> bool:
        """No failure, and at least one check ran: a run that skipped everything has verified nothing."""
        return self.checks_run > 0 and all(not result.failures for result in self.results)

    @property
    def failures(self) -> list[tuple[OperationResult, Failure]]:
        return [(result, failure) for result in self.results for failure in result.failures]


def render_text(report: ContractReport) -> str:
    """A fixed-width table, one row per operation, then each failure with its smallest example."""
    width = max([len(r.operation_id) for r in report.results] + [len("operation")])
    lines = [
        f"mockai contract against {report.base_url} ({report.target}), seed {report.seed}",
        *(f"warning: {warning}" for warning in report.warnings),
        "",
        f"{'operation':<{width}}  {'family':<11}  {'run':>5}  {'passed':>6}  {'failed':>6}  note",
    ]
    for result in report.results:
        note = f"skipped: {result.skipped}" if result.skipped else ""
        lines.append(
            f"{result.operation_id:<{width}}  {result.family:<11}  {result.checks_run:>5}  "
            f"{result.checks_passed:>6}  {result.checks_failed:>6}  {note}".rstrip()
        )
    failures = report.failures
    lines += ["", _verdict(report)]
    for number, (result, failure) in enumerate(failures, 1):
        lines += ["", f"{number}. {result.operation_id} · {failure.check} · {failure.title}", f"   {failure.message}"]
        lines += _example_lines(failure.request, failure.response)
    return "\n".join(lines) + "\n"


def _verdict(report: ContractReport) -> str:
    if report.failures:
        return f"{len(report.failures)} failure(s)"
    if report.checks_run == 0:
        return "no check ran: every operation was skipped, so nothing was verified"
    return "all checks passed"


def render_json(report: ContractReport) -> str:
    """The report as a JSON document (stable key order), for tools."""
    document = {
        "base_url": report.base_url,
        "target": report.target,
        "seed": report.seed,
        "ok": report.ok,
        "checks_run": report.checks_run,
        "warnings": report.warnings,
        "operations": [_result_json(result) for result in report.results],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def render_junit(report: ContractReport) -> str:
    """JUnit XML: one test suite, one test case per operation; each failure becomes a `<failure>` element."""
    suite = ElementTree.Element(
        "testsuite",
        name="mockai contract",
        tests=str(len(report.results)),
        failures=str(sum(1 for result in report.results if result.failures)),
        skipped=str(sum(1 for result in report.results if result.skipped)),
    )
    for result in report.results:
        case = ElementTree.SubElement(
            suite, "testcase", classname=f"contract.{result.family}", name=result.operation_id
        )
        if result.skipped:
            ElementTree.SubElement(case, "skipped", message=result.skipped)
        for failure in result.failures:
            element = ElementTree.SubElement(case, "failure", message=f"{failure.check}: {failure.title}")
            element.text = "\n".join([failure.message, *_example_lines(failure.request, failure.response)])
    xml: str = ElementTree.tostring(suite, encoding="unicode", xml_declaration=True)
    return xml


def _result_json(result: OperationResult) -> dict[str, Any]:
    return {
        "operation_id": result.operation_id,
        "family": result.family,
        "checks_run": result.checks_run,
        "checks_passed": result.checks_passed,
        "checks_failed": result.checks_failed,
        "skipped": result.skipped,
        "failures": [
            {
                "check": failure.check,
                "title": failure.title,
                "message": failure.message,
                "request": _request_json(failure.request),
                "response": _response_json(failure.response),
            }
            for failure in result.failures
        ],
    }


def _request_json(request: RecordedRequest | None) -> dict[str, Any] | None:
    if request is None:
        return None
    return {"method": request.method, "url": request.url, "body": request.body}


def _response_json(response: RecordedResponse | None) -> dict[str, Any] | None:
    if response is None:
        return None
    return {"status": response.status, "headers": response.headers, "body": response.text[:_PREVIEW]}


def _example_lines(request: RecordedRequest | None, response: RecordedResponse | None) -> list[str]:
    lines = []
    if request is not None:
        body = json.dumps(request.body, ensure_ascii=False, default=str) if request.body is not None else ""
        lines.append(f"   request:  {request.method} {request.url} {body}".rstrip())
    if response is not None:
        text = response.text if len(response.text) <= _PREVIEW else response.text[:_PREVIEW] + "…"
        lines.append(f"   response: {response.status} {text}")
    return lines
