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
    # The principal, the engagement, its pilots, their KPIs, their measurements, their bills.
    assert many.count == few.count <= 6


async def test_other_clients_results_are_404(api: Api, password_hash: str) -> None:
    engagement, offers, _ = await demo_engagement(api)
    other = await make_client(api, "Fremd GmbH")
    await api.add_user("kunde", "client", password_hash, client_id=other["id"])
    assert (await api.get(f"/engagements/{engagement['id']}/results", "kunde")).status_code == 404
    assert (await api.get(f"/pilots/{offers['id']}/results", "kunde")).status_code == 404


async def _quotes_timed(api: Api) -> tuple[dict, dict, dict]:
    """A pilot whose KPI's baseline is 30 ± 6 minutes over 10 quotes."""
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    kpi = OFFER_KPI | {
        "baseline_value": "30",
        "target_value": "20",
        "baseline_std_dev": "6",
        "baseline_sample_size": 10,
    }
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebote"})
    return engagement, pilot, await api.create("kpis", kpi | {"pilot_id": pilot["id"]})


async def test_savings_come_with_their_confidence(api: Api) -> None:
    """30 ± 6 min over 10 quotes before, 24 ± 6 over 10 after (the hand case of test_confidence):
    at least 1.3470 min per quote (the 90 % interval's lower end), so at least 1.3470 × 120 / 60 × 65 €
    per month."""
    engagement, pilot, created = await _quotes_timed(api)
    measured = {"kpi_id": created["id"], "measured_on": "2026-11-20", "value": "24", "sample_size": 10, "std_dev": "6"}
    row = await api.create("measurements", measured)
    found = (await api.get(f"/pilots/{pilot['id']}/results")).json()["kpis"][0]
    assert found["confidence"] == {
        "certainty": "significant",
        "level_percent": 90,
        "lower": "1.3470",
        "upper": "10.6530",
        "at_least": "1.3470",
        "degrees_of_freedom": 18.0,
    }
    # 1.3470 min × 120 / 60 = 2.694 h × 65 € = 175.11 €, less 150 € run costs
    assert found["at_least_figures"]["cost_saved_per_month"] == "175.11"
    assert found["at_least_figures"]["net_per_month"] == "25.11"
    assert found["figures"]["cost_saved_per_month"] == "780.00"  # the point estimate: 6 min
    # 20 % of 30 min is 6 min; with a spread of 6: about 14 quotes on each side.
    assert found["cases_needed"] == 14

    # Three quotes with twice the spread: the same 6 minutes, not yet significant.
    corrected = await api.post(
        f"/measurements/{row['id']}/corrections",
        json={"version": row["version"], "value": "24", "sample_size": 3, "std_dev": "12", "note": "nur drei Angebote"},
    )
    assert corrected.status_code in (200, 201), corrected.text
    await api.patch(
        f"/kpis/{created['id']}",
        json={"version": created["version"], "baseline_sample_size": 3, "baseline_std_dev": "12"},
    )
    found = (await api.get(f"/pilots/{pilot['id']}/results")).json()["kpis"][0]
    assert found["confidence"]["certainty"] == "not_yet_significant" and found["at_least_figures"] is None
    assert found["figures"]["cost_saved_per_month"] == "780.00"

    # Without spreads: the point estimate alone, and the certainty says it is unknown.
    plain = (
        await api.get(
            f"/pilots/{(await pilot_with(api, engagement['id'], 'Support', OFFER_KPI, ['41']))['id']}/results"
        )
    ).json()
    assert plain["kpis"][0]["confidence"]["certainty"] == "unknown" and plain["kpis"][0]["cases_needed"] is None


async def test_the_pilot_page_says_how_sure_the_saving_is(api: Api) -> None:
    from tests.factories import sign_in

    engagement, pilot, created = await _quotes_timed(api)
    token = await sign_in(api)
    form = {"_csrf_token": token, "measured_on": "2026-11-20", "value": "24", "sample_size": "10", "std_dev": "6,0"}
    added = await api.http.post(f"/pilots/{pilot['id']}/kpis/{created['id']}/measurements", data=form)
    assert added.status_code == 303, added.text
    page = await api.http.get(f"/pilots/{pilot['id']}")
    text = page.text.replace("\xa0", " ")
    assert "gesichert (90 %)" in text and "Mindestens 25,11 € netto pro Monat" in text
    assert "zwischen 1,3 min und 10,7 min" in text and "etwa 14 Fälle" in text and "± 6 min" in text


