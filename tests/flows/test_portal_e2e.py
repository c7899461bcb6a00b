"""The client portal end to end in real Chromium: sign in with an emailed single-use link,
choose the proposal's options and accept it, sign off one deliverable (its file seen, a
reservation noted) and reject another, ask for changes to a second offer, approve a time
statement, download the proposal, sign out, and find the used link refused.

A real server (`desk run`: API, pages and embedded job worker) runs in a subprocess against a
fresh SQLite database and Redis db 11, mailing to an in-process SMTP server; `DESK_PUBLIC_URL`
points emailed links at it. The engagement is set up through the REST API as the consultant.
Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis

from tests.browser import CHROMIUM, LOGIN, shot
from tests.conftest import redis_url
from tests.live_server import live_server
from tests.portal_helpers import text_of
from tests.smtp_server import SmtpTestServer, free_port

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")

PORTAL_REDIS_URL = redis_url(11)
CLIENT = "Holzbau Schwarz GmbH"
CONTACT = "Katrin Schwarz"
BERLIN = ZoneInfo("Europe/Berlin")
TIMEOUT = 30.0
ARTEFACT = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpTestServer) -> Iterator[str]:
    """`desk run` with DESK_PUBLIC_URL set to its own address, so emailed links lead back to it."""
    redis.Redis.from_url(PORTAL_REDIS_URL).flushdb()
    with live_server(tmp_path_factory.mktemp("portal"), smtp_url=smtp.url, redis_url=PORTAL_REDIS_URL) as base:
        yield base


# -- the consultant's side, through the REST API -------------------------------------------------


class Consultant:
    """The REST API as the demo consultant."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=f"{base}/api/v1", timeout=10)
        login = self.http.post("/auth/login", json={"email": LOGIN[0], "password": LOGIN[1]})
        assert login.status_code in (200, 201), login.text
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

    def get(self, path: str) -> dict[str, Any]:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 201) -> dict[str, Any]:
        response = self.http.post(path, json=body)
        assert response.status_code == status, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.put(path, json=body)
        assert response.status_code == 200, f"PUT {path}: {response.status_code} {response.text}"
        return response.json()

    def upload(self, path: str, name: str, content: bytes) -> dict[str, Any]:
        response = self.http.post(path, files={"file": (name, content)})
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    def close(self) -> None:
        self.http.close()


