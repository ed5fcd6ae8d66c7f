"""The mockai control plane under `/_mockai`: its own small route table, outside the OpenAI `/v1` namespace."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import __version__, errors
from mockai.api.endpoint import Endpoint
from mockai.api.journal_page import journal_asset, show_journal
from mockai.api.responses import json_response, list_response
from mockai.api.services import services
from mockai.cassettes.player import CassetteOptions
from mockai.cassettes.storage import CassetteError
from mockai.control.journal import redact_secrets


async def health(request: Request, _: None) -> Response:
    return json_response({"status": "ok", "version": __version__, "mockai": True})


async def advance_clock(request: Request, body: dict[str, Any]) -> Response:
    clock = services(request).clock
    try:
        now = clock.advance(float(body["seconds"]))
    except ValueError as exc:
        raise errors.invalid_field("seconds", str(exc)) from None
    return json_response({"now": now})


async def read_clock(request: Request, _: None) -> Response:
    clock = services(request).clock
    return json_response({"now": clock.now(), "time_scale": clock.time_scale})


async def reset(request: Request, _: None) -> Response:
    try:
        services(request).reset()
    except CassetteError as exc:  # the --cassette file was broken since the start
        raise errors.invalid_control_document(str(exc)) from None
    return json_response({"reset": True})


async def create_rule(request: Request, body: dict[str, Any]) -> Response:
    try:
        rule = services(request).rules.add(body)
    except ValueError as exc:
        raise errors.invalid_control_document(str(exc)) from None
    return json_response(rule.to_json(), status=201)


async def list_rules(request: Request, _: None) -> Response:
    return list_response(rule.to_json() for rule in services(request).rules)


async def retrieve_rule(request: Request, _: None) -> Response:
    rule_id = request.path_params["rule_id"]
    rule = services(request).rules.get(rule_id)
    if rule is None:
        raise errors.control_object_not_found("rule", rule_id)
    return json_response(rule.to_json())


async def delete_rule(request: Request, _: None) -> Response:
    rule_id = request.path_params["rule_id"]
    if not services(request).rules.remove(rule_id):
        raise errors.control_object_not_found("rule", rule_id)
    return json_response({"id": rule_id, "deleted": True})


async def delete_rules(request: Request, _: None) -> Response:
    services(request).rules.clear()
    return json_response({"deleted": True})


async def create_scenario(request: Request, body: dict[str, Any]) -> Response:
    try:
        scenario = services(request).scenarios.add(body)
    except ValueError as exc:
        raise errors.invalid_control_document(str(exc)) from None
    return json_response(scenario.to_json(), status=201)


async def list_scenarios(request: Request, _: None) -> Response:
    return list_response(scenario.to_json() for scenario in services(request).scenarios)


async def retrieve_scenario(request: Request, _: None) -> Response:
    scenario_id = request.path_params["scenario_id"]
    scenario = services(request).scenarios.get(scenario_id)
    if scenario is None:
        raise errors.control_object_not_found("scenario", scenario_id)
    return json_response(scenario.to_json())


async def delete_scenario(request: Request, _: None) -> Response:
    scenario_id = request.path_params["scenario_id"]
    if not services(request).scenarios.remove(scenario_id):
        raise errors.control_object_not_found("scenario", scenario_id)
    return json_response({"id": scenario_id, "deleted": True})


async def delete_scenarios(request: Request, _: None) -> Response:
    services(request).scenarios.clear()
    return json_response({"deleted": True})


async def list_requests(request: Request, _: None) -> Response:
    query = request.query_params
    status, after = query.get("status"), query.get("after")
    journal = services(request).journal
    found = journal.filter(
        after=int(after) if after and after.isdigit() else None,
        method=query.get("method"),
        path=query.get("path"),
        status=int(status) if status and status.isdigit() else None,
        rule_id=query.get("rule_id"),
        operation_id=query.get("operation_id"),
        model=query.get("model"),
        scenario=query.get("scenario"),
    )
    entries = (event.to_json() for event in found)
    if query.get("redact") == "true":  # what the journal page shows: credentials masked in bodies too
        entries = (redact_secrets(entry) for entry in entries)
    return list_response(entries, generation=journal.generation)


async def clear_requests(request: Request, _: None) -> Response:
    services(request).journal.clear()
    return json_response({"deleted": True})


async def create_fault(request: Request, body: dict[str, Any]) -> Response:
    try:
        fault = services(request).faults.add(body)
    except ValueError as exc:
        raise errors.invalid_control_document(str(exc)) from None
    return json_response(fault.to_json(), status=201)


async def list_faults(request: Request, _: None) -> Response:
    return list_response(fault.to_json() for fault in services(request).faults)


async def delete_fault(request: Request, _: None) -> Response:
    fault_id = request.path_params["fault_id"]
    if not services(request).faults.remove(fault_id):
        raise errors.control_object_not_found("fault", fault_id)
    return json_response({"id": fault_id, "deleted": True})


async def delete_faults(request: Request, _: None) -> Response:
    services(request).faults.clear()
    return json_response({"deleted": True})


async def script_transcript(request: Request, body: dict[str, Any]) -> Response:
    services(request).transcripts.register(body["sha256"], body["text"])
    return json_response({"sha256": body["sha256"].lower(), "text": body["text"]})


async def use_cassette(request: Request, body: dict[str, Any]) -> Response:
    try:
        loaded = services(request).cassettes.use(CassetteOptions.from_json(body))
    except CassetteError as exc:
        raise errors.invalid_control_document(str(exc)) from None
    return json_response({"active": True, **loaded.to_json()})


async def read_cassette(request: Request, _: None) -> Response:
    loaded = services(request).cassettes.active
    return json_response({"active": True, **loaded.to_json()} if loaded is not None else {"active": False})


async def eject_cassette(request: Request, _: None) -> Response:
    services(request).cassettes.eject()
    return json_response({"active": False})


def _admin(method: str, path: str, handler: Any, operation_id: str, schema: str | None = None) -> Endpoint:
    if schema is None:
        return Endpoint(method, path, handler, operation_id, "admin", auth="admin")
    return Endpoint(method, path, handler, operation_id, "admin", body="json", request_schema=schema, auth="admin")


# fmt: off
CONTROL_ENDPOINTS: tuple[Endpoint, ...] = (
    _admin("POST", "/_mockai/reset", reset, "mockaiReset"),
    _admin("POST", "/_mockai/rules", create_rule, "mockaiCreateRule", "mockai/rule"),
    _admin("GET", "/_mockai/rules", list_rules, "mockaiListRules"),
    _admin("DELETE", "/_mockai/rules", delete_rules, "mockaiDeleteRules"),
    _admin("GET", "/_mockai/rules/{rule_id}", retrieve_rule, "mockaiRetrieveRule"),
    _admin("DELETE", "/_mockai/rules/{rule_id}", delete_rule, "mockaiDeleteRule"),
    _admin("POST", "/_mockai/scenarios", create_scenario, "mockaiCreateScenario", "mockai/scenario"),
    _admin("GET", "/_mockai/scenarios", list_scenarios, "mockaiListScenarios"),
    _admin("DELETE", "/_mockai/scenarios", delete_scenarios, "mockaiDeleteScenarios"),
    _admin("GET", "/_mockai/scenarios/{scenario_id}", retrieve_scenario, "mockaiRetrieveScenario"),
    _admin("DELETE", "/_mockai/scenarios/{scenario_id}", delete_scenario, "mockaiDeleteScenario"),
    _admin("GET", "/_mockai/requests", list_requests, "mockaiListRequests"),
    _admin("DELETE", "/_mockai/requests", clear_requests, "mockaiClearRequests"),
    _admin("POST", "/_mockai/faults", create_fault, "mockaiCreateFault", "mockai/fault"),
    _admin("GET", "/_mockai/faults", list_faults, "mockaiListFaults"),
    _admin("DELETE", "/_mockai/faults", delete_faults, "mockaiDeleteFaults"),
    _admin("DELETE", "/_mockai/faults/{fault_id}", delete_fault, "mockaiDeleteFault"),
    _admin("POST", "/_mockai/transcripts", script_transcript, "mockaiScriptTranscript", "mockai/transcript"),
    _admin("PUT", "/_mockai/cassette", use_cassette, "mockaiUseCassette", "mockai/cassette-use"),
    _admin("GET", "/_mockai/cassette", read_cassette, "mockaiReadCassette"),
    _admin("DELETE", "/_mockai/cassette", eject_cassette, "mockaiEjectCassette"),
)
# fmt: on

ADMIN_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/_mockai/health", health, "mockaiHealth", "admin", auth="none"),
    # The journal page checks the admin token itself: it answers a browser with a sign-in form, not JSON.
    Endpoint("GET", "/_mockai/ui", show_journal, "mockaiJournalPage", "admin", auth="none"),
    Endpoint("GET", "/_mockai/ui/{asset}", journal_asset, "mockaiJournalAsset", "admin", auth="none"),
    Endpoint("GET", "/_mockai/clock", read_clock, "mockaiReadClock", "admin", auth="admin"),
    Endpoint(
        "POST",
        "/_mockai/clock/advance",
        advance_clock,
        "mockaiAdvanceClock",
        "admin",
        body="json",
        request_schema="mockai/clock-advance",
        auth="admin",
    ),
    *CONTROL_ENDPOINTS,
)
