"""What invoicing refuses: credit notes beyond the invoice, text a PDF/A cannot print, amounts
beyond the books, rates that are no German VAT, billing what the client did not accept as it is
now, service not rendered yet; and what a draft takes from its client only when issued."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from tests.conftest import Api
from tests.factories import make_engagement
from tests.flows.test_invoice_basis import accepted, from_basis
from tests.flows.test_invoices import billable_client, draft, issued

TODAY = date.today()


async def engagement_of(api: Api, **client: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    c = await billable_client(api, **client)
    return c, await make_engagement(api, c["id"])


async def test_a_credit_note_takes_back_the_invoice_once_and_no_more(api: Api) -> None:
    _, e = await engagement_of(api)
    inv = await issued(api, await draft(api, e["id"]))
    answers = await asyncio.gather(*(api.post(f"/invoices/{inv['id']}/credit-note") for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409]
    credit = next(a.json() for a in answers if a.status_code == 201)
    inflated = {"version": credit["version"], "lines": [{"description": "G", "quantity": "1000", "unit_price": "1000"}]}
    refused = await api.patch(f"/invoices/{credit['id']}", json=inflated)
    assert refused.status_code == 409 and "not edited" in refused.text
    await issued(api, credit)
    assert (await api.post(f"/invoices/{inv['id']}/credit-note")).status_code == 409  # cancelled: nothing left


async def test_an_advance_a_final_invoice_deducts_is_not_taken_back_alone(api: Api, password_hash: str) -> None:
    schedule = [{"label": "Start", "percent": 50}, {"label": "Ende", "percent": 50}]
    e = (await accepted(api, password_hash, payment_schedule=schedule))["engagement"]
    advance = await issued(api, (await from_basis(api, e["id"], basis="proposal", milestone=1)).json())
    final = await issued(api, (await from_basis(api, e["id"], basis="proposal", milestone=2)).json())
    refused = await api.post(f"/invoices/{advance['id']}/credit-note")
    assert refused.status_code == 409 and final["number"] in refused.json()["detail"]


async def test_text_the_pdf_a_cannot_print_is_refused_before_any_number(api: Api) -> None:
    _, e = await engagement_of(api)
    emoji = await api.post(
        "/invoices",
        json={"engagement_id": e["id"], "lines": [{"description": "Workshop 🚀", "quantity": "1", "unit_price": "1"}]},
    )
    assert emoji.status_code == 422 and "ROCKET" in emoji.text
    c, e2 = await engagement_of(api, name="研修 GmbH")
    d = await draft(api, e2["id"])
    refused = await api.post(f"/invoices/{d['id']}/issue", json={"version": d["version"]})
    assert refused.status_code == 422
    assert [(x["rule"], x["path"]) for x in refused.json()["errors"]] == [("PDF/A-3", "buyer.name")]
    async with api.engine.connect() as conn:
        assert (await conn.execute(text("SELECT coalesce(max(last_number), 0) FROM invoice_series"))).scalar() == 0


async def test_amounts_rates_and_countries_beyond_what_an_invoice_holds(api: Api) -> None:
    _, e = await engagement_of(api)

    def body(**line: str) -> dict[str, Any]:
        return {"engagement_id": e["id"], "lines": [{"description": "x", "quantity": "1", "unit_price": "1"} | line]}

    for line in (
        {"quantity": "99999999", "unit_price": "99999999"},
        {"vat_rate": "100"},
        {"vat_rate": "16"},
    ):
        answer = await api.post("/invoices", json=body(**line))
        assert answer.status_code == 422, (line, answer.text)
    many = {"engagement_id": e["id"], "lines": [{"description": "x", "quantity": "9999", "unit_price": "99999"}] * 20}
    assert (await api.post("/invoices", json=many)).status_code == 422  # each fits, the invoice does not
    for country in ("XX", "EU"):
        assert (await api.post("/clients", json={"name": "Y", "country": country})).status_code == 422
    lower = await api.post("/clients", json={"name": "Z", "country": "at"})
    assert lower.status_code == 201 and lower.json()["country"] == "AT"
    csv = await api.get("/invoices/datev?from=0001-01-01&to=0001-12-31")
    assert csv.status_code == 422


async def test_a_final_invoice_bills_no_service_still_to_come(api: Api) -> None:
    _, e = await engagement_of(api)
    later = draft(api, e["id"], period_start=str(TODAY), period_end=str(TODAY + timedelta(days=30)))
    d = await later
    refused = await api.post(f"/invoices/{d['id']}/issue", json={"version": d["version"]})
    assert refused.status_code == 422 and [x["path"] for x in refused.json()["errors"]] == ["period_end"]
    ahead = await draft(
        api, e["id"], kind="advance", period_start=str(TODAY), period_end=str(TODAY + timedelta(days=30))
    )
    assert (await issued(api, ahead))["kind"] == "advance"  # asking ahead is what an advance does


async def test_billing_follows_what_was_accepted_not_what_changed_since(api: Api, password_hash: str) -> None:
    schedule = [{"label": "Start", "percent": 30}, {"label": "Ende", "percent": 70}]
    w = await accepted(api, password_hash, payment_schedule=schedule)
    e = (await api.get(f"/engagements/{w['engagement']['id']}")).json()
    changed = [{"label": "Start", "percent": 80}, {"label": "Ende", "percent": 20}]
    assert (
        await api.patch(f"/engagements/{e['id']}", json={"payment_schedule": changed, "version": e["version"]})
    ).status_code == 200
    refused = await from_basis(api, e["id"], basis="proposal", milestone=1)
    assert refused.status_code == 409 and "payment schedule changed" in refused.json()["detail"]


async def test_a_draft_takes_format_and_reference_from_its_client_when_issued(api: Api) -> None:
    c, e = await engagement_of(api)
    d = await draft(api, e["id"], buyer_reference="   ")
    assert (d["format"], d["buyer_reference"]) == (None, None)
    xr = {"invoice_format": "xrechnung", "buyer_reference": "991-33333TEST-33", "version": c["version"]}
    assert (await api.patch(f"/clients/{c['id']}", json=xr)).status_code == 200
    inv = await issued(api, d)
    assert (inv["format"], inv["buyer_reference"]) == ("xrechnung", "991-33333TEST-33")
    xml = (await api.get(f"/invoices/{inv['id']}/xml")).content
    assert b"xrechnung_3.0" in xml and b"991-33333TEST-33" in xml


async def test_a_deleted_drafts_id_is_never_given_again(api: Api) -> None:
    _, e = await engagement_of(api)
    d = await draft(api, e["id"])
    assert (await api.delete(f"/invoices/{d['id']}?version={d['version']}")).status_code == 204
    assert (await draft(api, e["id"]))["id"] == d["id"] + 1