def wait_until(what: str, check: Any, timeout: float = TIMEOUT) -> Any:
    """Poll `check()` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def set_up_engagement(api: Consultant, email: str) -> dict[str, Any]:
    """A client with a portal contact, a proposed engagement whose proposal was sent, a future
    workshop and two delivered deliverables."""
    client = api.post("/clients", {"name": CLIENT, "city": "Freudenstadt", "employee_count": 40})
    contact = api.post("/contacts", {"client_id": client["id"], "name": CONTACT, "email": email, "portal_access": True})
    today = datetime.now(BERLIN).date()
    engagement = api.post(
        "/engagements",
        {
            "client_id": client["id"],
            "title": "KI-Quickstart Holzbau",
            "start_date": (today - timedelta(days=14)).isoformat(),
            "duration_weeks": 6,
            "pricing_model": "fixed_fee",
            "fixed_fee": "18000.00",
            "goals": "Angebote in der halben Zeit",
            "lead_consultant_id": api.get("/auth/me")["id"],
        },
    )
    assert engagement["status"] == "draft"
    # The offer: two base items (12.000 + 6.000), a training to add, a larger pilot instead of item 2.
    items = [
        {"title": "Use-Case-Workshop und Leitlinie", "unit_price": "12000.00"},
        {"title": "Prototyp Aufmaß-Assistent", "quantity": "4", "unit": "day", "unit_price": "1500.00"},
        {"title": "Schulung KI-Kompetenz", "unit_price": "2400.00", "kind": "optional"},
        {"title": "Prototyp mit CAD-Anbindung", "unit_price": "9500.00", "kind": "alternative", "replaces": 2},
    ]
    engagement = api.put(
        f"/engagements/{engagement['id']}/proposal-items", {"items": items, "version": engagement["version"]}
    )
    assert engagement["fixed_fee"] == "18000.00"
    day = today + timedelta(days=7)
    starts = datetime.combine(day, clock(9, 0), BERLIN)
    workshop = api.post(
        "/workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "use_case_discovery",
            "title": "Use-Case-Workshop Holzbau",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "location": "Freudenstadt",
        },
    )
    deliverables = []
    for week, title, kind in ((2, "KI-Leitlinie Holzbau", "guideline"), (3, "Prototyp Aufmaß-Assistent", "prototype")):
        row = api.post(
            "/deliverables", {"engagement_id": engagement["id"], "title": title, "kind": kind, "due_week": week}
        )
        api.upload(f"/deliverables/{row['id']}/artefacts", f"{title}.pdf", ARTEFACT)
        row = api.get(f"/deliverables/{row['id']}")
        for to in ("in_progress", "in_review", "delivered"):
            row = api.post(f"/deliverables/{row['id']}/transitions", {"to": to, "version": row["version"]}, status=200)
        deliverables.append(row)
    queued = api.post(f"/engagements/{engagement['id']}/documents", {"kind": "proposal"}, status=202)
    proposal = wait_until(
        "the proposal PDF",
        lambda: d if (d := api.get(f"/documents/{queued['id']}"))["status"] in ("ready", "failed") else None,
    )
    assert proposal["status"] == "ready", proposal
    api.post(f"/documents/{proposal['id']}/release", status=202)
    assert api.get(f"/engagements/{engagement['id']}")["status"] == "proposed"
    api.post(f"/deliverables/{deliverables[0]['id']}/acceptance-request", {"deadline_days": 14})
    return {
        "client": client,
        "contact": contact,
        "engagement": engagement,
        "workshop": workshop,
        "proposal": api.get(f"/documents/{proposal['id']}"),
        "deliverables": deliverables,
    }


def second_offer(api: Consultant, client_id: int) -> dict[str, Any]:
    """A follow-up engagement of the same client whose proposal was sent."""
    today = datetime.now(BERLIN).date()
    engagement = api.post(
        "/engagements",
        {
            "client_id": client_id,
            "title": "KI-Folgeprojekt Holzbau",
            "start_date": (today + timedelta(days=28)).isoformat(),
            "duration_weeks": 4,
            "pricing_model": "fixed_fee",
            "fixed_fee": "9000.00",
            "goals": "Support-Anfragen vorsortieren",
            "lead_consultant_id": api.get("/auth/me")["id"],
        },
    )
    starts = datetime.combine(today + timedelta(days=28), clock(9, 0), BERLIN)
    api.post(
        "/workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "kickoff",
            "title": "Kickoff Folgeprojekt",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
        },
    )
    queued = api.post(f"/engagements/{engagement['id']}/documents", {"kind": "proposal"}, status=202)
    proposal = wait_until(
        "the second proposal",
        lambda: d if (d := api.get(f"/documents/{queued['id']}"))["status"] in ("ready", "failed") else None,
    )
    assert proposal["status"] == "ready", proposal
    api.post(f"/documents/{proposal['id']}/release", status=202)
    return proposal


def state_time(api: Consultant, engagement_id: int) -> dict[str, Any]:
    """Two entries of the last days, stated and sent to the client."""
    today = datetime.now(BERLIN).date()
    for days_ago, minutes, what in ((3, 210, "Ist-Aufnahme Aufmaß"), (2, 240, "Workshop vorbereitet")):
        day = (today - timedelta(days=days_ago)).isoformat()
        body = {"engagement_id": engagement_id, "day": day, "minutes": minutes, "description": what}
        api.post("/time-entries", body)
    period = {"period_start": (today - timedelta(days=14)).isoformat(), "period_end": today.isoformat()}
    queued = api.post(f"/engagements/{engagement_id}/documents", {"kind": "time_statement", **period}, status=202)
    statement = wait_until(
        "the time statement PDF",
        lambda: d if (d := api.get(f"/documents/{queued['id']}"))["status"] in ("ready", "failed") else None,
    )
    assert statement["status"] == "ready", statement
    api.post(f"/documents/{statement['id']}/release", status=202)
    return statement


# -- the client's side, in the browser -----------------------------------------------------------

LOGIN_PATH = re.compile(r"(https?://[^\s\"<>]+)(/portal/login/[A-Za-z0-9_\-]+)")


def login_link_from(smtp: SmtpTestServer, email: str, after: int) -> tuple[str, str]:
    """(base, path) of the sign-in link in the first sign-in mail to `email` after message #after."""

    def find() -> tuple[str, str] | None:
        for mail in smtp.messages[after:]:
            if mail.rcpt_tos == [email] and (match := LOGIN_PATH.search(text_of(mail))):
                return match.group(1), match.group(2)
        return None

    return wait_until("the sign-in mail", find)


