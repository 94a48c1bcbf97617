"""Playwright fixtures: one app and one Debian chromium per module, a fresh page per test,
every JavaScript dialog recorded, and a screenshot under test-artifacts/ when a test fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.app_server import REPO, running_app
from tests.support.index_files import copy_index

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-gpu",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="module")
def app_data_dir(tmp_path_factory, corpus_data_dir) -> Path:
    """The data directory of the module's app (its index, conversations, feedback): a copy
    of the session's index of corpus/, so the app does not index corpus/ again."""
    return copy_index(corpus_data_dir, tmp_path_factory.mktemp("browser-app") / "data")


@pytest.fixture(scope="module")
def app_url(app_data_dir) -> Iterator[str]:
    with running_app(app_data_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `apt-get install -y chromium` (see Makefile).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageSession:
    """A page plus every dialog (alert/confirm/prompt) it tried to open."""

    page: object
    url: str
    dialogs: list[str] = field(default_factory=list)


def open_page(browser, url: str, viewport: dict, request, context=None) -> Iterator[PageSession]:
    context = context or browser.new_context(viewport=viewport, locale="ja-JP")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(60_000)
    session = PageSession(page, url)

    def record(dialog) -> None:
        session.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    try:
        yield session
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()


def in_new_conversation(sessions: Iterator[PageSession]) -> Iterator[PageSession]:
    """The page opens the latest saved conversation; a test starts a conversation of its own."""
    for session in sessions:
        session.page.click("#new-conversation")
        session.page.wait_for_function("!document.querySelector('#chatbot .ra-msg')")
        yield session


@pytest.fixture
def session(browser, app_url, request) -> Iterator[PageSession]:
    yield from in_new_conversation(open_page(browser, app_url, DESKTOP, request))


@pytest.fixture
def phone_session(browser, app_url, request) -> Iterator[PageSession]:
    yield from in_new_conversation(open_page(browser, app_url, PHONE, request))
