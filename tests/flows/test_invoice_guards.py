"""What invoicing refuses: credit notes beyond the invoice, text a PDF/A cannot print, amounts
beyond the books, rates that are no German VAT, billing what the client did not accept as it is
now, service not rendered yet; and what a draft takes from its client only when issued."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_engagement
from tests.flows.test_invoice_basis import accepted, from_basis
from tests.flows.test_invoices import billable_client, draft, issued

TODAY = berlin_today()


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


async def test_a_credit_note_and_a_payment_at_once_leave_one_consistent_story(api: Api) -> None:
    _, e = await engagement_of(api)
    for _ in range(3):
        inv = await issued(api, await draft(api, e["id"]))
        credit = (await api.post(f"/invoices/{inv['id']}/credit-note")).json()
        pay = {"paid_on": str(TODAY), "amount": inv["gross_total"], "version": inv["version"]}
        took, paid = await asyncio.gather(
            api.post(f"/invoices/{credit['id']}/issue", json={"version": credit["version"]}),
            api.post(f"/invoices/{inv['id']}/payments", json=pay),
        )
        original = (await api.get(f"/invoices/{inv['id']}")).json()
        assert took.status_code in (200, 409) and paid.status_code in (201, 409)
        # Taken back means cancelled, whatever came first; a payment that got in is to refund.
        assert (original["status"] == "cancelled") == (took.status_code == 200)
        assert original["paid_total"] == (inv["gross_total"] if paid.status_code == 201 else "0.00")


async def test_billing_refuses_pricing_changed_since_the_acceptance(api: Api, password_hash: str) -> None:
    w = await accepted(api, password_hash)
    e = (await api.get(f"/engagements/{w['engagement']['id']}")).json()
    for change in ({"vat_rate": "16"}, {"pricing_model": "day_rate", "day_rate": "24000", "days": "1"}):
        moved = await api.patch(f"/engagements/{e['id']}", json=change | {"version": e["version"]})
        assert moved.status_code == 200, moved.text
        refused = await from_basis(api, e["id"], basis="proposal")
        assert refused.status_code == 409, refused.text
        e = moved.json()


async def test_text_no_xml_may_hold_and_references_that_show_nothing(api: Api) -> None:
    c, e = await engagement_of(api, invoice_format="xrechnung", buyer_reference="991-33333TEST-33")
    line = {"description": "Workshop \uffff", "quantity": "1", "unit_price": "1"}
    assert (await api.post("/invoices", json={"engagement_id": e["id"], "lines": [line]})).status_code == 422
    d = await draft(api, e["id"], buyer_reference="\u200d\u0301")
    assert d["buyer_reference"] is None  # shows nothing: the client's is used
    assert (await issued(api, d))["buyer_reference"] == "991-33333TEST-33"
    renamed = await api.patch(f"/clients/{c['id']}", json={"street": "Weg \ufffe", "version": c["version"]})
    assert renamed.status_code == 200  # a client's address is the team's to keep; an invoice cannot hold it
    d2 = await draft(api, e["id"])
    refused = await api.post(f"/invoices/{d2['id']}/issue", json={"version": d2["version"]})
    assert refused.status_code == 422
    assert [(x["rule"], x["path"]) for x in refused.json()["errors"]] == [("PDF/A-3", "buyer.street")]
