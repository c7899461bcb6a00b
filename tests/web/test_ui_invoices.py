"""The invoice pages: a draft made from what the client accepted, its rules in the page's words,
edited, issued, sent once, paid; the engagement page's invoiced-vs-fee; the portal's list."""

from __future__ import annotations

from sqlalchemy import text

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_engagement, sign_in
from tests.flows.test_invoice_basis import accepted
from tests.flows.test_invoices import draft
from tests.smtp_server import SmtpTestServer


async def test_from_the_engagement_page_to_a_paid_invoice(
    api: Api, password_hash: str, smtp_server: SmtpTestServer
) -> None:
    schedule = [{"label": "bei Projektstart", "percent": 50}, {"label": "nach Abnahme", "percent": 50}]
    w = await accepted(api, password_hash, payment_schedule=schedule)
    e = w["engagement"]
    token = await sign_in(api)
    page = await api.http.get(f"/engagements/{e['id']}")
    assert "Meilenstein 1: 50 % bei Projektstart" in page.text and "Abgerechnet" in page.text
    made = await api.http.post(
        "/invoices/from-basis",
        data={"engagement_id": str(e["id"]), "basis": "proposal", "milestone": "1", "_csrf_token": token},
    )
    assert made.status_code == 303, made.text
    url = made.headers["location"]
    shown = await api.http.get(url)
    assert "Anzahlung 50 % (bei Projektstart)" in shown.text, shown.text[-3000:]
    assert "14.280,00\xa0€" in shown.text
    preview = await api.http.get(f"{url}/preview")
    assert preview.headers["content-type"] == "application/pdf" and preview.content.startswith(b"%PDF")
    # The second time: refused on the engagement page, in its words.
    again = await api.http.post(
        "/invoices/from-basis",
        data={"engagement_id": str(e["id"]), "basis": "proposal", "milestone": "1", "_csrf_token": token},
    )
    assert again.status_code == 409 and 'id="invoicing"' in again.text
    invoice_id = int(url.rsplit("/", 1)[1])
    current = (await api.get(f"/invoices/{invoice_id}")).json()
    edited = await api.http.post(
        f"{url}/edit",
        data={"version": str(current["version"]), "payment_terms_days": "30", "note": "Danke!", "_csrf_token": token},
    )
    assert edited.status_code == 303, edited.text
    current = (await api.get(f"/invoices/{invoice_id}")).json()
    assert (current["payment_terms_days"], current["note"], current["language"]) == (30, "Danke!", "de")
    issued = await api.http.post(f"{url}/issue", data={"version": str(current["version"]), "_csrf_token": token})
    assert issued.status_code == 303
    sent = await api.http.post(f"{url}/send", data={"_csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"].endswith("notice=send_queued")
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 1
    current = (await api.get(f"/invoices/{invoice_id}")).json()
    paid = await api.http.post(
        f"{url}/payments",
        data={
            "paid_on": str(berlin_today()),
            "amount": "14.280,00",
            "version": str(current["version"]),
            "_csrf_token": token,
        },
    )
    assert paid.status_code == 303, paid.text
    assert (await api.get(f"/invoices/{invoice_id}")).json()["status"] == "paid"
    listing = await api.http.get("/invoices")
    assert current["number"] in listing.text and "Offene Posten" in listing.text
    page = await api.http.get(f"/engagements/{e['id']}")
    assert "12.000,00\xa0€" in page.text and "(50,0 %)" in page.text  # invoiced of the fee, net


async def test_a_refused_issue_names_each_rule_in_the_page_language(api: Api) -> None:
    client = await api.create("clients", {"name": "Ohne Adresse GmbH"})
    e = await make_engagement(api, client["id"])
    d = await draft(api, e["id"], period_start=None, period_end=None)
    token = await sign_in(api)
    refused = await api.http.post(
        f"/invoices/{d['id']}/issue", data={"version": str(d["version"]), "_csrf_token": token}
    )
    assert refused.status_code == 422
    for said in (
        "[UStG-14-4-6] Der Leistungszeitraum fehlt",
        "Die Straße des Kunden fehlt",
        "Der Ort des Kunden fehlt",
    ):
        assert said in refused.text, said
    async with api.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM invoice_series"))).scalar() in (0, 1)
        assert (await conn.execute(text("SELECT max(last_number) FROM invoice_series"))).scalar() in (None, 0)


async def test_a_typed_invoice_from_the_engagement_page(api: Api) -> None:
    client = await api.create(
        "clients", {"name": "Typ GmbH", "street": "Weg 1", "postal_code": "10115", "city": "Berlin"}
    )
    e = await make_engagement(api, client["id"])
    token = await sign_in(api)
    form = {
        "engagement_id": str(e["id"]),
        "kind": "invoice",
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "description_0": "Workshop",
        "quantity_0": "1,5",
        "unit_0": "DAY",
        "unit_price_0": "1.400,00",
        "vat_rate_0": "19",
        "description_1": "",
        "_csrf_token": token,
    }
    made = await api.http.post("/invoices/manual", data=form)
    assert made.status_code == 303, made.text
    invoice = (await api.get(made.headers["location"].replace("/invoices/", "/invoices/", 1))).json()
    assert (invoice["net_total"], len(invoice["lines"])) == ("2100.00", 1)
    bad = await api.http.post("/invoices/manual", data=form | {"quantity_0": "viel"})
    assert bad.status_code == 422 and 'id="invoicing"' in bad.text
    garbage = await api.http.post(f"/invoices/{invoice['id']}/issue", data={"version": "abc", "_csrf_token": token})
    assert garbage.status_code == 409