def test_client_accepts_the_proposal_and_decides_on_deliverables(
    portal_server: str,
    browser,
    smtp: SmtpTestServer,
) -> None:
    email = f"k.schwarz.{free_port()}@holzbau-schwarz.de"
    api = Consultant(portal_server)
    try:
        world = set_up_engagement(api, email)
        engagement_id, proposal = world["engagement"]["id"], world["proposal"]
        first, second = world["deliverables"]

        context = browser.new_context(
            base_url=portal_server, viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="de-DE"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()

        # 1. ask for a sign-in link
        page.goto("/portal/login")
        assert page.get_by_role("heading", name="Kundenportal").is_visible()
        mails_before = len(smtp.messages)
        page.fill("#email", email)
        page.click("button:has-text('Anmeldelink senden')")
        page.get_by_text("Wenn diese Adresse Zugang zum Kundenportal hat, ist ein Anmeldelink unterwegs.").wait_for()
        assert page.get_by_text("Der Link gilt 20 Minuten und nur für eine Anmeldung.").is_visible()
        shot(page, "portal-login-sent")
        base, link = login_link_from(smtp, email, mails_before)
        assert base == portal_server  # DESK_PUBLIC_URL reached the mail

        # 2. open the link: a confirmation page, then the single engagement directly
        page.goto(link)
        assert page.get_by_text(f"Anmelden als {CONTACT} für {CLIENT}?").is_visible()
        page.click("button:has-text('Jetzt anmelden')")
        page.wait_for_url(f"**/portal/engagements/{engagement_id}")
        page.get_by_role("heading", name="KI-Quickstart Holzbau").wait_for()
        assert page.get_by_text("Woche 3 von 6").is_visible()
        assert page.locator("header .who").inner_text() == CONTACT
        box = page.locator("#proposal")
        assert box.get_by_text("Bitte prüfen Sie das Angebot (Version 1)").is_visible()
        assert box.get_by_role("button", name="Angebot verbindlich annehmen").is_visible()
        # Declining or asking for changes is there too, folded away until wanted.
        assert box.get_by_text("Änderungen wünschen oder ablehnen …").is_visible()
        assert not box.get_by_role("button", name="Antwort senden").is_visible()
        box.get_by_text("Änderungen wünschen oder ablehnen …").click()
        assert box.get_by_role("button", name="Antwort senden").is_visible()
        shot(page, "portal-proposal-answers")
        box.get_by_text("Änderungen wünschen oder ablehnen …").click()
        assert page.get_by_text("Use-Case-Workshop Holzbau").is_visible()
        ics = page.get_by_role("link", name="In den Kalender (ICS)")
        assert ics.get_attribute("href") == f"/portal/workshops/{world['workshop']['id']}/calendar.ics"
        calendar = page.request.get(ics.get_attribute("href"))
        assert calendar.ok and calendar.headers["content-type"].startswith("text/calendar")
        assert "SUMMARY:Use-Case-Workshop Holzbau" in calendar.text()
        for d in (first, second):
            row = page.locator(f"#deliverable-{d['id']}")
            assert row.locator(".badge").inner_text() == "Geliefert"
            assert row.get_by_role("button", name="Abnehmen").is_visible()
        shot(page, "portal-engagement")

        # 3. choose: the training added, the larger prototype instead of item 2; the order value follows
        assert "18.000,00 €" in box.locator("#order-value").inner_text().replace("\xa0", " ")
        box.locator("input[name=options][value='3']").check()
        box.locator("input[name=alt_2][value='4']").check()
        box.get_by_role("button", name="Auftragswert berechnen").click()
        page.wait_for_url("**/accept")
        box = page.locator("#proposal")
        # 12.000 + 2.400 + 9.500 = 23.900 net, 28.441 gross
        assert "23.900,00 € netto (28.441,00 € brutto)" in box.locator("#order-value").inner_text().replace("\xa0", " ")
        assert box.locator("input[type=checkbox][name=options][value='3']").is_checked()
        assert box.locator("input[name=alt_2][value='4']").is_checked()
        assert box.get_by_role("link", name=re.compile("Allgemeine Geschäftsbedingungen")).is_visible()
        shot(page, "portal-proposal-options")

        # accept: the unticked box stops the browser, then the server (with validation off)
        page_url = page.url
        box.locator("#typed_name").fill(CONTACT)
        box.get_by_role("button", name="Angebot verbindlich annehmen").click()
        assert page.url == page_url
        assert box.locator("input[name=confirmed]").evaluate("c => !c.validity.valid && c.validity.valueMissing")
        box.locator("form[action$='/accept']").evaluate("f => { f.noValidate = true }")
        box.get_by_role("button", name="Angebot verbindlich annehmen").click()
        error = page.locator("#proposal .alert.error")
        error.wait_for()
        assert error.inner_text() == "Bitte bestätigen Sie die Annahme mit dem Häkchen."
        assert page.input_value("#typed_name") == CONTACT  # what was typed is kept
        page.fill("#typed_name", CONTACT)
        page.locator("#proposal input[name=confirmed]").check()
        page.click("#proposal button:has-text('Angebot verbindlich annehmen')")
        page.wait_for_url(f"**/portal/engagements/{engagement_id}?done=accepted")
        notice = page.get_by_role("status")
        assert notice.inner_text().startswith("Vielen Dank – das Angebot ist angenommen")
        accepted_line = page.locator("#proposal").get_by_text(f"Angenommen von {CONTACT} am")
        assert accepted_line.is_visible() and "(Version 1)" in accepted_line.inner_text()
        assert page.locator("#proposal form").count() == 0
        assert api.get(f"/engagements/{engagement_id}")["status"] == "active"
        record = api.get(f"/engagements/{engagement_id}/acceptance")
        assert record["typed_name"] == CONTACT and record["document_sha256"] == proposal["sha256"]
        assert record["document_number"] == 1 and record["contact_id"] == world["contact"]["id"]
        assert (record["options"], record["fee_net"]) == ([3, 4], "23900.00")
        assert [a["kind"] for a in record["agreements"]] == ["agb"]
        assert api.get(f"/engagements/{engagement_id}")["fixed_fee"] == "23900.00"

        # 4. sign off the first deliverable (its file seen, a reservation noted), reject the second
        row = page.locator(f"#deliverable-{first['id']}")
        assert row.get_by_role("link", name="KI-Leitlinie Holzbau.pdf").is_visible()
        assert "Bitte bis" in row.inner_text() and "§ 640 Abs. 2 BGB" in row.inner_text()
        file = page.request.get(row.get_by_role("link", name="KI-Leitlinie Holzbau.pdf").get_attribute("href"))
        assert file.ok and file.body() == ARTEFACT
        row.locator("textarea[name=reservations]").fill("Anhang B wird nachgereicht.")
        shot(page, "portal-deliverable-artefacts")
        row.get_by_role("button", name="Abnehmen").click()
        page.wait_for_url("**?done=signed_off")
        assert page.get_by_role("status").inner_text() == "Vielen Dank – das Ergebnis ist abgenommen."
        assert page.locator(f"#deliverable-{first['id']} .badge").inner_text() == "Abgenommen"
        reason = "Der Abschnitt zu Kundendaten im Aufmaß fehlt noch."
        row = page.locator(f"#deliverable-{second['id']}")
        row.get_by_text("Ablehnen …").click()
        row.locator("textarea[name=reason]").fill(reason)
        row.get_by_role("button", name="Ablehnung senden").click()
        page.wait_for_url("**?done=rejected")
        assert page.get_by_role("status").inner_text().startswith("Ihre Ablehnung ist bei uns angekommen.")
        row = page.locator(f"#deliverable-{second['id']}")
        assert row.locator(".badge").inner_text() == "Abgelehnt"
        assert reason in row.inner_text()
        assert page.get_by_role("button", name="Abnehmen").count() == 0
        signed = api.get(f"/deliverables/{first['id']}")
        assert signed["status"] == "accepted" and signed["signed_off_by_contact_id"] == world["contact"]["id"]
        abnahme = api.get(f"/deliverables/{first['id']}/acceptance")
        assert (abnahme["mode"], abnahme["reservations"]) == ("explicit", "Anhang B wird nachgereicht.")
        assert [a["name"] for a in abnahme["artefacts"]] == ["KI-Leitlinie Holzbau.pdf"]
        protocol = page.locator(f"#deliverable-{first['id']}").get_by_role("link", name="Abnahmeprotokoll")
        fetched = page.request.get(protocol.get_attribute("href"))
        assert fetched.ok and fetched.body().startswith(b"%PDF")
        rejected = api.get(f"/deliverables/{second['id']}")
        assert rejected["status"] == "rejected" and rejected["rejection_reason"] == reason
        shot(page, "portal-decided")

        # 4b. a second offer, for a follow-up: the client asks for changes with a reason
        follow_up = second_offer(api, world["client"]["id"])
        page.goto(f"/portal/engagements/{follow_up['engagement_id']}")
        box = page.locator("#proposal")
        box.get_by_text("Änderungen wünschen oder ablehnen …").click()
        box.locator("textarea[name=reason]").fill("Bitte ohne Vor-Ort-Termin, nur online.")
        box.get_by_role("button", name="Antwort senden").click()
        page.wait_for_url("**/portal/?done=change_requested")
        assert page.get_by_role("status").inner_text().startswith("Ihr Änderungswunsch ist bei uns angekommen.")
        assert api.get(f"/engagements/{follow_up['engagement_id']}")["status"] == "draft"
        answer = api.get(f"/engagements/{follow_up['engagement_id']}/declines")
        assert [(a["change_request"], a["reason"]) for a in answer] == [
            (True, "Bitte ohne Vor-Ort-Termin, nur online.")
        ]
        page.goto(f"/portal/engagements/{engagement_id}")

        # 5. approve the time statement the team sent: the time it states locks
        statement = state_time(api, engagement_id)
        page.reload()
        box = page.locator(f"#statement-{statement['id']}")
        assert box.get_by_text("Bitte prüfen Sie den Leistungsnachweis").is_visible()
        assert "2 Positionen, 7,50 Stunden" in box.inner_text()
        box.get_by_text("Einwände zu Positionen …").click()
        assert box.locator("input[name=reason_2]").is_visible() and "Workshop vorbereitet" in box.inner_text()
        shot(page, "portal-statement")
        box.locator("input[name=typed_name]").fill(CONTACT)
        box.locator("input[name=confirmed]").check()
        box.get_by_role("button", name="Leistungsnachweis freigeben").click()
        page.wait_for_url("**?done=statement_approved*")
        assert page.get_by_role("status").inner_text() == "Vielen Dank – der Leistungsnachweis ist freigegeben."
        assert page.locator(f"#statement-{statement['id']}").get_by_text(f"Freigegeben von {CONTACT} am").is_visible()
        assert page.get_by_role("button", name="Leistungsnachweis freigeben").count() == 0
        answer = api.get(f"/documents/{statement['id']}/decision")
        assert (answer["decision"], answer["typed_name"], answer["contact_id"]) == (
            "approved",
            CONTACT,
            world["contact"]["id"],
        )
        assert answer["document_sha256"] == statement["sha256"] and answer["ip_address"]
        entries = api.get(f"/time-entries?engagement_id={engagement_id}")["items"]
        assert {(e["lock_reason"], e["statement_id"]) for e in entries} == {("approved", statement["id"])}
        shot(page, "portal-statement-approved")

        # 6. the proposal from the documents table is a PDF
        documents = page.locator("table").filter(has_text="Herunterladen")
        link_to_pdf = documents.locator(f"a[href='/portal/documents/{proposal['id']}']")
        with page.expect_download() as info:
            link_to_pdf.click()
        download = info.value
        assert Path(download.path()).read_bytes().startswith(b"%PDF")
        assert download.suggested_filename.endswith(".pdf")

        # 7. sign out; the used link is refused
        page.locator("header").get_by_role("button", name="Abmelden").click()
        page.wait_for_url("**/portal/login")
        page.locator("#email").wait_for()
        assert page.request.get(f"/portal/engagements/{engagement_id}", max_redirects=0).status == 303
        response = page.goto(link)
        assert response is not None and response.status == 410
        assert page.get_by_role("alert").inner_text() == (
            "Dieser Anmeldelink wurde bereits verwendet. Bitte fordern Sie einen neuen an."
        )
        assert page.get_by_role("button", name="Jetzt anmelden").count() == 0
        shot(page, "portal-link-used")
        context.close()
    finally:
        api.close()


# -- a workshop participant, on a phone ----------------------------------------------------------


def test_a_participant_checks_in_and_gives_feedback_on_a_phone(portal_server: str, browser) -> None:
    """The room's QR code leads a phone to the check-in (no account), then to the anonymous form."""
    api = Consultant(portal_server)
    try:
        client = api.post("/clients", {"name": "Metallbau Kern KG", "city": "Ulm"})
        engagement = api.post(
            "/engagements",
            {"client_id": client["id"], "title": "KI-Schulung", "start_date": "2026-11-02", "duration_weeks": 4,
             "fixed_fee": "4800.00"},
        )  # fmt: skip
        start = datetime.now(BERLIN) - timedelta(minutes=3)
        workshop = api.post(
            "/workshops",
            {
                "engagement_id": engagement["id"], "kind": "enablement", "title": "KI-Grundlagen am Handy",
                "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
                "topics": ["ai_basics"], "location": "Ulm, Schulungsraum",
            },
        )  # fmt: skip
        room = api.get(f"/workshops/{workshop['id']}/check-in-link")
        qr = api.http.get(room["qr_svg_url"].removeprefix("/api/v1"))
        assert qr.status_code == 200 and qr.text.startswith("<svg") and "viewBox" in qr.text

        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="de-DE"
        )
        page = phone.new_page()
        page.goto(room["url"])
        assert page.get_by_role("heading", name="Einchecken").is_visible()
        # Nothing overflows the phone's width.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_label("Vor- und Nachname").fill("Ayşe Demir")
        page.get_by_label("Abteilung").fill("Vertrieb")
        page.get_by_role("button", name="Einchecken").tap()
        page.get_by_role("status").filter(has_text="Ayşe Demir").wait_for()
        assert "Sie sind eingecheckt" in page.get_by_role("status").inner_text()
        shot(page, "phone-checked-in")
        page.get_by_role("link", name="Feedback geben").tap()
        page.get_by_role("heading", name="Ihr Feedback").wait_for()
        for question, score in (("relevant", "5"), ("verständlich", "4"), ("anwenden", "4"), ("Gesamteindruck", "5")):
            page.get_by_role("group", name=re.compile(question)).get_by_text(score, exact=True).tap()
        page.get_by_label("Was sollen wir beibehalten").fill("Mehr Übungen mit echten Anfragen")
        shot(page, "phone-feedback")
        page.get_by_role("button", name="Feedback senden").tap()
        page.get_by_role("status").filter(has_text="Danke für Ihr Feedback").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()

        attended = api.get(f"/workshops/{workshop['id']}/attendance")
        assert [(a["participant_name"], a["status"], a["source"]) for a in attended] == [
            ("Ayşe Demir", "present", "self_check_in")
        ]
        summary = api.get(f"/workshops/{workshop['id']}/feedback")
        assert (summary["answers"], summary["ballots_open"], summary["shown"]) == (1, 0, False)
        assert api.get(f"/workshops/{workshop['id']}")["feedback_score"] is None  # shown from three answers
    finally:
        api.close()


