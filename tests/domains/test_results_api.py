"""Results endpoints: the demo figures, computed from rows through the API."""

from tests.conftest import Api
from tests.factories import OFFER_KPI, SUPPORT_KPI, make_client, make_engagement, pilot_with


async def demo_engagement(api: Api) -> tuple[dict, dict, dict]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])  # fixed fee 24000.00
    offers = await pilot_with(api, engagement["id"], "Angebotsassistent", OFFER_KPI, ["62", "48", "41"])
    support = await pilot_with(api, engagement["id"], "E-Mail-Vorqualifizierung", SUPPORT_KPI, ["9.5", "8.0"])
    return engagement, offers, support


async def test_pilot_results_show_the_hand_computed_savings(api: Api) -> None:
    _, offers, _ = await demo_engagement(api)
    result = (await api.get(f"/pilots/{offers['id']}/results")).json()
    kpi = result["kpis"][0]
    # 90 → 41 minutes: 49 min × 120/month = 98 h; × 65 € = 6370 €; − 150 € run costs = 6220 €
    assert (kpi["status"], kpi["latest_value"], kpi["improvement"]) == ("ok", "41.0000", "49.0000")
    assert (kpi["improvement_percent"], kpi["target_progress_percent"]) == ("54.44", "108.89")
    assert kpi["figures"] == {
        "hours_saved_per_month": "98.00",
        "cost_saved_per_month": "6370.00",
        "cost_saved_per_year": "76440.00",
        "run_cost_per_month": "150.00",
        "net_per_month": "6220.00",
        "net_per_year": "74640.00",
    }
    assert result["figures"] == kpi["figures"]


async def test_engagement_results_roi_and_payback(api: Api) -> None:
    engagement, _, support = await demo_engagement(api)
    result = (await api.get(f"/engagements/{engagement['id']}/results")).json()
    # support: 4 min × 800 = 53.33 h, 2560 € − 90 € = 2470 €; total net 8690 €/month, 104280 €/year
    assert result["figures"]["net_per_month"] == "8690.00"
    assert result["figures"]["net_per_year"] == "104280.00"
    # ROI (104280 − 24000) / 24000 = 334.50 %; payback 24000 / 8690 = 2.76 months
    assert result["fee_return"] == {
        "status": "ok",
        "fee": "24000.00",
        "first_year_roi_percent": "334.50",
        "payback_months": "2.76",
        "reason": None,
    }
    moved = await api.post(
        f"/pilots/{support['id']}/transitions", json={"to": "stopped", "version": 1, "reason": "kein Nutzen"}
    )
    assert moved.status_code == 200
    after = (await api.get(f"/engagements/{engagement['id']}/results")).json()
    assert after["excluded_pilot_ids"] == [support["id"]]
    assert after["figures"]["net_per_month"] == "6220.00"
    assert len(after["pilots"]) == 2


async def test_not_enough_data_is_explicit(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    empty = (await api.get(f"/engagements/{engagement['id']}/results")).json()
    assert (empty["status"], empty["figures"]) == ("no_figures", None)
    assert empty["fee_return"]["status"] == "no_figures"
    pilot = await pilot_with(api, engagement["id"], "P", OFFER_KPI | {"hourly_cost": None}, ["50"])
    result = (await api.get(f"/pilots/{pilot['id']}/results")).json()
    assert result["kpis"][0]["status"] == "not_applicable"
    assert result["kpis"][0]["missing"] == ["hourly_cost"]
    assert result["without_figures"] == ["Bearbeitungszeit pro Angebot"]


async def test_corrections_change_the_results(api: Api) -> None:
    _, offers, _ = await demo_engagement(api)
    kpi_id = (await api.get(f"/pilots/{offers['id']}/results")).json()["kpis"][0]["kpi_id"]
    latest = (await api.get("/measurements", params={"kpi_id": kpi_id, "sort": "-measured_on", "limit": 1})).json()[
        "items"
    ][0]
    await api.post(
        f"/measurements/{latest['id']}/corrections", json={"version": 1, "value": "45", "note": "Messfehler"}
    )
    kpi = (await api.get(f"/pilots/{offers['id']}/results")).json()["kpis"][0]
    # 90 → 45: 45 min × 120 = 90 h × 65 € = 5850 € − 150 € = 5700 €
    assert (kpi["latest_value"], kpi["figures"]["net_per_month"]) == ("45.0000", "5700.00")


async def test_results_query_count_is_constant(api: Api) -> None:
    engagement, _, _ = await demo_engagement(api)
    with api.count_queries() as few:
        assert (await api.get(f"/engagements/{engagement['id']}/results")).status_code == 200
    for n in range(4):
        await pilot_with(api, engagement["id"], f"P{n}", SUPPORT_KPI, ["9", "8", "7"])
    with api.count_queries() as many:
        assert (await api.get(f"/engagements/{engagement['id']}/results")).status_code == 200
    assert many.count == few.count <= 5


async def test_other_clients_results_are_404(api: Api, password_hash: str) -> None:
    engagement, offers, _ = await demo_engagement(api)
    other = await make_client(api, "Fremd GmbH")
    await api.add_user("kunde", "client", password_hash, client_id=other["id"])
    assert (await api.get(f"/engagements/{engagement['id']}/results", "kunde")).status_code == 404
    assert (await api.get(f"/pilots/{offers['id']}/results", "kunde")).status_code == 404
