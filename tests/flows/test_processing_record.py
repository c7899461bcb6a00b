"""The record of processing activities (Art. 30 GDPR): the product's own processing with the
retention it applies, the pilots' processing on clients' behalf with their sub-processors, and
the TOMs; JSON and PDF/A, for admins."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import make_client, make_engagement, pdf_text


async def test_the_record_names_what_is_processed_and_for_whom(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Support-Triage"})
    await api.create(
        "sub-processors",
        {"pilot_id": pilot["id"], "provider": "Anthropic PBC", "hosting_region": "USA", "hosting_country": "US",
         "personal_data": True, "transfer_mechanism": "sccs", "data_categories": ["Support-E-Mails"]},
    )  # fmt: skip
    other = await make_engagement(api, client["id"], title="Ohne Personenbezug")
    await api.create("pilots", {"engagement_id": other["id"], "title": "Rechnungsprüfung"})

    answer = await api.get("/privacy/record-of-processing", "admin")
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert len(record["activities"]) == 8
    invoicing = next(a for a in record["activities"] if a["name"] == "Rechnungsstellung und Buchhaltung")
    assert "8 Jahre" in invoicing["retention"] and "§ 147 AO" in invoicing["basis"]
    (behalf,) = record["on_behalf"]
    assert behalf["client"] == client["name"]
    (part,) = behalf["engagements"]  # the pilot without personal data is no processing on behalf
    assert part["pilots"] == ["Support-Triage"] and part["dpa"] == "noch nicht angenommen"
    (provider,) = part["processors"]
    assert (
        provider["provider"] == "Anthropic PBC" and provider["transfer"] == "Standardvertragsklauseln (Art. 46 DSGVO)"
    )
    assert any("Argon2id" in m["text"] for m in record["measures"])

    english = (await api.get("/privacy/record-of-processing?lang=en", "admin")).json()
    assert english["labels"]["title"] == "Record of processing activities"
    pdf = await api.get("/privacy/record-of-processing?format=pdf", "admin")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Verzeichnis von Verarbeitungstätigkeiten" in text and "Anthropic PBC" in text
    assert (await api.get("/privacy/record-of-processing", "consultant")).status_code == 403
