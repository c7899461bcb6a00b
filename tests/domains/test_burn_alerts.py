"""Budget alerts: each threshold an engagement reaches is recorded once and mailed once to its
lead consultant, whatever runs at the same moment or dies on the way."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from backend.domains.timesheets.alerts import send_alert
from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.smtp_server import SmtpTestServer

TODAY = berlin_today()


async def engagement(api: Api, **overrides: Any) -> dict[str, Any]:
    """A fixed fee of 1,000 €; the consultant (its lead) costs 100 €/h: each hour is 10 %."""
    client = await make_client(api)
    rate = {"user_id": api.users["consultant"], "valid_from": "2026-01-01", "hourly_cost": "100.00"}
    if not (await api.get("/cost-rates", "admin")).json()["items"]:
        await api.create("cost-rates", rate, "admin")
    body = {"start_date": str(TODAY - timedelta(days=7)), "fixed_fee": "1000.00"} | overrides
    return await make_engagement(api, client["id"], **body)


def hours(engagement_id: int, n: float, day: int = 0) -> dict[str, Any]:
    return {
        "engagement_id": engagement_id,
        "day": str(TODAY - timedelta(days=day)),
        "minutes": int(n * 60),
        "description": "Arbeit",
    }


async def alerts(api: Api) -> list[tuple[int, int, str]]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(text("SELECT engagement_id, threshold, status FROM burn_alerts ORDER BY id"))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_each_threshold_is_mailed_once_to_the_lead(api: Api, smtp_server: SmtpTestServer) -> None:
    e = await engagement(api)
    await api.create("time-entries", hours(e["id"], 4))
    assert await alerts(api) == []
    await api.create("time-entries", hours(e["id"], 1))  # 50 %
    await api.run_jobs(smtp_url=smtp_server.url)
    assert await alerts(api) == [(e["id"], 50, "sent")]
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["consultant@example.de"]
    assert mail.message["Subject"].startswith("Budget 50 % erreicht · KI-Einführung")
    body = mail.message.get_body(preferencelist=("plain",)).get_content().replace("\xa0", " ")
    assert "Verbraucht: 500,00 € von 1.000,00 € (50 %)" in body and f"/engagements/{e['id']}#burn" in body
    await api.create("time-entries", hours(e["id"], 4, day=1))  # 90 %: 80 is crossed, once
    await api.create("time-entries", hours(e["id"], 0.5, day=2))
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    assert await alerts(api) == [(e["id"], 50, "sent"), (e["id"], 80, "sent")]
    assert [m.message["Subject"][:18] for m in smtp_server.messages] == ["Budget 50 % erreic", "Budget 80 % erreic"]
    params = {"entity_type": "engagement", "entity_id": e["id"], "limit": 100}
    events = (await api.get("/audit-events", "admin", params=params)).json()["items"]
    assert sorted(ev["after"]["threshold"] for ev in events if ev["action"] == "burn_alert") == [50, 80]


async def test_entries_at_the_same_moment_record_each_crossing_once(api: Api, smtp_server: SmtpTestServer) -> None:
    e = await engagement(api)
    answers = await asyncio.gather(*(api.post("/time-entries", json=hours(e["id"], 1, day=n % 5)) for n in range(11)))
    assert sorted(a.status_code for a in answers) == [201] * 11
    assert sorted(t for _, t, _ in await alerts(api)) == [50, 80, 100]
    await api.run_jobs(smtp_url=smtp_server.url)
    subjects = sorted(m.message["Subject"].split(" erreicht")[0] for m in smtp_server.messages)
    assert subjects == ["Budget 100 %", "Budget 50 %", "Budget 80 %"]


async def test_a_week_or_a_file_crossing_thresholds_records_them_at_its_end(api: Api) -> None:
    e = await engagement(api, burn_alerts=[30, 60])
    week = [hours(e["id"], 2, day=n) for n in range(4)]  # 80 %
    assert (await api.post("/time-entries/bulk", json={"entries": week})).status_code == 201
    assert [(t, s) for _, t, s in await alerts(api)] == [(30, "pending"), (60, "pending")]


async def test_a_dead_workers_alert_goes_out_once(api: Api, smtp_server: SmtpTestServer) -> None:
    """A worker that died after claiming an alert leaves it 'sending': after the lease another
    run sends it; one that died after writing 'sent' had handed the mail over: nothing again."""
    e = await engagement(api)
    await api.create("time-entries", hours(e["id"], 5))
    app = api.app.state
    settings = app.settings.model_copy(update={"smtp_url": smtp_server.url})
    from datetime import UTC, datetime

    from sqlalchemy import update

    from backend.domains.timesheets.models import BurnAlert
    from backend.kernel.ledger import Ledger
    from backend.kernel.mail import make_mailer

    async with api.engine.begin() as conn:
        alert_id = (await conn.execute(text("SELECT id FROM burn_alerts"))).scalar_one()
        long_ago = datetime(2026, 1, 1, tzinfo=UTC)  # a claim whose lease ran out long ago
        await conn.execute(
            update(BurnAlert).where(BurnAlert.id == alert_id).values(status="sending", claimed_at=long_ago)
        )
    ledger = Ledger(settings.database_url)
    try:
        mailer = make_mailer(settings.smtp_url)
        assert await send_alert(app.session_maker, settings, mailer, ledger, alert_id) == "sent"
        assert await send_alert(app.session_maker, settings, mailer, ledger, alert_id) == "sent"
    finally:
        ledger.close()
    assert len(smtp_server.messages) == 1


async def test_thresholds_are_the_engagements_own(api: Api, password_hash: str) -> None:
    client = await make_client(api)
    e = await make_engagement(api, client["id"], burn_alerts=[80, 50, 50])
    assert e["burn_alerts"] == [50, 80]
    refused = await api.post(
        "/engagements",
        json={k: e[k] for k in ("client_id", "title", "start_date", "duration_weeks", "pricing_model", "fixed_fee")}
        | {"burn_alerts": [0]},
    )
    assert refused.status_code == 422 and "body.burn_alerts" in refused.text
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    await api.post(f"/engagements/{e['id']}/transitions", json={"to": "proposed", "version": 1})
    seen = (await api.get(f"/engagements/{e['id']}", "kunde")).json()
    assert "burn_alerts" not in seen and "budget" not in seen


async def test_without_a_lead_the_crossing_is_recorded_and_nobody_mailed(api: Api, smtp_server: SmtpTestServer) -> None:
    e = await engagement(api, lead_consultant_id=None)
    await api.create("time-entries", hours(e["id"], 6))
    await api.run_jobs(smtp_url=smtp_server.url)
    assert [(t, s) for _, t, s in await alerts(api)] == [(50, "bounced")]
    assert smtp_server.messages == []


async def test_a_crossing_between_two_writes_at_the_same_moment_is_not_missed(api: Api) -> None:
    e = await engagement(api)
    await api.create("time-entries", hours(e["id"], 4.5, day=3))  # 45 %
    for _ in range(3):  # each 3 %: neither alone reaches 50 %, both together do
        answers = await asyncio.gather(*(api.post("/time-entries", json=hours(e["id"], 0.3, day=d)) for d in (1, 2)))
        assert [a.status_code for a in answers] == [201, 201]
    # 45 + 18 = 63 %: 50 was crossed by one of them, whichever came second
    assert [t for _, t, _ in await alerts(api)] == [50]


async def test_an_alert_the_server_refused_for_now_goes_out_on_a_later_try(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    from backend.kernel.ledger import Ledger
    from backend.kernel.mail import make_mailer
    from tests.smtp_server import TRANSIENT

    e = await engagement(api)
    smtp_server.fail(TRANSIENT)
    await api.create("time-entries", hours(e["id"], 5))
    await api.run_jobs(smtp_url=smtp_server.url, max_tries=1)
    assert [s for _, _, s in await alerts(api)] == ["failed"] and smtp_server.messages == []
    smtp_server.recover()
    async with api.engine.connect() as conn:
        alert_id = (await conn.execute(text("SELECT id FROM burn_alerts"))).scalar_one()
    settings = api.app.state.settings.model_copy(update={"smtp_url": smtp_server.url})
    ledger = Ledger(settings.database_url)
    try:  # what the retry cron's job does
        sent = await send_alert(api.app.state.session_maker, settings, make_mailer(smtp_server.url), ledger, alert_id)
    finally:
        ledger.close()
    assert sent == "sent" and len(smtp_server.messages) == 1
    assert [s for _, _, s in await alerts(api)] == ["sent"]
