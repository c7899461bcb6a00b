"""The client's engagement page shows what was saved so far: the same figures as the API and
the result report, with how sure each saving is."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.factories import OFFER_KPI, SUPPORT_KPI, download_text, generate, pilot_with
from tests.portal_helpers import portal_sign_in, portal_world
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"


def _euros(value: str) -> str:
    """ "6220.00" as the pages and the report write it: 6.220,00 €."""
    whole, cents = value.split(".")
    return f"{int(whole):,}".replace(",", ".") + f",{cents} €"


async def test_the_portal_shows_the_same_savings_as_the_api_and_the_report(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id = world["engagement"]["id"]
    offers = OFFER_KPI | {"baseline_std_dev": "25"}
    await pilot_with(api, engagement_id, "Angebotsassistent", offers, ["62", "48"])
    await pilot_with(api, engagement_id, "E-Mail-Vorqualifizierung", SUPPORT_KPI, ["9.5", "8.0"])
    # The offer assistant's last measurement with its spread: significant at 90 %.
    results = (await api.get(f"/engagements/{engagement_id}/results")).json()
    kpi_id = results["pilots"][0]["kpis"][0]["kpi_id"]
    await api.create(
        "measurements",
        {"kpi_id": kpi_id, "measured_on": "2026-11-28", "value": "41", "sample_size": 11, "std_dev": "15"},
    )
    results = (await api.get(f"/engagements/{engagement_id}/results")).json()
    report = " ".join((await download_text(api, await generate(api, engagement_id, kind="result_report"))).split())

    await portal_sign_in(api, smtp_server, EMAIL)
    page = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text.replace("\xa0", " "))
    section = text.split('id="results"')[1].split("</section>")[0]
    assert "Bisher eingespart" in text
    total = _euros(results["figures"]["net_per_month"])
    assert total == "8.690,00 €" and total in section and total in report
    assert _euros(results["figures"]["net_per_year"]) in section
    for pilot in results["pilots"]:
        kpi = pilot["kpis"][0]
        net = _euros(kpi["figures"]["net_per_month"])
        assert pilot["title"] in section and net in section and net in report
    offer = results["pilots"][0]["kpis"][0]
    assert offer["confidence"]["certainty"] == "significant"
    at_least = _euros(offer["at_least_figures"]["net_per_month"])
    assert f"Mindestens {at_least} netto pro Monat" in section and f"Mindestens {at_least} netto pro Monat" in report
    assert section.count("<svg") == 2  # a chart per KPI, as on the team's page


async def test_the_readiness_change_for_everyone_and_the_levers_at_a_glance_for_the_ai_owner(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    from tests.shapes import start_assessment

    world = await portal_world(api, "Alpha GmbH", EMAIL)
    client_id, engagement_id = world["client"]["id"], world["engagement"]["id"]
    await api.create("readiness-assessments", start_assessment(client_id, engagement_id))
    await api.create(
        "readiness-assessments",
        start_assessment(client_id, engagement_id, phase="end", assessed_on="2026-12-20", priorities=4, kpi_practice=3),
    )
    await pilot_with(api, engagement_id, "Angebotsassistent", OFFER_KPI, ["62", "48"])
    stopped = await api.create("pilots", {"engagement_id": engagement_id, "title": "Verworfen"})
    assert stopped["stage"] == "idea"
    idea = await api.create(
        "ideas", {"engagement_id": engagement_id, "title": "Idee", "impact": 4, "effort": 2, "data_readiness": 3}
    )
    assert idea["pilot_id"] is None
    await api.create("participants", {"client_id": client_id, "name": "Jana Vogt"})
    owner = await api.create(
        "contacts",
        {
            "client_id": client_id,
            "name": "Olaf Owner",
            "email": "olaf@alpha.de",
            "portal_access": True,
            "is_ai_owner": True,
        },
    )
    assert owner["is_ai_owner"]

    await portal_sign_in(api, smtp_server, EMAIL)
    text = re.sub(r"\s+", " ", (await api.http.get(f"/portal/engagements/{engagement_id}")).text)
    section = text.split('id="readiness"')[1].split("</section>")[0]
    assert "KI-Reifegrad" in section and "5 / 25" in section and "10 / 25" in section and "+5" in section
    assert "Heute" not in section and "Beschäftigten geschult" not in section  # the facts are the AI owner's

    api.http.cookies.clear()
    await portal_sign_in(api, smtp_server, "olaf@alpha.de")
    text = re.sub(r"\s+", " ", (await api.http.get(f"/portal/engagements/{engagement_id}")).text)
    section = text.split('id="readiness"')[1].split("</section>")[0]
    assert "Olaf Owner" in section and "Heute" in section
    for fact in (
        "1 Ideen bewertet, 0 davon als Pilot gestartet",
        "0 von 1 Beschäftigten geschult",
        "0 von 2 Piloten im Betrieb",
        "1 von 1 Kennzahlen mit Ausgangswert und Messung, 0 davon gesichert",
    ):
        assert fact in section, fact
