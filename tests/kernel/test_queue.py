"""The zero-setup default: an embedded real Redis serves the queue and a worker."""

import pytest

from backend.kernel.queue import queue_pool, redis_settings
from backend.server.worker import functions, make_worker
from tests.conftest import Api


async def test_embedded_redis_runs_jobs(api: Api, backend_name: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    if backend_name != "sqlite":
        pytest.skip("the embedded default is exercised once")
    import backend.kernel.queue as queue

    monkeypatch.setattr(queue, "VAR_DIR", tmp_path)
    monkeypatch.setattr(queue, "_embedded", {})
    settings = api.app.state.settings.model_copy(update={"redis_url": ""})
    assert redis_settings(settings).unix_socket_path.endswith("redis.sock")
    client = await api.create("clients", {"name": "Eingebettet GmbH"})
    engagement = await api.create(
        "engagements",
        {
            "client_id": client["id"],
            "title": "T",
            "start_date": "2026-11-02",
            "duration_weeks": 4,
            "fixed_fee": "100",
        },
    )
    document = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    # The app pushed the document's planned job to its own Redis; once that push is recorded, the
    # embedded worker's relay leaves it alone and runs only the job given to it here.
    await api.app.state.relay.settle()
    async with queue_pool(settings) as pool:
        assert await pool.ping()
        await pool.enqueue_job("render_document", document["id"], _queue_name=settings.queue_name)
        worker = make_worker(settings, burst=True, handle_signals=False, poll_delay=0.01, redis_pool=pool)
        await worker.async_run()
        # The render ran (a cron that falls due in the burst, such as the webhook retry planner
        # every ten seconds, may run beside it).
        assert worker.jobs_complete >= 1 and worker.jobs_failed == 0
    assert (await api.get(f"/documents/{document['id']}")).json()["status"] == "ready"
    assert any(tmp_path.iterdir())  # the server's files live under the data folder
    for server in queue._embedded.values():
        server.stop()  # now, not at interpreter exit


def test_apps_on_different_databases_get_their_own_embedded_redis(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Two `desk run` in one folder on two databases: each queue stays with its database."""
    import backend.kernel.queue as queue
    from backend.kernel.config import Settings

    monkeypatch.setattr(queue, "VAR_DIR", tmp_path)
    monkeypatch.setattr(queue, "_embedded", {})
    on = {name: Settings(redis_url="", database_url=f"sqlite+aiosqlite:///{tmp_path / name}") for name in "ab"}
    try:
        first, second = (redis_settings(on[name]).unix_socket_path for name in "ab")
        assert first != second
        assert redis_settings(on["a"]).unix_socket_path == first  # the same database shares it
    finally:
        for server in queue._embedded.values():
            server.stop()


def test_worker_collects_every_domain_job() -> None:
    names = {f.__name__ for f in functions()}
    assert names == {
        "render_document",
        "send_weekly_digest",
        "enqueue_weekly_digests",
        "retry_unsent_digests",
        "mail_released_document",
        "send_portal_login_link",
        "send_burn_alert",
        "retry_unsent_alerts",
        "mail_statement_answer",
        "retry_unsent_answers",
        "send_invoice_mail",
        "plan_payment_reminders",
        "retry_unsent_invoice_mails",
        "mail_proposal_decline",
        "retry_unsent_declines",
        "mail_dpa_objection",
        "retry_unsent_objections",
        "mail_proposal_expiry",
        "plan_proposal_expiry_notices",
        "retry_unsent_expiry_notices",
        "mail_acceptance_request",
        "retry_unsent_acceptance_requests",
        "mail_acceptance_notice",
        "retry_unsent_acceptance_notices",
        "render_acceptance_protocol",
        "render_missing_protocols",
        "deem_acceptance",
        "plan_deemed_acceptances",
        "issue_certificates",
        "mail_certificate",
        "retry_unsent_certificates",
        "mail_guideline_invitation",
        "retry_unsent_guideline_invitations",
        "plan_literacy_reminders",
        "mail_literacy_reminder",
        "retry_unsent_literacy_reminders",
        "apply_retention_nightly",
        "mail_privacy_notice",
        "retry_unsent_privacy_notices",
        "end_timing_rounds",
        "plan_checkpoints_daily",
        "mail_checkpoint",
        "mail_slip_alert",
        "retry_unsent_checkpoints",
        "retry_unsent_slip_alerts",
        "deliver_webhook",
        "plan_due_webhooks",
    }
