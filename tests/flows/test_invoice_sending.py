"""Invoices mailed once, seen by their own client only, paid in parts, reminded when overdue,
and exported for the tax advisor."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfReader
from sqlalchemy import text

from backend.flows.invoicing.reminders import plan_reminders
from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_engagement
from tests.flows.test_invoices import billable_client, draft, issued
from tests.smtp_server import SmtpTestServer

TODAY = berlin_today()


async def sent_invoice(api: Api, smtp: SmtpTestServer, **client: Any) -> dict[str, Any]:
    c = await billable_client(api, **client)
    e = await make_engagement(api, c["id"])
    inv = await issued(api, await draft(api, e["id"]))
    answer = await api.post(f"/invoices/{inv['id']}/send")
    assert answer.status_code == 202, answer.text
    await api.run_jobs(smtp_url=smtp.url)
    return dict((await api.get(f"/invoices/{inv['id']}")).json()) | {"client": c}


async def overdue_by(api: Api, invoice_id: int, days: int) -> None:
    async with api.engine.begin() as conn:
        await conn.execute(
            text("UPDATE invoices SET due_date = :d WHERE id = :id"),
            {"d": TODAY - timedelta(days=days), "id": invoice_id},
        )


async def test_an_invoice_is_mailed_once_with_its_pdf(api: Api, smtp_server: SmtpTestServer) -> None:
    inv = await sent_invoice(api, smtp_server)
    assert inv["status"] == "sent" and inv["sent_at"]
    (mail,) = smtp_server.messages
    message = mail.message
    assert message["To"].endswith("<buchhaltung@mueller-praezision.de>")
    assert message["Subject"] == f"Rechnung {inv['number']} von Engagement Desk KI-Beratung GmbH"
    (attachment,) = [part for part in message.iter_attachments()]
    assert attachment.get_filename() == f"{inv['number']}.pdf"
    pdf = attachment.get_payload(decode=True)
    assert pdf == (await api.get(f"/invoices/{inv['id']}/pdf")).content
    assert "factur-x.xml" in PdfReader(io.BytesIO(pdf)).attachments
    # Asked again (also twice at once), nothing more is sent.
    again = await asyncio.gather(*(api.post(f"/invoices/{inv['id']}/send") for _ in range(3)))
    assert [a.status_code for a in again] == [200, 200, 200]
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 1


async def test_an_xrechnung_client_gets_the_xml(api: Api, smtp_server: SmtpTestServer) -> None:
    inv = await sent_invoice(api, smtp_server, invoice_format="xrechnung", buyer_reference="991-33333TEST-33")
    (mail,) = smtp_server.messages
    (attachment,) = list(mail.message.iter_attachments())
    xml = attachment.get_payload(decode=True)
    assert attachment.get_filename() == f"{inv['number']}.xml"
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in xml and b"<ram:BuyerReference>991-33333TEST-33<" in xml
    assert inv["buyer_reference"] == "991-33333TEST-33"


async def test_nothing_to_send_without_an_address_or_an_issued_invoice(api: Api) -> None:
    c = await api.create(
        "clients", {"name": "Ohne Post GmbH", "street": "Weg 1", "postal_code": "10115", "city": "Berlin"}
    )
    e = await make_engagement(api, c["id"])
    d = await draft(api, e["id"])
    assert (await api.post(f"/invoices/{d['id']}/send")).status_code == 409
    inv = await issued(api, d)
    refused = await api.post(f"/invoices/{inv['id']}/send")
    assert refused.status_code == 422 and "invoice_email" in refused.text


async def test_partial_payments_then_paid_and_open_items(api: Api, smtp_server: SmtpTestServer) -> None:
    inv = await sent_invoice(api, smtp_server)
    assert inv["gross_total"] == "4559.19"
    items = (await api.get("/invoices/open-items")).json()
    assert [(i["number"], i["open_amount"]) for i in items] == [(inv["number"], "4559.19")]
    first = await api.post(
        f"/invoices/{inv['id']}/payments", json={"paid_on": str(TODAY), "amount": "2000.00", "version": inv["version"]}
    )
    assert first.status_code == 201, first.text
    now = (await api.get(f"/invoices/{inv['id']}")).json()
    assert (now["status"], now["paid_total"], now["open_amount"]) == ("sent", "2000.00", "2559.19")
    too_much = await api.post(
        f"/invoices/{inv['id']}/payments", json={"paid_on": str(TODAY), "amount": "3000.00", "version": now["version"]}
    )
    assert too_much.status_code == 422 and "2559.19 is open" in too_much.text
    stale = await api.post(
        f"/invoices/{inv['id']}/payments", json={"paid_on": str(TODAY), "amount": "1.00", "version": inv["version"]}
    )
    assert stale.status_code == 409
    rest = await api.post(
        f"/invoices/{inv['id']}/payments", json={"paid_on": str(TODAY), "amount": "2559.19", "version": now["version"]}
    )
    assert rest.status_code == 201
    paid = (await api.get(f"/invoices/{inv['id']}")).json()
    assert (paid["status"], paid["open_amount"]) == ("paid", "0.00") and paid["paid_at"]
    assert (await api.get("/invoices/open-items")).json() == []
    # A payment recorded by mistake is removed: the invoice is open again.
    assert (await api.delete(f"/invoices/{inv['id']}/payments/{rest.json()['id']}")).status_code == 204
    assert (await api.get(f"/invoices/{inv['id']}")).json()["status"] == "sent"


async def test_overdue_invoices_are_reminded_once_per_stage(api: Api, smtp_server: SmtpTestServer) -> None:
    inv = await sent_invoice(api, smtp_server)
    maker, settings = api.app.state.session_maker, api.app.state.settings
    assert await plan_reminders(maker, settings) == 0  # not due yet
    await overdue_by(api, inv["id"], 8)
    assert await plan_reminders(maker, settings) == 1
    assert await plan_reminders(maker, settings) == 0  # the same day again: nothing
    await api.run_jobs(smtp_url=smtp_server.url)
    assert smtp_server.messages[-1].message["Subject"].startswith(f"Zahlungserinnerung zur Rechnung {inv['number']}")
    await overdue_by(api, inv["id"], 40)  # past two more stages: one per day, in order
    assert await plan_reminders(maker, settings) == 0  # the reminder went out today
    async with api.engine.begin() as conn:
        await conn.execute(
            text("UPDATE invoice_mailings SET created_at = :t"), {"t": datetime.now(UTC) - timedelta(days=1)}
        )
    assert await plan_reminders(maker, settings) == 1
    await api.run_jobs(smtp_url=smtp_server.url)
    assert smtp_server.messages[-1].message["Subject"].startswith("1. Mahnung")
    items = (await api.get("/invoices/open-items")).json()
    assert (items[0]["days_overdue"], items[0]["reminders_sent"], items[0]["reminder_due"]) == (40, 2, 3)
    # Paid in full: no further stage.
    fresh = (await api.get(f"/invoices/{inv['id']}")).json()
    await api.post(
        f"/invoices/{inv['id']}/payments",
        json={"paid_on": str(TODAY), "amount": fresh["open_amount"], "version": fresh["version"]},
    )
    assert await plan_reminders(maker, settings) == 0
    assert len(smtp_server.messages) == 3


async def test_the_client_sees_and_downloads_only_its_own_sent_invoices(
    api: Api, smtp_server: SmtpTestServer, password_hash: str
) -> None:
    mine = await sent_invoice(api, smtp_server)
    client_id = mine["client"]["id"]
    unsent = await issued(api, await draft(api, mine["engagement_id"]))
    other = await sent_invoice(api, smtp_server, name="Andere GmbH")
    await api.add_user("kunde", "client", password_hash, client_id=client_id)
    listed = (await api.get("/invoices", "kunde")).json()
    assert [row["id"] for row in listed["items"]] == [mine["id"]]
    assert (await api.get(f"/invoices/{mine['id']}/pdf", "kunde")).status_code == 200
    for hidden in (unsent["id"], other["id"]):
        assert (await api.get(f"/invoices/{hidden}", "kunde")).status_code == 404
        assert (await api.get(f"/invoices/{hidden}/xml", "kunde")).status_code == 404
    assert (await api.post(f"/invoices/{mine['id']}/send", "kunde")).status_code == 403
    assert (await api.get("/invoices/open-items", "kunde")).status_code == 403


async def test_the_datev_export_books_each_rate_on_the_debtor(api: Api, smtp_server: SmtpTestServer) -> None:
    c = await billable_client(api)
    e = await make_engagement(api, c["id"])
    lines = [
        {"description": "Beratung", "quantity": "2", "unit": "DAY", "unit_price": "1400"},
        {"description": "Fachbuch „KI“", "quantity": "1", "unit": "C62", "unit_price": "49.90", "vat_rate": "7"},
    ]
    inv = await issued(api, await draft(api, e["id"], lines=lines))
    credit = await issued(api, (await api.post(f"/invoices/{inv['id']}/credit-note")).json())
    await draft(api, e["id"])  # a draft is no booking
    answer = await api.get(f"/invoices/datev?from={TODAY.year}-01-01&to={TODAY.year}-12-31")
    assert answer.status_code == 200 and "EXTF_Buchungsstapel" in answer.headers["content-disposition"]
    rows = [line.split(";") for line in answer.content.decode("cp1252").split("\r\n") if line]
    header, columns, bookings = rows[0], rows[1], rows[2:]
    assert header[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"] and len(header) == 31
    assert len(columns) == 125 and columns[0] == '"Umsatz (ohne Soll/Haben-Kz)"'
    assert all(len(r) == 125 for r in bookings)
    debtor = str(10000 + c["id"])
    summary = [(r[0], r[1], r[6], r[7], r[10]) for r in bookings]
    assert summary == [
        ("3332,00", '"S"', debtor, "8400", f'"{inv["number"]}"'),
        ("53,39", '"S"', debtor, "8300", f'"{inv["number"]}"'),
        ("3332,00", '"H"', debtor, "8400", f'"{credit["number"]}"'),
        ("53,39", '"H"', debtor, "8300", f'"{credit["number"]}"'),
    ]
    assert "Müller" in bookings[0][13]
    assert (await api.get(f"/invoices/datev?from={TODAY.year}-12-01&to={TODAY.year + 1}-01-31")).status_code == 422


async def test_a_credit_note_negates_its_invoice_whatever_the_lines(api: Api) -> None:
    """Property, over random invoices (seeded): the credit note repeats the invoice's sums, and
    in the books (DATEV) its bookings cancel the invoice's, rate by rate, to the cent."""
    import random

    rng = random.Random(17)
    c = await billable_client(api)
    e = await make_engagement(api, c["id"])
    numbers = []
    for _ in range(4):
        lines = [
            {
                "description": f"Leistung {i}",
                "quantity": str(rng.choice(["1", "0.5", "7.25", "3", "0.3333"])),
                "unit": rng.choice(["HUR", "DAY", "C62"]),
                "unit_price": f"{rng.randint(1, 250_000) / 100:.2f}",
                "vat_rate": rng.choice(["19", "7"]),
            }
            for i in range(rng.randint(1, 6))
        ]
        inv = await issued(api, await draft(api, e["id"], lines=lines))
        credit = await issued(api, (await api.post(f"/invoices/{inv['id']}/credit-note")).json())
        assert [credit[k] for k in ("net_total", "tax_total", "gross_total")] == [
            inv[k] for k in ("net_total", "tax_total", "gross_total")
        ]
        assert (await api.get(f"/invoices/{inv['id']}")).json()["status"] == "cancelled"
        numbers.append((inv["number"], credit["number"]))
    csv = (await api.get(f"/invoices/datev?from={TODAY.year}-01-01&to={TODAY.year}-12-31")).content.decode("cp1252")
    bookings = [line.split(";") for line in csv.split("\r\n")[2:] if line]
    for invoice_number, credit_number in numbers:

        def booked(number: str, side: str) -> list[tuple[str, str]]:
            return sorted((r[7], r[0]) for r in bookings if r[10] == f'"{number}"' and r[1] == f'"{side}"')

        assert booked(invoice_number, "S") == booked(credit_number, "H") != []
