"""The providers a pilot sends data to (sub-processors, GDPR Art. 28): what they must say, who
sees them, the pilot's page, and the result report that lists them."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import download_text, generate, make_client, make_engagement, sign_in

AZURE = {
    "provider": "Microsoft Ireland Operations Ltd.",
    "service": "Azure OpenAI Service",
    "model": "GPT-4o",
    "hosting_region": "EU Data Boundary, Schweden",
    "hosting_country": "se",
    "data_categories": ["Kundenanfragen", " Angebotstexte ", "Kundenanfragen"],
    "personal_data": True,
    "dpa_signed_on": "2026-11-02",
}


async def _pilot(api: Api) -> tuple[dict, dict]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    return engagement, pilot


async def test_a_provider_says_where_it_hosts_and_how_data_leaves_the_eea(api: Api) -> None:
    engagement, pilot = await _pilot(api)
    assert pilot["processes_personal_data"] is False
    row = await api.create("sub-processors", {**AZURE, "pilot_id": pilot["id"]})
    assert row["hosting_country"] == "SE" and row["data_categories"] == ["Kundenanfragen", "Angebotstexte"]
    assert row["outside_eea"] is False and row["dpa_missing"] is False
    # A provider receiving personal data makes the pilot one that processes it (its proposal names the AVV).
    assert (await api.get(f"/pilots/{pilot['id']}")).json()["processes_personal_data"] is True

    us = {**AZURE, "provider": "Anthropic PBC", "hosting_region": "USA", "hosting_country": "US", "dpa_signed_on": None}
    refused = await api.post("/sub-processors", json={**us, "pilot_id": pilot["id"]})
    assert refused.status_code == 422 and "transfer mechanism" in refused.text
    outside = await api.create("sub-processors", {**us, "pilot_id": pilot["id"], "transfer_mechanism": "eu_us_dpf"})
    assert outside["outside_eea"] is True and outside["dpa_missing"] is True
    inside = await api.post("/sub-processors", json={**AZURE, "pilot_id": pilot["id"], "transfer_mechanism": "sccs"})
    assert inside.status_code == 422 and "within the EEA" in inside.text
    for wrong in (
        {"hosting_country": "XX"},
        {"data_categories": ["x" * 101]},
        {"provider": ""},
        {"data_categories": ["a\u0000b"]},  # printed in the AVV and the record of processing
        {"data_categories": ["Kunden\u202edaten"]},
        {"data_categories": []},  # personal data, but which?
        {"dpa_signed_on": "2099-01-01"},
        {"hosting_country": "IN", "transfer_mechanism": "adequacy"},  # India has no adequacy decision
        {"hosting_country": "CH", "transfer_mechanism": "eu_us_dpf"},  # the DPF is for US companies
    ):
        refused = await api.post("/sub-processors", json={**AZURE, "pilot_id": pilot["id"], **wrong})
        assert refused.status_code == 422, (wrong, refused.text)
    swiss = {**AZURE, "pilot_id": pilot["id"], "hosting_country": "CH", "transfer_mechanism": "adequacy"}
    assert (await api.post("/sub-processors", json=swiss)).status_code == 201
    # A change keeps the rules: dropping the mechanism of a US provider with personal data is refused.
    patch = {"version": outside["version"], "transfer_mechanism": None}
    assert (await api.patch(f"/sub-processors/{outside['id']}", json=patch)).status_code == 422
    listed = (await api.get(f"/sub-processors?pilot_id={pilot['id']}")).json()
    assert [r["provider"] for r in listed["items"]][:2] == ["Microsoft Ireland Operations Ltd.", "Anthropic PBC"]

    report = await generate(api, engagement["id"], kind="result_report")
    text = (await download_text(api, report)).replace("- ", "")  # words hyphenated in narrow columns
    assert "Datenschutz: wohin die Daten der Piloten gehen" in text
    assert "Anthropic PBC" in text and "EU-US Data Privacy Framework" in text and "seit 02.11.2026" in text
    assert "noch kein AVV erfasst" in text


async def test_the_pilot_page_records_a_provider(api: Api) -> None:
    _, pilot = await _pilot(api)
    token = await sign_in(api)
    page = await api.http.get(f"/pilots/{pilot['id']}")
    assert page.status_code == 200 and "Datenschutz: Anbieter, die Daten erhalten" in page.text
    form = {"_csrf_token": token, "provider": "OpenAI Ireland Ltd.", "hosting_region": "USA", "hosting_country": "US",
            "personal_data": "1", "data_categories": "Supportanfragen, Namen"}  # fmt: skip
    refused = await api.http.post(f"/pilots/{pilot['id']}/sub-processors", data=form)
    assert (
        refused.status_code == 422
        and "brauchen eine Übermittlungsgrundlage" in refused.text
        and "transfer_mechanism" not in refused.text.split("<main>")[1].split("<form")[0]
    )
    added = await api.http.post(f"/pilots/{pilot['id']}/sub-processors", data={**form, "transfer_mechanism": "sccs"})
    assert added.status_code == 303, added.text
    (row,) = (await api.get(f"/sub-processors?pilot_id={pilot['id']}")).json()["items"]
    assert row["data_categories"] == ["Supportanfragen", "Namen"] and row["transfer_mechanism"] == "sccs"
    page = await api.http.get(f"/pilots/{pilot['id']}")
    assert "AVV fehlt" in page.text and "außerhalb des EWR: Standardvertragsklauseln" in page.text
    edited = await api.http.post(
        f"/pilots/{pilot['id']}/sub-processors/{row['id']}",
        data={**form, "transfer_mechanism": "sccs", "dpa_signed_on": "2026-11-20", "version": str(row["version"])},
    )
    assert edited.status_code == 303, edited.text
    assert (await api.get(f"/sub-processors/{row['id']}")).json()["dpa_signed_on"] == "2026-11-20"