async def test_the_result_report_says_how_sure_each_saving_is(api: Api) -> None:
    from tests.factories import download_text, generate, sign_in

    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    for title, n, spread in (("Angebote", 10, "6"), ("Support", 3, "12")):
        kpi = OFFER_KPI | {"name": title, "baseline_value": "30", "target_value": "20"}
        pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": title})
        created = await api.create(
            "kpis", kpi | {"pilot_id": pilot["id"], "baseline_std_dev": spread, "baseline_sample_size": n}
        )
        await api.create(
            "measurements",
            {"kpi_id": created["id"], "measured_on": "2026-11-20", "value": "24", "sample_size": n, "std_dev": spread},
        )
    text = " ".join((await download_text(api, await generate(api, engagement["id"], kind="result_report"))).split())
    assert "Mindestens 25,11 € netto pro Monat bei 90 % Sicherheit" in text
    assert (
        "NOCH NICHT SIGNIFIKANT" in text
        and "dass es gar keine Verbesserung gibt, ist noch nicht ausgeschlossen" in text
    )
    # The totals say they hold an uncertain saving, and the report does not send it into
    # operation: it asks for more cases first; the certain one may go.
    assert "Die Summen enthalten Einsparungen, die noch nicht signifikant sind: „Support“." in text
    assert "„Angebote“ in den Regelbetrieb überführen" in text
    assert "„Support“ in den Regelbetrieb überführen" not in text
    # Its spread 12 at a baseline of 30: about 51 cases to see 20 % at 90 % with 80 % power.
    assert "Vor dem Regelbetrieb von „Support“ die Einsparung sichern" in text and "etwa 51 Fälle" in text
    # The pilot page says it beside the pilot's total too.
    await sign_in(api)
    page = " ".join((await api.http.get(f"/pilots/{pilot['id']}")).text.split())
    assert "Die Summe enthält Einsparungen, die noch nicht gesichert sind: „Support“." in page


async def test_figures_at_the_inputs_limits_are_shown_not_failed(api: Api) -> None:
    from tests.factories import download_text, generate, sign_in

    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Groß"})
    kpi = await api.create(
        "kpis",
        {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes", "baseline_value": "9999999999.9999",
         "monthly_volume": "9999999999.99", "hourly_cost": "99999999.99"},
    )  # fmt: skip
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "0"})
    await sign_in(api)
    page = await api.http.get(f"/pilots/{pilot['id']}")
    assert page.status_code == 200 and "€" in page.text
    report = await download_text(api, await generate(api, engagement["id"], kind="result_report"))
    assert "Groß" in report


async def test_a_sure_improvement_that_does_not_cover_its_costs_says_so(api: Api) -> None:
    from tests.factories import download_text, generate, sign_in

    engagement, pilot, created = await _quotes_timed(api)
    await api.patch(f"/kpis/{created['id']}", json={"version": created["version"], "run_cost_monthly": "400.00"})
    measured = {"kpi_id": created["id"], "measured_on": "2026-11-20", "value": "24", "sample_size": 10, "std_dev": "6"}
    await api.create("measurements", measured)
    found = (await api.get(f"/pilots/{pilot['id']}/results")).json()["kpis"][0]
    assert found["confidence"]["certainty"] == "significant" and found["at_least_figures"]["net_per_month"] == "-224.89"
    await sign_in(api)
    page = " ".join((await api.http.get(f"/pilots/{pilot['id']}")).text.split())
    assert "deckt die laufenden Kosten noch nicht" in page and "Mindestens -224,89" not in page
    report = " ".join((await download_text(api, await generate(api, engagement["id"], kind="result_report"))).split())
    assert "deckt die laufenden Kosten noch nicht" in report and "-224,89 € netto" not in report
