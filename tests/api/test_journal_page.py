"""The journal page at `/_mockai/ui`, driven in headless Chromium against a real server: what a person sees.

Playwright drives the system's Chromium (Debian's `chromium` package; `.ci/run` installs it). Only a machine
without a Chromium binary skips these tests. One browser serves the whole module, and the page's poll timer runs on
Playwright's fake clock, so a test moves it on instead of waiting a second for each update. Screenshots of what was
asserted are written to the test's temporary directory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from mockai.server import ServerThread
from mockai.testing import MockAI
from tests.conftest import API_KEY, start_server

ADMIN_TOKEN = "journal-admin-token"
POLL_SECONDS = 1.0  # the page's poll interval (journal.js POLL_MS)
# The flags the system Chromium needs in this sandbox (root, no GPU, no network beyond loopback).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = "<script>window.__pwned = 1</script><img src=x onerror='window.__pwned = 2'>"
WEATHER = [{"role": "user", "content": "What's the weather in Paris?"}]


def _chromium() -> str | None:
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium binary installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[ServerThread]:
    running = start_server(admin_token=ADMIN_TOKEN)
    yield running
    running.stop()


@pytest.fixture
def mock(guarded_server: ServerThread) -> Iterator[MockAI]:
    handle = MockAI(guarded_server.base_url, api_key=API_KEY, admin_token=ADMIN_TOKEN)
    handle.reset()
    yield handle
    handle.reset()
    handle.close()


@pytest.fixture
def sdk(guarded_server: ServerThread) -> Iterator[Any]:
    with openai.OpenAI(base_url=f"{guarded_server.base_url}/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(viewport={"width": 1400, "height": 800})
    yield fresh
    fresh.close()


@pytest.fixture
def journal(context: BrowserContext, mock: MockAI) -> Page:
    """The journal page, signed in with `?token=`, its timers on a fake clock."""
    page = context.new_page()
    page.clock.install()
    page.goto(f"{mock.base_url}/_mockai/ui?token={ADMIN_TOKEN}")
    expect(page.locator("#status")).to_contain_text("live")
    return page


def _next_poll(page: Page) -> None:
    page.clock.run_for(int(POLL_SECONDS * 1000))


def _rows(page: Page) -> Any:
    return page.locator("#journal > details.entry:visible")


def test_requests_appear_as_they_arrive(journal: Page, mock: MockAI, sdk: Any, tmp_path: Path) -> None:
    assert journal.url.endswith("/_mockai/ui")  # the token left the address bar
    expect(journal.locator("#empty")).to_contain_text(f"Point a client at {mock.base_url}/v1")
    mock.chat.reply("Sunny", when=mock.match(last_user="weather"))
    sdk.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    _next_poll(journal)
    expect(_rows(journal)).to_have_count(1)
    sdk.embeddings.create(model="text-embedding-ada-002", input="hello")
    sdk.models.list()
    _next_poll(journal)
    rows = _rows(journal)
    expect(rows).to_have_count(3)
    expect(journal.locator("#empty")).to_be_hidden()
    newest_first = [rows.nth(i).locator("summary .path").inner_text() for i in range(3)]
    assert newest_first == ["/v1/models", "/v1/embeddings", "/v1/chat/completions"]
    chat = rows.nth(2).locator("summary")
    expect(chat.locator(".method")).to_have_text("POST")
    expect(chat.locator(".status")).to_have_text("200")
    expect(chat.locator(".model")).to_have_text("gpt-3.5-turbo")
    expect(chat.locator(".answered")).to_have_text("rule rule-1")
    expect(rows.nth(1).locator(".answered")).to_have_text("built-in")
    journal.screenshot(path=tmp_path / "journal-rows.png", full_page=True)


def test_filters_narrow_the_rows(journal: Page, sdk: Any, guarded_server: ServerThread, tmp_path: Path) -> None:
    sdk.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER)
    sdk.embeddings.create(model="text-embedding-ada-002", input="a needle in the haystack")
    httpx.get(f"{guarded_server.base_url}/v1/models/no-such-model", headers={"Authorization": f"Bearer {API_KEY}"})
    httpx.get(f"{guarded_server.base_url}/v1/models")  # no key: 401
    _next_poll(journal)
    expect(_rows(journal)).to_have_count(4)
    journal.fill("#filter-status", "4xx")
    expect(_rows(journal)).to_have_count(2)
    expect(journal.locator("#status")).to_contain_text("2 of 4 requests shown")
    journal.fill("#filter-status", "401")
    expect(_rows(journal).locator(".path")).to_have_text(["/v1/models"])
    journal.fill("#filter-status", "")
    journal.fill("#filter-path", "embeddings")
    expect(_rows(journal).locator(".path")).to_have_text(["/v1/embeddings"])
    journal.fill("#filter-path", "")
    journal.fill("#filter-model", "gpt-3.5")
    expect(_rows(journal).locator(".path")).to_have_text(["/v1/chat/completions"])
    journal.fill("#filter-model", "")
    journal.fill("#filter-text", "NEEDLE")  # any text of the entry, bodies included, any case
    expect(_rows(journal).locator(".path")).to_have_text(["/v1/embeddings"])
    journal.screenshot(path=tmp_path / "journal-filtered.png", full_page=True)
    journal.fill("#filter-text", "")
    expect(_rows(journal)).to_have_count(4)


def test_bodies_are_shown_as_text_with_secrets_masked(journal: Page, sdk: Any, tmp_path: Path) -> None:
    prompt = f"{HOSTILE} and my key is sk-proj-abcdefghijklmnop0123456789"
    sdk.chat.completions.create(model="gpt-3.5-turbo", messages=[{"role": "user", "content": prompt}])
    _next_poll(journal)
    row = _rows(journal).first
    row.locator("summary").click()
    request_body = row.locator("pre.request-body")
    expect(request_body).to_contain_text(HOSTILE)  # the markup, as characters on the screen
    expect(request_body).to_contain_text("my key is [redacted]")
    expect(request_body).not_to_contain_text("sk-proj-abcdefghij")
    expect(row.locator(".headers")).to_contain_text("user-agent")
    expect(row.locator(".headers")).not_to_contain_text("authorization")
    expect(row.locator("pre.response-body")).to_contain_text('"object": "chat.completion"')
    assert journal.evaluate("window.__pwned") is None
    assert journal.locator("#journal script, #journal img").count() == 0
    journal.screenshot(path=tmp_path / "journal-hostile-body.png", full_page=True)


def test_streams_faults_and_near_misses_are_summarised(journal: Page, mock: MockAI, sdk: Any, tmp_path: Path) -> None:
    mock.chat.reply("Only for gpt-4", when=mock.match(model="gpt-4"))
    mock.faults.drop_stream(after_chunks=2)
    stream = sdk.chat.completions.create(model="gpt-3.5-turbo", messages=WEATHER, stream=True)
    with pytest.raises(openai.APIConnectionError):
        list(stream)
    mock.rules[0].delete()
    _next_poll(journal)
    row = _rows(journal).first
    expect(row.locator(".notes")).to_have_text("stream cut after 2 · faults: fault-1:drop_stream · near misses: 1")
    row.locator("summary").click()
    expect(row.locator(".stream")).to_have_text("stream: 2 chunks, cut off without [DONE], " + _bytes(row))
    expect(row.locator(".near-misses")).to_contain_text("rule-1: model: expected == 'gpt-4', got 'gpt-3.5-turbo'")
    expect(row.locator(".faults")).to_have_text("fault-1:drop_stream")
    journal.screenshot(path=tmp_path / "journal-stream.png", full_page=True)


def _bytes(row: Any) -> str:
    text: str = row.locator(".stream").inner_text()
    return text.rsplit(", ", 1)[-1]  # the byte count varies with the text; its place in the line does not


def test_a_reset_is_marked_and_new_requests_follow(journal: Page, mock: MockAI, sdk: Any) -> None:
    sdk.models.list()
    _next_poll(journal)
    expect(_rows(journal)).to_have_count(1)
    mock.reset()
    sdk.models.retrieve("gpt-4")
    _next_poll(journal)
    expect(journal.locator("#journal > .divider")).to_contain_text("journal cleared")
    expect(_rows(journal).locator(".path")).to_have_text(["/v1/models/gpt-4", "/v1/models"])
    expect(_rows(journal).locator(".number").first).to_have_text("1")  # ids start again after a reset


def test_the_admin_token_is_required(context: BrowserContext, guarded_server: ServerThread, tmp_path: Path) -> None:
    page = context.new_page()
    response = page.goto(f"{guarded_server.base_url}/_mockai/ui")
    assert response is not None and response.status == 401
    expect(page.locator("#journal")).to_have_count(0)
    page.fill("input[name=token]", "not-the-token")
    page.click("button[type=submit]")
    expect(page.locator(".notice")).to_have_text("That is not the admin token of this server.")
    page.screenshot(path=tmp_path / "journal-sign-in.png")
    assert page.evaluate("fetch('requests').then(r => r.status)") == 401  # no cookie, no journal
    page.fill("input[name=token]", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("#status")).to_contain_text("live")
    assert page.url == f"{guarded_server.base_url}/_mockai/ui"
    assert page.evaluate("fetch('requests').then(r => r.status)") == 200
    # The cookie only reads: changing the server still takes the Bearer header.
    assert page.evaluate("fetch('reset', {method: 'POST'}).then(r => r.status)") == 401
