"""After go-live: do the savings last? The value at go-live against later measurements, the
checkpoints 30, 60 and 90 days after the end (made once, mailed once, with the stopwatch link),
a slip back alerting the lead consultant once, and actual run costs keeping the ROI current."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from backend.domains.pilots.aftercare import plan_checkpoints
from backend.kernel.db import make_sessionmaker, unit_of_work
from tests.conftest import Api
from tests.factories import download_text, generate, make_client, make_engagement
from tests.literacy_helpers import rows
from tests.portal_helpers import text_of
from tests.smtp_server import SmtpTestServer

END = date(2026, 7, 26)  # 8 weeks from 2026-06-01


async def _live_pilot(api: Api, *, owner: bool = True) -> dict[str, Any]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"], start_date="2026-06-01", duration_weeks=8)
    if owner:
        await api.create(
            "contacts",
            {"client_id": client["id"], "name": "Olaf Owner", "email": "olaf@kunde.de", "is_ai_owner": True},
        )
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    for stage in ("prototype", "pilot", "production"):
        pilot = (
            await api.post(f"/pilots/{pilot['id']}/transitions", json={"to": stage, "version": pilot["version"]})
        ).json()
    kpi = await api.create(
        "kpis",
        {
            "pilot_id": pilot["id"],
            "name": "Zeit je Angebot",
            "unit": "minutes",
            "baseline_value": "90",
            "monthly_volume": "100",
            "hourly_cost": "60.00",
            "run_cost_monthly": "100.00",
        },
    )
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-07-20", "value": "50"})
    return {"engagement": engagement, "pilot": pilot, "kpi": kpi, "client": client}


async def test_later_measurements_are_held_to_the_value_at_go_live(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await _live_pilot(api)
    kpi = world["kpi"]
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-08-25", "value": "60"})
    waiting = (await api.get(f"/pilots/{world['pilot']['id']}/sustained")).json()
    (row,) = waiting["kpis"]
    assert (row["go_live_value"], row["go_live_improvement"], row["state"]) == ("50.0000", "40.0000", "holding")
    (after,) = row["after"]
    assert (after["checkpoint"], after["kept_percent"], after["slipped"]) == (30, "75.0", False)
    assert await rows(api, "SELECT id FROM kpi_slip_alerts") == []  # 75 % kept: the threshold (25) not crossed

    slipped = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-09-24", "value": "75"})
    found = (await api.get(f"/pilots/{world['pilot']['id']}/sustained")).json()["kpis"][0]
    assert found["state"] == "slipped" and found["after"][-1]["kept_percent"] == "37.5"
    assert found["after"][-1]["checkpoint"] == 60
    alerts = await rows(api, "SELECT measurement_id, kept_percent FROM kpi_slip_alerts")
    assert [(a[0], Decimal(str(a[1]))) for a in alerts] == [(slipped["id"], Decimal("37.5"))]
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["consultant@example.de"]
    body = " ".join(text_of(mail).split())
    assert "Zeit je Angebot" in body and "37,5 %" in body and "40 min" in body and "15 min" in body
    assert "Stand 24.09.2026" in body  # the measurement's day
    ahead = await api.post("/measurements", json={"kpi_id": kpi["id"], "measured_on": "2099-01-01", "value": "80"})
    assert ahead.status_code == 422  # a day still to come would become the latest value
    # A KPI of a pilot not in production, or before the end, alerts nobody.
    before = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-07-25", "value": "89"})
    assert before["id"] and len(await rows(api, "SELECT id FROM kpi_slip_alerts")) == 1


async def test_checkpoints_ask_once_with_the_stopwatch_link(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await _live_pilot(api)
    await api.create(
        "kpis", {"pilot_id": world["pilot"]["id"], "name": "Fehlerquote", "unit": "percent", "baseline_value": "8"}
    )
    maker = make_sessionmaker(api.engine)
    async with unit_of_work(maker) as session:
        assert await plan_checkpoints(session, END + timedelta(days=29)) == []
    async with unit_of_work(maker) as session:
        (made,) = await plan_checkpoints(session, END + timedelta(days=31))
        assert made.days == 30 and made.email == "olaf@kunde.de"
    async with unit_of_work(maker) as session:
        assert await plan_checkpoints(session, END + timedelta(days=32)) == []  # made once
    rounds = (await api.get("/timing-rounds", params={"kpi_id": world["kpi"]["id"]})).json()["items"]
    assert [(r["checkpoint_days"], r["status"]) for r in rounds] == [(30, "open")]
    await api.run_jobs(smtp_url=smtp_server.url)
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["olaf@kunde.de"]
    body = " ".join(text_of(mail).split())
    assert "/m/" in body and "Zeit je Angebot" in body and "Fehlerquote" in body and "30 Tage" in body
    assert "Nachmessung nach 30 Tagen" in str(mail.message["Subject"])
    async with unit_of_work(maker) as session:
        (sixty,) = await plan_checkpoints(session, END + timedelta(days=60))
        assert sixty.days == 60
    status = (await api.get(f"/pilots/{world['pilot']['id']}/sustained")).json()["checkpoints"]
    assert [(c["days"], c["status"]) for c in status] == [(30, "sent"), (60, "pending")]


async def test_a_checkpoint_without_anyone_to_ask_is_recorded_not_mailed(api: Api) -> None:
    world = await _live_pilot(api, owner=False)
    async with unit_of_work(make_sessionmaker(api.engine)) as session:
        (made,) = await plan_checkpoints(session, END + timedelta(days=30))
    assert made.status == "bounced" and "owner" in (made.last_error or "")
    assert world["pilot"]["stage"] == "production"


async def test_actual_run_costs_replace_the_estimates_in_the_figures(api: Api) -> None:
    world = await _live_pilot(api)
    pilot_id = world["pilot"]["id"]
    second = await api.create(
        "kpis",
        {
            "pilot_id": pilot_id,
            "name": "Rückfragen",
            "unit": "minutes",
            "baseline_value": "30",
            "monthly_volume": "50",
            "hourly_cost": "60.00",
            "run_cost_monthly": "50.00",
        },
    )
    await api.create("measurements", {"kpi_id": second["id"], "measured_on": "2026-07-20", "value": "20"})
    estimated = (await api.get(f"/pilots/{pilot_id}/results")).json()
    assert estimated["run_cost_basis"] == "estimate" and estimated["figures"]["run_cost_per_month"] == "150.00"
    for month, amount in (("2026-08", "100.00"), ("2026-09", "200.00"), ("2026-10", "250.00"), ("2026-11", "50.00")):
        await api.create("run-costs", {"pilot_id": pilot_id, "month": month, "amount": amount})
    duplicate = await api.post("/run-costs", json={"pilot_id": pilot_id, "month": "2026-11", "amount": "1.00"})
    assert duplicate.status_code == 409 and "2026-11 has its run cost already" in duplicate.json()["detail"]
    ahead = await api.post("/run-costs", json={"pilot_id": pilot_id, "month": "2099-12", "amount": "0"})
    assert ahead.status_code == 422
    assert (
        await api.post("/run-costs", json={"pilot_id": pilot_id, "month": "2026-13", "amount": "1"})
    ).status_code == 422
    actual = (await api.get(f"/pilots/{pilot_id}/results")).json()
    # The last three months (Sep, Oct, Nov): 500 / 3 = 166.67, shared 2 : 1 as the estimates are.
    assert actual["run_cost_basis"] == "actual" and actual["actual_run_cost"] == "166.67"
    assert actual["figures"]["run_cost_per_month"] == "166.67"
    assert [k["figures"]["run_cost_per_month"] for k in actual["kpis"]] == ["111.11", "55.56"]
    gross = Decimal(estimated["figures"]["net_per_month"]) + Decimal("150.00")
    assert Decimal(actual["figures"]["net_per_month"]) == gross - Decimal("166.67")


async def test_the_pilot_page_shows_what_lasts_and_takes_the_bills(api: Api) -> None:
    from tests.factories import sign_in

    world = await _live_pilot(api)
    pilot_id = world["pilot"]["id"]
    await api.create("measurements", {"kpi_id": world["kpi"]["id"], "measured_on": "2026-09-24", "value": "75"})
    token = await sign_in(api)
    page = " ".join((await api.http.get(f"/pilots/{pilot_id}")).text.split())
    section = page.split('id="sustained"')[1].split("</section>")[0]
    assert (
        "hält die Einsparung" in section and "fällt zurück" in section and "37,5 %" in section and "60 Tage" in section
    )
    refused = await api.http.post(
        f"/pilots/{pilot_id}/run-costs", data={"month": "11/2026", "amount": "12", "_csrf_token": token}
    )
    assert refused.status_code == 422
    saved = await api.http.post(
        f"/pilots/{pilot_id}/run-costs",
        data={"month": "2026-11", "amount": "182,40", "note": "Azure", "_csrf_token": token},
    )
    assert saved.status_code == 303, saved.text
    page = " ".join((await api.http.get(f"/pilots/{pilot_id}")).text.split())
    assert "182,40 €" in page and "dem Mittel der letzten drei erfassten Monate" in page


async def test_the_result_report_says_whether_the_saving_holds(api: Api) -> None:
    world = await _live_pilot(api)
    kpi = world["kpi"]
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-08-25", "value": "60"})
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-09-24", "value": "75"})
    found = (await api.get(f"/pilots/{world['pilot']['id']}/sustained")).json()["kpis"][0]
    assert [a["kept_percent"] for a in found["after"]] == ["75.0", "37.5"]

    report = " ".join(
        (await download_text(api, await generate(api, world["engagement"]["id"], kind="result_report"))).split()
    )
    assert "Nach dem Go-live: Hält die Einsparung?" in report
    # The same figures as the API: the value at go-live, each later one with the share kept.
    assert "50 min" in report and "25.07.2026" not in report and "20.07.2026" in report
    assert "nach 30 Tagen (25.08.2026): 60 min · 75,0 % gehalten" in report
    assert "nach 60 Tagen (24.09.2026): 75 min · 37,5 % gehalten" in report and "fällt zurück" in report
    # The same word and share as the pilot page, and a recommendation to find out why.
    assert "„Angebotsassistent“ fällt zurück: Bei „Zeit je Angebot“ ist zuletzt nur noch 37,5 %" in report


async def test_a_report_without_production_pilots_has_no_after_go_live_section(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    report = await download_text(api, await generate(api, engagement["id"], kind="result_report"))
    assert "Go-live" not in report


async def test_a_tiny_improvement_at_go_live_makes_no_share_too_large_to_store(api: Api) -> None:
    world = await _live_pilot(api)
    kpi = world["kpi"]
    # 90 → 89.9999 at go-live: 40 minutes worse later keeps −40,000,000 % of it (bounded, stored).
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-07-25", "value": "89.9999"})
    later = await api.post("/measurements", json={"kpi_id": kpi["id"], "measured_on": "2026-08-27", "value": "130"})
    assert later.status_code == 201, later.text
    found = (await api.get(f"/pilots/{world['pilot']['id']}/sustained")).json()["kpis"][0]
    assert found["after"][-1]["kept_percent"] == "-99999.9" and found["state"] == "slipped"
    alerts = await rows(api, "SELECT kept_percent FROM kpi_slip_alerts")
    assert [Decimal(str(a[0])) for a in alerts] == [Decimal("-99999.9")]


async def test_the_bills_go_against_the_kpis_with_figures_and_their_cents_add_up(api: Api) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from backend.domains.pilots.models import Kpi
    from backend.domains.pilots.results_read import shared_run_cost

    world = await _live_pilot(api)  # 90 → 50 min, 100 a month at 60 €/h: 4.000 € saved a month
    await api.create("kpis", {"pilot_id": world["pilot"]["id"], "name": "Zufriedenheit", "unit": "percent"})
    for month in ("2026-09", "2026-10", "2026-11"):
        await api.create("run-costs", {"pilot_id": world["pilot"]["id"], "month": month, "amount": "600.00"})
    found = (await api.get(f"/pilots/{world['pilot']['id']}/results")).json()
    assert found["actual_run_cost"] == "600.00"
    # The whole bill is set against the time KPI, the only one with figures: 4.000 − 600.
    assert found["figures"]["run_cost_per_month"] == "600.00" and found["figures"]["net_per_month"] == "3400.00"

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.sampled_from(["0", "0.01", "3", "100"]), min_size=1, max_size=6), st.integers(0, 10**6))
    def shares_add_up(estimates: list[str], cents: int) -> None:
        kpis = [
            Kpi(id=n + 1, pilot_id=1, name="k", unit="minutes", run_cost_monthly=Decimal(e))
            for n, e in enumerate(estimates)
        ]
        total = Decimal(cents) / 100
        shares = shared_run_cost(kpis, total)
        assert sum(shares.values()) == total and all(s >= 0 for s in shares.values())

    shares_add_up()


async def test_a_bill_typed_wrong_is_removed_on_the_pilot_page(api: Api) -> None:
    from tests.factories import sign_in

    world = await _live_pilot(api)
    pilot_id = world["pilot"]["id"]
    wrong = await api.create("run-costs", {"pilot_id": pilot_id, "month": "2026-10", "amount": "1.23"})
    token = await sign_in(api)
    page = await api.http.get(f"/pilots/{pilot_id}")
    assert f'action="/pilots/{pilot_id}/run-costs/{wrong["id"]}/delete"' in page.text
    stale = await api.http.post(
        f"/pilots/{pilot_id}/run-costs/{wrong['id']}/delete", data={"_csrf_token": token, "version": "7"}
    )
    assert stale.status_code == 409
    gone = await api.http.post(
        f"/pilots/{pilot_id}/run-costs/{wrong['id']}/delete", data={"_csrf_token": token, "version": "1"}
    )
    assert gone.status_code == 303
    assert (await api.get(f"/run-costs/{wrong['id']}")).status_code == 404
    again = await api.create("run-costs", {"pilot_id": pilot_id, "month": "2026-10", "amount": "1234.56"})
    assert again["amount"] == "1234.56"
