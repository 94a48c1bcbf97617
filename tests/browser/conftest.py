"""Playwright fixtures: one app and one Debian chromium per module, a fresh page per test,
every JavaScript dialog recorded, and a screenshot under test-artifacts/ when a test fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.app_server import REPO, running_app

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
def app_url(tmp_path_factory, model_dir) -> Iterator[str]:
    with running_app(tmp_path_factory.mktemp("browser-app") / "data") as url:
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


def open_page(browser, url: str, viewport: dict, request) -> Iterator[PageSession]:
    context = browser.new_context(viewport=viewport, locale="ja-JP")
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


@pytest.fixture
def session(browser, app_url, request) -> Iterator[PageSession]:
    yield from open_page(browser, app_url, DESKTOP, request)


@pytest.fixture
def phone_session(browser, app_url, request) -> Iterator[PageSession]:
    yield from open_page(browser, app_url, PHONE, request)
