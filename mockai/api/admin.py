"""The mockai control plane under `/_mockai`: its own small route table, outside the OpenAI `/v1` namespace."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockai import __version__, errors
from mockai.api.endpoint import Endpoint
from mockai.api.responses import json_response, list_response
from mockai.api.services import services


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
    services(request).reset()
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


async def list_requests(request: Request, _: None) -> Response:
    query = request.query_params
    status = query.get("status")
    found = services(request).journal.filter(
        method=query.get("method"),
        path=query.get("path"),
        status=int(status) if status and status.isdigit() else None,
        rule_id=query.get("rule_id"),
        operation_id=query.get("operation_id"),
        model=query.get("model"),
    )
    return list_response(event.to_json() for event in found)


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
    _admin("GET", "/_mockai/requests", list_requests, "mockaiListRequests"),
    _admin("DELETE", "/_mockai/requests", clear_requests, "mockaiClearRequests"),
    _admin("POST", "/_mockai/faults", create_fault, "mockaiCreateFault", "mockai/fault"),
    _admin("GET", "/_mockai/faults", list_faults, "mockaiListFaults"),
    _admin("DELETE", "/_mockai/faults", delete_faults, "mockaiDeleteFaults"),
    _admin("DELETE", "/_mockai/faults/{fault_id}", delete_fault, "mockaiDeleteFault"),
    _admin("POST", "/_mockai/transcripts", script_transcript, "mockaiScriptTranscript", "mockai/transcript"),
)
# fmt: on

ADMIN_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/_mockai/health", health, "mockaiHealth", "admin", auth="none"),
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
