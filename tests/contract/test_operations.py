"""The contract's own operation table agrees with the mock's endpoint table, and families select as documented."""

from __future__ import annotations

import inspect

import pytest

from mockai.api.endpoint import Endpoint
from mockai.api.routes import ALL_ENDPOINTS, ENDPOINTS, LazyHandler
from mockai.contract.operations import FAMILIES, OPERATIONS, select


@pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))
def test_every_documented_operation_is_a_row_of_the_endpoint_table(operation: object) -> None:
    rows = {(row.method, row.path, row.operation_id, row.tag) for row in ENDPOINTS}
    op = OPERATIONS[str(getattr(operation, "operation_id", ""))]
    assert (op.method, f"/v1{op.path}", op.operation_id, op.family) in rows


def test_the_contract_covers_every_openai_row_of_the_endpoint_table() -> None:
    documented = {row.operation_id for row in ENDPOINTS if row.path.startswith("/v1/") and row.auth == "openai"}
    # Engine-routed twins are the legacy SDK's spelling of documented operations, checked through those.
    assert all(name.startswith("createEngine") for name in documented - set(OPERATIONS))


def test_families_select_their_operations_in_reference_order() -> None:
    assert [op.operation_id for op in select("chat,models")] == [
        "listModels",
        "retrieveModel",
        "deleteModel",
        "createChatCompletion",
        "listChatCompletions",
        "getChatCompletion",
        "updateChatCompletion",
        "deleteChatCompletion",
        "getChatCompletionMessages",
    ]
    assert select(None) == list(OPERATIONS.values())
    assert "fine-tuning" in FAMILIES


def test_an_unknown_family_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"unknown endpoint families \['chats'\]; choose from models, "):
        select("chats")


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=lambda endpoint: f"{endpoint.method} {endpoint.path}")
def test_every_row_names_a_handler_that_exists(endpoint: Endpoint) -> None:
    # Handlers are imported on their first request: a misspelt name would otherwise first fail as a user's 500.
    found = endpoint.handler.resolve() if isinstance(endpoint.handler, LazyHandler) else endpoint.handler
    assert inspect.iscoroutinefunction(found)
