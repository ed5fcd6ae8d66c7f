"""Cursor pagination, one implementation behind every list: files paged two at a time in both orders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockai.server import ServerThread
from tests.conftest import API_KEY, start_server
from tests.response_guard import ResponseGuard

ORG = "org-pages"


@pytest.fixture(scope="module")
def pages_server() -> Iterator[ServerThread]:
    running = start_server()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def five_files(pages_server: ServerThread) -> list[str]:
    """Five files uploaded one second apart, oldest first."""
    headers = {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": ORG}
    ids = []
    with httpx.Client(base_url=pages_server.base_url, headers=headers) as http:
        for number in range(5):
            created = http.post("/v1/files", files={"file": (f"{number}.txt", b"x")}, data={"purpose": "assistants"})
            ids.append(created.json()["id"])
            http.post("/_mockai/clock/advance", json={"seconds": 1})
    return ids


@pytest.fixture
def http(pages_server: ServerThread, response_guard: ResponseGuard) -> httpx.Client:
    return response_guard.http(
        pages_server.base_url, {"Authorization": f"Bearer {API_KEY}", "OpenAI-Organization": ORG}
    )


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_five_files_two_at_a_time(http: httpx.Client, five_files: list[str], order: str) -> None:
    expected = five_files if order == "asc" else five_files[::-1]
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params = {"limit": 2, "order": order, **({"after": after} if after else {})}
        page = http.get("/v1/files", params=params).json()
        pages.append(page)
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert [[f["id"] for f in page["data"]] for page in pages] == [expected[0:2], expected[2:4], expected[4:5]]
    assert [page["has_more"] for page in pages] == [True, True, False]
    assert [(page["first_id"], page["last_id"]) for page in pages] == [
        (expected[0], expected[1]),
        (expected[2], expected[3]),
        (expected[4], expected[4]),
    ]


def test_files_list_newest_first_by_default(http: httpx.Client, five_files: list[str]) -> None:
    assert [f["id"] for f in http.get("/v1/files").json()["data"]] == five_files[::-1]


def test_the_sdk_auto_pagination_walks_every_page(
    pages_server: ServerThread, five_files: list[str], response_guard: ResponseGuard
) -> None:
    client = response_guard.openai(pages_server.base_url, api_key=API_KEY, organization=ORG)
    assert [f.id for f in client.files.list(limit=2, order="asc")] == five_files


@pytest.mark.parametrize(
    "after",
    ["file-doesnotexist000000000000", "file-of-another-organization"],
    ids=["never issued", "unknown here"],
)
def test_an_unknown_cursor_gives_an_empty_last_page(http: httpx.Client, five_files: list[str], after: str) -> None:
    page = http.get("/v1/files", params={"limit": 2, "after": after}).json()
    assert page == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_a_limit_of_zero_says_whether_files_exist(http: httpx.Client, five_files: list[str]) -> None:
    page = http.get("/v1/files", params={"limit": 0}).json()
    assert (page["data"], page["has_more"]) == ([], True)


def test_the_purpose_filter_applies_before_paging(http: httpx.Client, five_files: list[str]) -> None:
    page = http.get("/v1/files", params={"purpose": "fine-tune", "limit": 2}).json()
    assert (page["data"], page["has_more"]) == ([], False)


@pytest.mark.parametrize("path", ["/v1/batches", "/v1/files"])
def test_an_unknown_order_is_the_invalid_value_400(http: httpx.Client, path: str) -> None:
    refused = http.get(path, params={"order": "-1"})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "order"
    assert refused.json()["error"]["code"] == "invalid_value"
