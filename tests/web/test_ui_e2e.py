"""The admin UI end to end in real Chromium: sign in, set up an engagement, measure a pilot,
generate and download a proposal, send a digest that arrives at the SMTP server.

A real server (`desk run`: API, UI and embedded job worker) runs in a subprocess against a
fresh SQLite database and the test Redis; screenshots land in tests/artifacts/.
"""

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser import CHROMIUM, LOGIN, open_section, shot
from tests.conftest import redis_url
from tests.live_server import live_server
from tests.smtp_server import SmtpTestServer

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpTestServer) -> Iterator[str]:
    with live_server(tmp_path_factory.mktemp("ui"), smtp_url=smtp.url, redis_url=redis_url(10)) as base:
        yield base


def test_consultant_runs_an_engagement_in_the_browser(server: str, browser, smtp: SmtpTestServer) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 1360, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto("/")
    assert "/login" in page.url
    page.fill("#email", LOGIN[0])
    page.fill("#password", "falsch")
    page.click("button[type=submit]")
    assert "E-Mail oder Passwort ist falsch." in page.content()
    page.fill("#password", LOGIN[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    assert page.get_by_role("heading", name="Übersicht").is_visible()
    shot(page, "dashboard")

    # a client with a digest recipient
    page.goto("/clients")
    page.fill("#f-name", "Schreinerei Holzmann GmbH")
    page.fill("#f-city", "Freiburg")
    page.click("text=Anlegen")
    page.wait_for_url("**/clients/*")
    open_section(page, "Kontakt hinzufügen")
    page.locator("form[action$='/contacts'] #f-name").fill("Petra Holzmann")
    page.locator("form[action$='/contacts'] #f-email").fill("petra@holzmann.de")
    page.locator("form[action$='/contacts'] input[name=receives_digest]").check()
    page.click("text=Kontakt speichern")
    assert "petra@holzmann.de" in page.content()

    # an engagement for it, with a validation error first
    page.click("text=Neues Engagement")
    page.fill("#new-title", "KI-Quickstart Angebote")
    page.fill("#new-start_date", "2026-11-02")
    page.fill("#new-duration_weeks", "0")
    page.fill("#new-fixed_fee", "12.000,00")
    page.click("text=Engagement anlegen")
    assert page.locator("#new-e-duration_weeks").is_visible()
    assert page.input_value("#new-title") == "KI-Quickstart Angebote"  # nothing typed is lost
    page.fill("#new-duration_weeks", "6")
    page.click("text=Engagement anlegen")
    page.wait_for_url("**/engagements/*")
    engagement_url = page.url

    # a workshop and a pilot
    open_section(page, "Workshop hinzufügen")
    page.fill("#ws-title", "Use-Case-Workshop Angebote")
    page.fill("#ws-starts_at", "2026-11-10T09:00")
    page.fill("#ws-ends_at", "2026-11-10T13:00")
    page.click("text=Workshop speichern")
    assert "Use-Case-Workshop Angebote" in page.content()
    open_section(page, "Pilot hinzufügen")
    page.fill("#pi-title", "Angebotsassistent")
    page.click("text=Pilot speichern")
    page.click("a:has-text('Angebotsassistent')")
    page.wait_for_url("**/pilots/*")

    # a KPI with two measurements; the savings appear
    open_section(page, "Kennzahl hinzufügen")
    page.fill("#k-name", "Bearbeitungszeit pro Angebot")
    page.fill("#k-baseline_value", "90")
    page.fill("#k-target_value", "45")
    page.fill("#k-monthly_volume", "120")
    page.fill("#k-hourly_cost", "65,00")
    page.fill("#k-run_cost_monthly", "150")
    page.click("text=Kennzahl speichern")
    for day, value in (("2026-11-12", "62"), ("2026-11-19", "41")):
        open_section(page, "Messwert hinzufügen")
        form = page.locator("details:has(> summary:has-text('Messwert hinzufügen'))").first
        form.locator("input[name=measured_on]").fill(day)
        form.locator("input[name=value]").fill(value)
        page.click("text=Messwert speichern")
    content = page.content()
    assert "6.220,00" in content and "98,00" in content  # net €/month and hours/month from 90 → 41 min
    shot(page, "pilot")

    # proposal: generate, wait for the live status, download
    page.goto(engagement_url)
    page.click("text=Angebot erzeugen")
    download_link = page.locator("a:has-text('Herunterladen')").first
    download_link.wait_for(timeout=30_000)
    with page.expect_download() as info:
        download_link.click()
    pdf = Path(info.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Schreinerei Holzmann GmbH" in text and "14.280,00" in text  # 12.000 € + 19 % VAT

    # digest: only active engagements send one
    for status in ("Angeboten", "Aktiv"):
        page.click(f"button:has-text('→ {status}')")
    page.click("text=Digest jetzt senden")
    deadline = time.monotonic() + 30
    while not any(m.rcpt_tos == ["petra@holzmann.de"] for m in smtp.messages):
        assert time.monotonic() < deadline, "the digest did not arrive"
        time.sleep(0.2)
    mail = next(m for m in smtp.messages if m.rcpt_tos == ["petra@holzmann.de"]).message
    assert mail["Subject"].startswith("Statusbericht KW")
    assert [a.get_content_type() for a in mail.iter_attachments()] == ["application/pdf"]
    page.reload()
    shot(page, "engagement")
    context.close()