def test_a_phone_times_a_task_and_keeps_it_across_a_reload(portal_server: str, browser) -> None:
    """The stopwatch runs on in the browser while the tab reloads (a long task, a phone that
    drops the page); the time goes into the list, and sending stores it and clears what was kept."""
    api = Consultant(portal_server)
    try:
        client = api.post("/clients", {"name": "Stahlbau Nord GmbH", "city": "Kiel"})
        engagement = api.post(
            "/engagements",
            {"client_id": client["id"], "title": "Angebote mit KI", "start_date": "2026-11-02", "duration_weeks": 6,
             "fixed_fee": "9000.00"},
        )  # fmt: skip
        pilot = api.post("/pilots", {"engagement_id": engagement["id"], "title": "Angebotsentwurf"})
        kpi = api.post(
            "/kpis", {"pilot_id": pilot["id"], "name": "Zeit je Angebot", "unit": "minutes", "baseline_value": "60"}
        )
        closes = (datetime.now(BERLIN).date() + timedelta(days=7)).isoformat()
        row = api.post("/timing-rounds", {"kpi_id": kpi["id"], "task": "ein Angebot", "closes_on": closes})
        link = api.get(f"/timing-rounds/{row['id']}/link")["url"]

        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="de-DE"
        )
        page = phone.new_page()
        page.goto(link)
        # Start and stop by mistake: no time goes into the list.
        page.get_by_role("button", name="Start").tap()
        page.get_by_role("button", name=re.compile("Stopp")).tap()
        assert page.locator("[data-stopwatch-display]").inner_text() == "zu kurz"
        assert page.get_by_label("Gemessene Zeiten").input_value() == ""
        page.get_by_role("button", name="Start").tap()
        page.wait_for_timeout(1500)
        page.reload()
        # Still running after the reload, counting from the first start.
        assert page.get_by_role("button", name="Start").is_disabled()
        page.wait_for_timeout(2000)  # the time runs on from the first start: over 3 s in all
        assert page.locator("[data-stopwatch-display]").inner_text() != "0:00"
        page.get_by_role("button", name=re.compile("Stopp")).tap()
        assert re.fullmatch(r"0:0[3-9]", page.get_by_label("Gemessene Zeiten").input_value())
        page.reload()
        assert re.fullmatch(r"0:0[3-9]", page.get_by_label("Gemessene Zeiten").input_value())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Zeiten senden").tap()
        page.get_by_role("status").filter(has_text="1 Zeit gespeichert").wait_for()
        shot(page, "phone-stopwatch")
        page.goto(link)
        assert page.get_by_label("Gemessene Zeiten").input_value() == ""
        phone.close()
        assert (
            api.get(f"/timing-rounds/{row['id']}")["contributors"],
            api.get(f"/timing-rounds/{row['id']}")["samples"],
        ) == (1, 1)
    finally:
        api.close()
