"""Weekly digests through a real arq worker, a real Redis and a real SMTP server."""

from typing import Any

from tests.conftest import Api
from tests.factories import OFFER_KPI, make_engagement, pdf_text, pilot_with
from tests.smtp_server import TRANSIENT, SmtpTestServer

WEEK = "2026-W47"


async def engagement_with_recipients(api: Api, **overrides: Any) -> dict[str, Any]:
    client = await api.create("clients", {"name": "Müller Präzisionstechnik GmbH", "city": "Aalen"})
    contacts = [
        ("Sabine Müller", "sabine@mueller.de", "de", True),
        ("Laura Schmidt", "laura@mueller.de", "en", True),
        ("Max Stumm", "max@mueller.de", "de", False),
    ]
    for name, email, language, digest in contacts:
        await api.create(
            "contacts",
            {"client_id": client["id"], "name": name, "email": email, "language": language, "receives_digest": digest},
        )
    engagement = await make_engagement(api, client["id"], **overrides)
    for status in ("proposed", "active"):
        engagement = (
            await api.post(
                f"/engagements/{engagement['id']}/transitions", json={"to": status, "version": engagement["version"]}
            )
        ).json()
    await pilot_with(api, engagement["id"], "Angebotsassistent", OFFER_KPI, ["62", "48"])
    return engagement


async def trigger(api: Api, engagement_id: int) -> dict[str, Any]:
    response = await api.post(f"/engagements/{engagement_id}/digests", json={"iso_week": WEEK})
    assert response.status_code == 202, response.text
    return response.json()


async def deliveries(api: Api, engagement_id: int) -> list[dict[str, Any]]:
    page = (await api.get("/digest-deliveries", params={"engagement_id": engagement_id, "sort": "contact_id"})).json()
    return page["items"]


async def test_digest_reaches_each_recipient_in_their_language(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    await api.create(
        "status-updates",
        {
            "engagement_id": engagement["id"],
            "iso_week": WEEK,
            "rag": "amber",
            "summary": "ERP-Export verzögert",
            "done": "Kickoff gehalten",
        },
    )
    queued = await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    received = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}
    assert sorted(received) == ["laura@mueller.de", "sabine@mueller.de"]
    german, english = received["sabine@mueller.de"], received["laura@mueller.de"]
    assert german["Subject"].startswith("Statusbericht KW 47")
    assert english["Subject"].startswith("Status report CW 47")
    assert german["Content-Language"] == "de" and english["Content-Language"] == "en"
    assert "ERP-Export verzögert" in german.get_body(("plain",)).get_content()
    assert "ERP-Export verzögert" in german.get_body(("html",)).get_content()
    # Saved so far (90 → 48 min × 120 a month at 65 €/h, less 150 € run costs), as the results say.
    saved = "Bisher eingespart: 5.310,00 € netto pro Monat (63.720,00 € im Jahr)."
    assert saved in german.get_body(("plain",)).get_content().replace("\xa0", " ")
    assert "Saved so far: €5,310.00 net per month" in english.get_body(("plain",)).get_content().replace("\xa0", " ")
    for message, heading in ((german, "Statusbericht"), (english, "Status report")):
        (attachment,) = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        text = pdf_text(attachment.get_content())
        assert heading.upper() in text.upper() and "Müller Präzisionstechnik GmbH" in text
        assert "ERP-Export verzögert" in text and "62 min" in text and "48 min" in text
        assert "5.310,00" in text or "5,310.00" in text  # the savings line, in the report too
    rows = await deliveries(api, engagement["id"])
    assert [(r["email"], r["status"], r["attempts"]) for r in rows] == [
        ("sabine@mueller.de", "sent", 1),
        ("laura@mueller.de", "sent", 1),
    ]
    job = (await api.get(f"/jobs/{queued['job_id']}")).json()
    assert job["status"] == "complete" and job["result"]["sent"] == 2


