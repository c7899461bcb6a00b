"""Drafts from what the client accepted: the proposal's milestones and fee, an approved time
statement, a signed-off deliverable; each billed once, also when asked twice at once."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import proposable_engagement, propose
from tests.flows.test_invoices import billable_client, issued
from tests.flows.test_time_statements import approval, released, world
from tests.portal_helpers import deliver, generate_and_release


async def accepted(api: Api, password_hash: str, **engagement: Any) -> dict[str, Any]:
    client = await billable_client(api)
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    e = await propose(api, await proposable_engagement(api, client["id"], **engagement))
    proposal = await generate_and_release(api, e["id"])
    done = await api.post(f"/documents/{proposal['id']}/acceptance", "kunde", json=approval())
    assert done.status_code == 201, done.text
    return {"engagement": e, "proposal": proposal, "acceptance": done.json(), "client": client}


def from_basis(api: Api, engagement_id: int, **body: Any) -> Any:
    return api.post("/invoices/from-basis", json={"engagement_id": engagement_id} | body)


async def test_milestones_then_the_final_invoice_less_the_advance(api: Api, password_hash: str) -> None:
    schedule = [{"label": "bei Projektstart", "percent": 50}, {"label": "nach Abnahme", "percent": 50}]
    w = await accepted(api, password_hash, payment_schedule=schedule)
    e = w["engagement"]
    too_early = await from_basis(api, e["id"], basis="proposal", milestone=2)
    assert too_early.status_code == 409 and "milestone 1" in too_early.json()["detail"]
    # Asked for five times at once, the first milestone is drafted once.
    answers = await asyncio.gather(*(from_basis(api, e["id"], basis="proposal", milestone=1) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    advance = next(a.json() for a in answers if a.status_code == 201)
    line = advance["lines"][0]
    assert (advance["kind"], advance["type_code"], advance["net_total"], advance["gross_total"]) == (
        "advance",
        "386",
        "12000.00",
        "14280.00",
    )
    assert (line["basis"], line["basis_id"], line["basis_sha256"]) == (
        "proposal",
        w["proposal"]["id"],
        w["acceptance"]["document_sha256"],
    )
    assert "Anzahlung 50 % (bei Projektstart)" in line["description"]
    await issued(api, advance)
    final = await from_basis(api, e["id"], basis="proposal", milestone=2)
    assert final.status_code == 201, final.text
    f = final.json()
    assert (f["kind"], f["net_total"], f["gross_total"], f["prepaid"], f["due_total"]) == (
        "invoice",
        "24000.00",
        "28560.00",
        "14280.00",
        "14280.00",
    )
    assert advance["number"] is None and "Abzüglich der Anzahlungen" in f["note"]
    done = await issued(api, f)
    xml = (await api.get(f"/invoices/{done['id']}/xml")).content
    assert b"<ram:TotalPrepaidAmount>14280.00</ram:TotalPrepaidAmount>" in xml
    assert b"<ram:DuePayableAmount>14280.00</ram:DuePayableAmount>" in xml
    again = await from_basis(api, e["id"], basis="proposal", milestone=1)
    assert again.status_code == 409 and "billed in full" in again.json()["detail"]


async def test_a_credit_note_frees_what_the_invoice_billed(api: Api, password_hash: str) -> None:
    w = await accepted(api, password_hash)
    e = w["engagement"]
    inv = await issued(api, (await from_basis(api, e["id"], basis="proposal")).json())
    assert (await from_basis(api, e["id"], basis="proposal")).status_code == 409
    await issued(api, (await api.post(f"/invoices/{inv['id']}/credit-note")).json())
    rebilled = await from_basis(api, e["id"], basis="proposal")
    assert rebilled.status_code == 201 and rebilled.json()["gross_total"] == "28560.00"


async def test_an_approved_time_statement_is_billed_in_days_once(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash, pricing_model="day_rate", day_rate="1200.00", days="10")
    e = w["engagement"]
    await api.patch(
        f"/clients/{w['client']['id']}",
        json={"street": "Weg 1", "postal_code": "10115", "city": "Berlin", "version": w["client"]["version"]},
    )
    document = await released(api, e["id"])
    no_rate = await from_basis(api, e["id"], basis="statement", statement_id=document["id"])
    assert no_rate.status_code == 409 and "no day rate agreed" in no_rate.json()["detail"]
    proposal = await generate_and_release(api, e["id"])
    assert (await api.post(f"/documents/{proposal['id']}/acceptance", w["user"], json=approval())).status_code == 201
    unapproved = await from_basis(api, e["id"], basis="statement", statement_id=document["id"])
    assert unapproved.status_code == 409 and "not approved" in unapproved.json()["detail"]
    assert (await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())).status_code == 201
    decision = (await api.get(f"/documents/{document['id']}/decision")).json()
    # Days are counted as the approved statement counted them: 8 hours, not what is set later.
    now = (await api.get(f"/engagements/{e['id']}")).json()
    longer = await api.patch(f"/engagements/{e['id']}", json={"hours_per_day": "1.00", "version": now["version"]})
    refused = await from_basis(api, e["id"], basis="statement", statement_id=document["id"])
    assert refused.status_code == 409 and "hours per day" in refused.json()["detail"]
    back = {"hours_per_day": "8.00", "version": longer.json()["version"]}
    assert (await api.patch(f"/engagements/{e['id']}", json=back)).status_code == 200
    answers = await asyncio.gather(
        *(from_basis(api, e["id"], basis="statement", statement_id=document["id"]) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409]
    inv = next(a.json() for a in answers if a.status_code == 201)
    line = inv["lines"][0]
    # 615 billable minutes approved: 10.25 h at 8 h a day.
    assert (line["unit"], Decimal(line["quantity"]), Decimal(line["unit_price"])) == ("DAY", Decimal("1.2813"), 1200)
    assert line["net_amount"] == "1537.56" and line["basis_sha256"] == decision["document_sha256"]
    assert (inv["period_start"], inv["period_end"]) == ("2026-10-01", "2026-10-31")
    assert "10,25 Std." in line["description"]
    # A fixed fee is billed by its proposal, not by its time.
    other = await world(api, password_hash, name="Beta GmbH")
    refused = await from_basis(api, other["engagement"]["id"], basis="statement", statement_id=document["id"])
    assert refused.status_code == 409 and "fixed-fee" in refused.json()["detail"]


async def test_a_signed_off_deliverable_at_its_price(api: Api, password_hash: str) -> None:
    w = await accepted(api, password_hash)
    e = w["engagement"]
    d = await api.create(
        "deliverables", {"engagement_id": e["id"], "title": "KI-Leitfaden", "kind": "guideline", "due_week": 2}
    )
    body = {"basis": "deliverable", "deliverable_id": d["id"], "amount": "3500.00"}
    assert (await from_basis(api, e["id"], **body)).status_code == 409  # not accepted yet
    delivered = await deliver(api, d)
    signed = await api.post(
        f"/deliverables/{delivered['id']}/sign-off",
        "kunde",
        json={"decision": "accept", "version": delivered["version"]},
    )
    assert signed.status_code in (200, 201), signed.text
    made = await from_basis(api, e["id"], **body)
    assert made.status_code == 201, made.text
    inv = made.json()
    assert (inv["kind"], inv["net_total"], inv["lines"][0]["basis"]) == ("partial", "3500.00", "deliverable")
    assert inv["period_start"] == inv["period_end"] == str(berlin_today())  # delivered when accepted
    assert len(inv["lines"][0]["basis_sha256"]) == 64
    assert (await from_basis(api, e["id"], **body)).status_code == 409
    missing = await from_basis(api, e["id"], basis="deliverable", deliverable_id=d["id"])
    assert missing.status_code == 400 or missing.status_code == 422


async def test_the_final_invoice_deducts_only_advances_still_standing_when_issued(api: Api, password_hash: str) -> None:
    schedule = [{"label": "Start", "percent": "30"}, {"label": "Ende", "percent": "70"}]
    e = (await accepted(api, password_hash, payment_schedule=schedule))["engagement"]
    advance = await issued(api, (await from_basis(api, e["id"], basis="proposal", milestone=1)).json())
    final = (await from_basis(api, e["id"], basis="proposal", milestone=2)).json()
    assert final["prepaid"] == advance["gross_total"] == "8568.00"
    await issued(api, (await api.post(f"/invoices/{advance['id']}/credit-note")).json())
    done = await issued(api, final)
    assert (done["prepaid"], done["due_total"]) == ("0.00", "28560.00")
    # The fee is billed in full: the credited milestone cannot be billed again beside it.
    assert (await from_basis(api, e["id"], basis="proposal", milestone=1)).status_code == 409
