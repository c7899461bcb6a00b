"""Real Chromium for the end-to-end tests (Debian's package; Playwright drives it), the SMTP
server they send to, and screenshots under tests/artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.live_server import ROOT
from tests.smtp_server import SmtpTestServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


ARTIFACTS = ROOT / "tests" / "artifacts"


LOGIN = ("jonas.berger@engagement-desk.de", "demo-passwort-2026")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


def open_section(page, summary: str) -> None:
    """Forms sit in <details>; some start open, so set it open instead of toggling."""
    page.locator(f"details:has(> summary:has-text('{summary}'))").first.evaluate("d => d.open = true")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