async def test_running_twice_sends_nothing_twice(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    await trigger(api, engagement["id"])
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 2
    assert all(r["attempts"] == 1 for r in await deliveries(api, engagement["id"]))
    documents = (await api.get(f"/engagements/{engagement['id']}/documents")).json()
    assert sorted(d["language"] for d in documents["items"]) == ["de", "en"]


async def test_missing_status_update_is_drafted_from_data(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    await api.create(
        "deliverables", {"engagement_id": engagement["id"], "title": "Leitlinie", "kind": "guideline", "due_week": 1}
    )
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    (update,) = (await api.get("/status-updates", params={"engagement_id": engagement["id"]})).json()["items"]
    # the engagement starts 2026-11-02, so 2026-W47 is week 3 and week 1's deliverable is overdue
    assert update["drafted_automatically"] is True
    assert (update["iso_week"], update["rag"]) == (WEEK, "amber")
    assert "Leitlinie" in update["risks"]
    assert len(smtp_server.messages) == 2


async def test_review_before_send_waits_for_approval(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api, review_before_send=True)
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    assert smtp_server.messages == []
    assert {r["status"] for r in await deliveries(api, engagement["id"])} == {"awaiting_approval"}
    (update,) = (await api.get("/status-updates", params={"engagement_id": engagement["id"]})).json()["items"]
    approved = await api.post(f"/status-updates/{update['id']}/approve", json={"version": update["version"]})
    assert approved.status_code == 200 and approved.json()["approved_at"] is not None
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 2
    assert {r["status"] for r in await deliveries(api, engagement["id"])} == {"sent"}


async def test_smtp_outage_loses_nothing(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    smtp_server.fail(TRANSIENT)
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url, max_tries=1)
    rows = await deliveries(api, engagement["id"])
    assert {r["status"] for r in rows} == {"failed"}
    assert all("421" in r["last_error"] for r in rows)
    smtp_server.recover()
    await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["laura@mueller.de", "sabine@mueller.de"]
    assert [(r["status"], r["attempts"]) for r in await deliveries(api, engagement["id"])] == [("sent", 2), ("sent", 2)]


async def test_outage_is_retried_by_the_job_with_backoff(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    smtp_server.fail(TRANSIENT)
    await trigger(api, engagement["id"])
    # The first try fails and schedules a retry 2 s later (burst mode stops after the try).
    await api.run_jobs(smtp_url=smtp_server.url, max_burst_jobs=1)
    assert {(r["status"], r["attempts"]) for r in await deliveries(api, engagement["id"])} == {("failed", 1)}
    queue = api.app.state.queue
    (retry,) = await queue.queued_jobs(queue_name=api.app.state.settings.queue_name)
    assert retry.function == "send_weekly_digest"
    assert retry.score > retry.enqueue_time.timestamp() * 1000  # deferred, not immediate
    smtp_server.recover()
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 2
    assert {(r["status"], r["attempts"]) for r in await deliveries(api, engagement["id"])} == {("sent", 2)}


async def test_only_active_engagements_get_digests(api: Api, smtp_server: SmtpTestServer) -> None:
    engagement = await engagement_with_recipients(api)
    await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "completed", "version": engagement["version"]}
    )
    queued = await trigger(api, engagement["id"])
    await api.run_jobs(smtp_url=smtp_server.url)
    assert smtp_server.messages == []
    assert (await api.get(f"/jobs/{queued['job_id']}")).json()["result"]["state"] == "inactive"


async def test_weekly_cron_enqueues_one_job_per_active_engagement(api: Api, smtp_server: SmtpTestServer) -> None:
    from backend.flows.digests.jobs import enqueue_weekly_digests

    first = await engagement_with_recipients(api)
    await make_engagement(api, first["client_id"], title="Entwurf")  # draft: no digest
    ctx = {"redis": api.app.state.queue, "session_maker": api.app.state.session_maker}
    assert await enqueue_weekly_digests(ctx, WEEK) == {"iso_week": WEEK, "engagements": 1}
    assert await enqueue_weekly_digests(ctx, WEEK) == {"iso_week": WEEK, "engagements": 1}
    assert len(await api.app.state.queue.queued_jobs(queue_name=api.app.state.settings.queue_name)) == 1
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 2


async def test_digest_and_job_endpoints_are_guarded(api: Api, password_hash: str) -> None:
    engagement = await engagement_with_recipients(api)
    other = await api.create("clients", {"name": "Fremd GmbH"})
    await api.add_user("fremd", "client", password_hash, client_id=other["id"])
    assert (await api.post(f"/engagements/{engagement['id']}/digests", "fremd", json={})).status_code == 403
    assert (await api.get("/digest-deliveries", "fremd")).json()["total"] == 0
    assert (await api.get("/jobs/digest:1:2026-W47", "fremd")).status_code == 403
    assert (await api.get("/jobs/nope")).status_code == 404
    assert (await api.post("/engagements/999/digests", json={})).status_code == 404
    bad = await api.post(f"/engagements/{engagement['id']}/digests", json={"iso_week": "2025-W53"})
    assert bad.status_code == 422


async def test_an_engagement_accepted_early_gets_digests_from_its_first_week(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    from backend.flows.digests.jobs import enqueue_weekly_digests

    # WEEK is 2026-W47 (16.-22.11.2026); this engagement starts on Monday 30.11.2026, in 2026-W49.
    later = await engagement_with_recipients(api, start_date="2026-11-30")
    ctx = {"redis": api.app.state.queue, "session_maker": api.app.state.session_maker}
    assert await enqueue_weekly_digests(ctx, WEEK) == {"iso_week": WEEK, "engagements": 0}
    # Asked for by hand: refused before the start (and a job for it would send nothing).
    early = await api.post(f"/engagements/{later['id']}/digests", json={"iso_week": WEEK})
    assert early.status_code == 422 and "2026-W49" in early.json()["errors"][0]["message"]
    from backend.flows.digests.service import prepare

    maker, settings = api.app.state.session_maker, api.app.state.settings
    assert (await prepare(maker, settings, later["id"], WEEK)).state == "not_started"
    await api.run_jobs(smtp_url=smtp_server.url)
    assert smtp_server.messages == []
    assert await enqueue_weekly_digests(ctx, "2026-W49") == {"iso_week": "2026-W49", "engagements": 1}
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == 2
