"""Retention (GDPR Art. 5 (1)(e)): records older than their policy go, by time travel — rows
written with the days they would have had; a dry run says the same and changes nothing; a
second run finds nothing; legal holds win; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from backend.flows.privacy.retention import apply_retention
from backend.kernel.time import today
from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.rows import add_row

NOW = datetime.now(UTC)


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def in_year(years_back: int) -> date:
    return date(today().year - years_back, 6, 30)


async def _world(api: Api) -> dict[str, Any]:
    """For each policy a row just past its period, one just within, and one past but held."""
    client = await make_client(api)
    contact = await api.create("contacts", {"client_id": client["id"], "name": "Eva Berger", "email": "eva@k.de"})
    engagements = [(await make_engagement(api, client["id"], title=f"E{i}"))["id"] for i in range(3)]
    ids: dict[str, Any] = {}
    async with api.engine.begin() as conn:
        for name, days in (("link_old", 31), ("link_new", 29)):
            ids[name] = await add_row(conn, "portal_login_links", contact_id=contact["id"], created_at=ago(days))
        for name, days, week in (("digest_old", 366, "2025-W01"), ("digest_new", 300, "2025-W10")):
            ids[name] = await add_row(
                conn,
                "digest_deliveries",
                engagement_id=engagements[0],
                contact_id=contact["id"],
                iso_week=week,
                created_at=ago(days),
            )
        for name, days in (("audit_old", 4 * 365), ("audit_new", 2 * 365)):
            ids[name] = await add_row(
                conn,
                "audit_events",
                at=ago(days),
                action="update",
                entity_type="contact",
                entity_id=contact["id"],
                actor_email="lea@desk.de",
                before={"name": "Eva Berger"},
                after={"name": "Eva Berger-Klein"},
            )
        # Proposals: accepted seven years ago (goes), six (stays: its sixth year has not ended),
        # and seven years ago under a hold until next year (stays).
        for i, (name, years) in enumerate((("proposal_old", 7), ("proposal_new", 6), ("proposal_held", 7))):
            made = datetime.combine(in_year(years), datetime.min.time(), UTC)
            document = await add_row(
                conn,
                "documents",
                engagement_id=engagements[i],
                kind="proposal",
                number=1,
                status="ready",
                template="proposal",
                created_at=made,
            )
            ids[name] = document
            ids[f"{name}_acceptance"] = await add_row(
                conn,
                "proposal_acceptances",
                engagement_id=engagements[i],
                document_id=document,
                document_number=1,
                document_sha256="0" * 64,
                typed_name="Eva Berger",
                accepted_at=made,
            )
        # Invoices: issued nine years ago with its file, mailing and payment (goes), eight
        # (stays), nine under a hold (stays).
        for i, (name, years) in enumerate((("invoice_old", 9), ("invoice_new", 8), ("invoice_held", 9))):
            invoice = await add_row(
                conn,
                "invoices",
                engagement_id=engagements[i],
                client_id=client["id"],
                status="paid",
                number=f"RE-{today().year - years}-000{i}",
                issue_date=in_year(years),
            )
            ids[name] = invoice
            await add_row(
                conn,
                "invoice_files",
                invoice_id=invoice,
                xml=b"<x/>",
                pdf=b"%PDF",
                xml_sha256="0" * 64,
                pdf_sha256="0" * 64,
            )
            await add_row(conn, "invoice_mailings", invoice_id=invoice, email="buchhaltung@k.de")
            await add_row(conn, "invoice_payments", invoice_id=invoice, paid_on=in_year(years), amount=100)
            await add_row(conn, "invoice_lines", invoice_id=invoice, position=1, description="Workshop")
        # Privacy requests: answered four years ago (goes), two (stays), still open (stays).
        for name, days, status in (("request_old", 4 * 365, "answered"), ("request_new", 2 * 365, "refused")):
            ids[name] = await add_row(
                conn,
                "privacy_requests",
                subject_kind="contact",
                subject_id=contact["id"],
                right="access",
                channel="email",
                status=status,
                received_on=ago(days + 20).date(),
                due_on=ago(days).date(),
                answered_at=ago(days),
            )
        ids["request_open"] = await add_row(
            conn,
            "privacy_requests",
            subject_kind="contact",
            subject_id=contact["id"],
            right="erasure",
            channel="email",
            status="open",
            received_on=ago(4 * 365).date(),
            due_on=ago(4 * 365 - 30).date(),
            answered_at=None,
        )
        for table, row_id, until in (
            ("documents", ids["proposal_held"], date(today().year + 1, 12, 31)),
            ("invoices", ids["invoice_held"], date(today().year + 1, 12, 31)),
            # A hold that has run out keeps nothing.
            ("portal_login_links", ids["link_old"], today() - timedelta(days=1)),
        ):
            await add_row(
                conn,
                "legal_holds",
                entity_type=table,
                entity_id=row_id,
                basis="manual",
                reason="Rechtsstreit",
                kept_until=until,
            )
    return ids


async def _ids(api: Api, table: str) -> set[int]:
    async with api.engine.connect() as conn:
        key = "invoice_id" if table == "invoice_files" else "id"
        return {row[0] for row in await conn.execute(text(f"SELECT {key} FROM {table}"))}


def _figures(report: Any) -> dict[tuple[str, str], tuple[int, int]]:
    return {(p.key, s.table): (s.rows, s.held) for p in report.policies for s in p.steps}


async def test_retention_deletes_what_is_past_its_period_once_and_holds_win(api: Api) -> None:
    ids = await _world(api)
    maker, settings = api.app.state.session_maker, api.app.state.settings

    dry = await apply_retention(maker, settings, today(), dry_run=True)
    expected = {
        ("sign_in_links", "portal_login_links"): (1, 0),
        ("digest_deliveries", "digest_deliveries"): (1, 0),
        ("audit_detail", "audit_events"): (1, 0),
        ("proposals", "proposal_acceptances"): (1, 1),
        ("proposals", "dpa_acceptances"): (0, 0),
        # (a held version waits for its acceptance, held with it: not counted twice)
        ("proposals", "documents"): (1, 0),
        ("invoices", "invoice_payments"): (1, 1),
        ("invoices", "invoice_mailings"): (1, 1),
        ("invoices", "invoice_files"): (1, 1),
        ("invoices", "invoices"): (1, 0),
        ("privacy_requests", "privacy_requests"): (1, 0),
    }
    assert _figures(dry) == expected
    # The dry run changed nothing.
    assert ids["link_old"] in await _ids(api, "portal_login_links")
    assert ids["invoice_old"] in await _ids(api, "invoice_files")

    done = await apply_retention(maker, settings, today(), dry_run=False)
    assert _figures(done) == expected
    assert await _ids(api, "portal_login_links") == {ids["link_new"]}
    assert await _ids(api, "digest_deliveries") == {ids["digest_new"]}
    assert await _ids(api, "documents") == {ids["proposal_new"], ids["proposal_held"]}
    assert await _ids(api, "proposal_acceptances") == {ids["proposal_new_acceptance"], ids["proposal_held_acceptance"]}
    assert await _ids(api, "invoices") == {ids["invoice_new"], ids["invoice_held"]}
    assert await _ids(api, "invoice_files") == {ids["invoice_new"], ids["invoice_held"]}
    assert await _ids(api, "privacy_requests") == {ids["request_new"], ids["request_open"]}
    async with api.engine.connect() as conn:
        audit = dict((await conn.execute(text("SELECT id, before FROM audit_events"))).all())
        lines = (await conn.execute(text("SELECT count(*) FROM invoice_lines"))).scalar_one()
    assert audit[ids["audit_old"]] is None and audit[ids["audit_new"]] is not None
    assert lines == 2  # the old invoice's lines went with it

    again = await apply_retention(maker, settings, today(), dry_run=False)
    assert all(rows == 0 for rows, _ in _figures(again).values())

    # A year on, the hold has run out and the once-new records are past their period too.
    later = date(today().year + 2, 1, 2)
    await apply_retention(maker, settings, later, dry_run=False)
    assert await _ids(api, "documents") == set() and await _ids(api, "invoices") == set()


async def test_the_dry_run_is_an_admins_and_the_law_sets_the_least(api: Api) -> None:
    await _world(api)
    answer = await api.get("/retention", "admin")
    assert answer.status_code == 200, answer.text
    policies = {p["key"]: p for p in answer.json()["policies"]}
    assert policies["invoices"]["law"].startswith("§ 147") and policies["invoices"]["period"].startswith("8 years")
    assert policies["sign_in_links"]["steps"][0]["rows"] == 1
    assert (await api.get("/retention", "consultant")).status_code == 403
    # Nothing was deleted by asking.
    assert (await api.get("/retention", "admin")).json() == answer.json()

    from pydantic import ValidationError

    from backend.kernel.config import Settings

    try:
        Settings(retention_invoice_years=5)
    except ValidationError as exc:
        assert "greater than or equal to 8" in str(exc)
    else:
        raise AssertionError("an invoice kept five years was accepted")


async def test_an_admin_places_a_hold_and_lifts_only_their_own(api: Api) -> None:
    ids = await _world(api)
    until = str(date(today().year + 3, 12, 31))
    body = {"entity_type": "portal_login_links", "entity_id": ids["link_old"], "reason": "Prüfung", "kept_until": until}
    assert (await api.post("/legal-holds", "consultant", json=body)).status_code == 403
    for wrong, field in (
        ({"entity_type": "legal_holds"}, "entity_type"),
        ({"entity_type": "job_outbox"}, "entity_type"),
        ({"entity_type": "no_such_table"}, "entity_type"),
        ({"entity_id": 987654}, "entity_id"),
        ({"kept_until": str(today() - timedelta(days=1))}, "kept_until"),
    ):
        refused = await api.post("/legal-holds", "admin", json={**body, **wrong})
        assert refused.status_code == 422, refused.text
        assert field in refused.text
    # The link's earlier hold has run out; a second hold by hand waits until it is lifted.
    refused = await api.post("/legal-holds", "admin", json=body)
    assert refused.status_code == 409 and "lift it first" in refused.text
    (earlier,) = (await api.get("/legal-holds?entity_type=portal_login_links", "admin")).json()["items"]
    assert (await api.delete(f"/legal-holds/{earlier['id']}", "admin")).status_code == 204
    placed = await api.post("/legal-holds", "admin", json=body)
    assert placed.status_code == 201, placed.text
    assert placed.json()["basis"] == "manual"

    report = await apply_retention(api.app.state.session_maker, api.app.state.settings, today(), dry_run=False)
    assert ("sign_in_links", "portal_login_links") in _figures(report)
    assert _figures(report)[("sign_in_links", "portal_login_links")] == (0, 1)
    assert ids["link_old"] in await _ids(api, "portal_login_links")

    lifted = await api.delete(f"/legal-holds/{placed.json()['id']}", "admin")
    assert lifted.status_code == 204, lifted.text
    async with api.engine.begin() as conn:
        legal = await add_row(
            conn,
            "legal_holds",
            entity_type="invoices",
            entity_id=ids["invoice_new"],
            basis="ao_147",
            reason="issued invoice",
            kept_until=date(today().year + 8, 12, 31),
        )
    assert (await api.delete(f"/legal-holds/{legal}", "admin")).status_code == 409
