"""Webhooks: signed as documented (checked by the snippet in docs/webhooks.md), delivered by the
job queue with retries, one log entry per attempt, redelivery, and no calls into private networks."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from backend.domains.webhooks import jobs as webhook_jobs
from backend.domains.webhooks.models import WebhookDelivery
from backend.domains.webhooks.service import ATTEMPTS
from backend.kernel import outbound
from backend.kernel.db import make_sessionmaker
from backend.kernel.errors import Invalid
from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.literacy_helpers import rows
from tests.webhook_receiver import Receiver

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Any:
    """The `verify` function exactly as docs/webhooks.md prints it."""
    block = re.search(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    return namespace["verify"]


async def subscribe(api: Api, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    response = await api.post("/webhook-subscriptions", "admin", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def job(name: str) -> Any:
    """The job's body, as the worker runs it (without the outbox bookkeeping around it)."""
    return getattr(webhook_jobs, name)


def context(api: Api) -> dict[str, Any]:
    return {"settings": api.app.state.settings, "session_maker": make_sessionmaker(api.engine), "job_try": 1}


async def make_due(api: Api) -> None:
    """Time travel: the waits before the next attempts are over."""
    waiting = col(WebhookDelivery.status).in_(["pending", "sending"])
    async with api.engine.begin() as conn:
        await conn.execute(
            update(WebhookDelivery).where(waiting).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))
        )


async def _kpi(api: Api) -> dict[str, Any]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Pilot"})
    return await api.create("kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})


async def test_a_delivery_is_signed_as_the_documentation_says(api: Api, receiver: Receiver) -> None:
    subscription = await subscribe(api, receiver.url, ["measurement.recorded"])
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    assert "secret" not in (await api.get(f"/webhook-subscriptions/{subscription['id']}", "admin")).json()
    kpi = await _kpi(api)
    measurement = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    await api.run_jobs()
    (got,) = receiver.received
    verify = documented_verify()
    event = verify(secret, got.headers, got.body)
    assert event["type"] == "measurement.recorded"
    assert event["data"]["measurement_id"] == measurement["id"] and event["data"]["value"] == "41.0000"
    assert got.headers["webhook-id"].startswith("msg_")
    for forged in (
        (secret, got.headers, got.body.replace(b"41.0000", b"14.0000")),
        ("whsec_" + "A" * 32, got.headers, got.body),
        (secret, {**got.headers, "webhook-timestamp": str(int(got.headers["webhook-timestamp"]) - 3600)}, got.body),
    ):
        with pytest.raises(ValueError):
            verify(*forged)
    log = (await api.get(f"/webhook-subscriptions/{subscription['id']}/deliveries", "admin")).json()["items"]
    assert [(d["event"], d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
        ("measurement.recorded", "delivered", 1, 204)
    ]


async def test_retries_log_each_attempt_once_and_a_failure_can_be_redelivered(api: Api, receiver: Receiver) -> None:
    await subscribe(api, receiver.url, ["measurement.recorded"])
    kpi = await _kpi(api)
    receiver.answers = [500, 503, 200]
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    await api.run_jobs()
    (delivery_id,) = [r[0] for r in await rows(api, "SELECT id FROM webhook_deliveries")]
    first = (await api.get(f"/webhook-deliveries/{delivery_id}", "admin")).json()
    assert (first["status"], first["attempts"], first["last_status_code"]) == ("pending", 1, 500)
    deliver, plan_due = job("deliver_webhook"), job("plan_due_webhooks")
    assert await deliver(context(api), delivery_id) == {"delivery": delivery_id, "attempt": None}  # not due yet
    for _ in range(2):
        await make_due(api)
        # Two workers at the same moment make one attempt between them.
        results = await asyncio.gather(deliver(context(api), delivery_id), deliver(context(api), delivery_id))
        assert sorted(r["attempt"] is None for r in results) == [False, True], results
    done = (await api.get(f"/webhook-deliveries/{delivery_id}", "admin")).json()
    assert done["status"] == "delivered" and done["attempts"] == 3
    assert [(a["number"], a["status_code"]) for a in done["attempt_log"]] == [(1, 500), (2, 503), (3, 200)]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1 and len(receiver.received) == 3
    assert (await plan_due(context(api)))["due"] == 0

    # Every attempt refused: failed after the last, then sent again by hand.
    receiver.answers = [502] * ATTEMPTS
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-21", "value": "40"})
    await api.run_jobs()
    for _ in range(ATTEMPTS - 1):
        await make_due(api)
        await deliver(context(api), delivery_id + 1)
    failed = (await api.get(f"/webhook-deliveries/{delivery_id + 1}", "admin")).json()
    assert (failed["status"], failed["attempts"], len(failed["attempt_log"])) == ("failed", ATTEMPTS, ATTEMPTS)
    assert (await api.post(f"/webhook-deliveries/{delivery_id}/redeliver", "admin")).status_code == 201
    again = await api.post(f"/webhook-deliveries/{delivery_id + 1}/redeliver", "admin")
    assert again.status_code == 201 and again.json()["redelivery_of"] == delivery_id + 1
    await api.run_jobs()
    resent = (await api.get(f"/webhook-deliveries/{again.json()['id']}", "admin")).json()
    assert resent["status"] == "delivered" and resent["message_id"] == failed["message_id"]

    # The log pages newest first, by cursor, and filters by state.
    log = f"/webhook-subscriptions/{failed['subscription_id']}/deliveries"
    first = (await api.get(f"{log}?limit=2", "admin")).json()
    rest = (await api.get(f"{log}?limit=2&cursor={first['next_cursor']}", "admin")).json()
    ids = [d["id"] for d in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == 4 and rest["next_cursor"] is None
    failing = (await api.get(f"{log}?status=failed", "admin")).json()["items"]
    assert [d["id"] for d in failing] == [delivery_id + 1]
    assert (await api.get(f"{log}?status=lost", "admin")).status_code == 422


async def test_an_unreachable_receiver_is_an_attempt_not_a_crash(api: Api, receiver: Receiver) -> None:
    url = receiver.url
    receiver.stop()
    subscription = await subscribe(api, url, ["measurement.recorded"])
    test = await api.post(f"/webhook-subscriptions/{subscription['id']}/test", "admin")
    assert test.status_code == 201 and test.json()["event"] == "webhook.test"
    await api.run_jobs()
    logged = (await api.get(f"/webhook-deliveries/{test.json()['id']}", "admin")).json()
    assert logged["status"] == "pending" and logged["attempt_log"][0]["status_code"] is None
    assert "Connect" in logged["attempt_log"][0]["error"] or "refused" in logged["attempt_log"][0]["error"].lower()
    receiver.start()  # the fixture stops it again


async def test_events_go_to_their_subscribers_only_and_never_for_a_rollback(api: Api, receiver: Receiver) -> None:
    await subscribe(api, receiver.url, ["invoice.issued"])
    await subscribe(api, receiver.url, ["measurement.recorded"], active=False)
    kpi = await _kpi(api)
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    refused = await api.post("/measurements", json={"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "x"})
    assert refused.status_code == 422
    await api.run_jobs()
    assert receiver.received == [] and await rows(api, "SELECT id FROM webhook_deliveries") == []


async def test_only_admins_manage_webhooks_and_private_targets_are_refused(api: Api) -> None:
    assert (await api.get("/webhook-subscriptions")).status_code == 403
    assert (
        await api.post("/webhook-subscriptions", json={"url": "https://x.example", "events": ["invoice.issued"]})
    ).status_code == 403
    bad_events = await api.post(
        "/webhook-subscriptions", "admin", json={"url": "https://x.example", "events": ["nope"]}
    )
    assert bad_events.status_code == 422
    settings = api.app.state.settings
    api.app.state.settings = settings.model_copy(update={"webhooks_allow_private": False})
    try:
        for url in (
            "http://hooks.example.de/x",  # not https
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://10.1.2.3/x",
            "https://192.168.0.10/x",
            "https://localhost/x",
            "https://user:pw@hooks.example.de/x",
            "ftp://hooks.example.de/x",
        ):
            refused = await api.post("/webhook-subscriptions", "admin", json={"url": url, "events": ["invoice.issued"]})
            assert refused.status_code == 422, (url, refused.text)
        made = await subscribe(api, "https://hooks.example.de/desk", ["invoice.issued"])
        moved = await api.patch(
            f"/webhook-subscriptions/{made['id']}",
            "admin",
            json={"version": made["version"], "url": "https://10.0.0.5/x"},
        )
        assert moved.status_code == 422
    finally:
        api.app.state.settings = settings


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://169.254.169.254/",
        "https://[::ffff:10.0.0.1]/x",
        "https://0.0.0.0/",
        "https://192.0.0.8/",  # misjudged by the ipaddress module of some Python releases
        "https://[fec0::1]/",
        "https://[2002:7f00:1::]/",  # 6to4 carrying 127.0.0.1
        "https://hooks.example.de:22/x",
        "https://hooks example.de/x",
        "https://hööks.example.de/x",
    ],
)
def test_private_literals_are_refused(url: str) -> None:
    with pytest.raises(Invalid):
        outbound.check_url(url, allow_private=False)


async def test_a_name_that_resolves_into_the_private_network_is_refused_at_connect(
    monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> None:
    """DNS rebinding: the URL's name passes the check; where it leads is checked as it connects."""
    import ipaddress

    port = receiver.server.server_address[1]

    async def resolves_home(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(outbound, "_resolve", resolves_home)
    outbound.check_url("https://hooks.example.de/hook", allow_private=False)
    with pytest.raises(outbound.Refused):
        await outbound.post("https://hooks.example.de/hook", b"{}", {}, timeout=2, allow_private=False)
    assert receiver.received == [] and port


async def test_the_secret_stays_out_of_the_audit_log(api: Api) -> None:
    made = await subscribe(api, "https://hooks.example.de/desk", ["invoice.issued"])
    rotated = (await api.post(f"/webhook-subscriptions/{made['id']}/rotate-secret", "admin")).json()
    assert rotated["secret"] != made["secret"]
    changed = await api.patch(
        f"/webhook-subscriptions/{made['id']}", "admin", json={"version": rotated["version"], "description": "CRM"}
    )
    assert changed.status_code == 200
    logged = str((await api.get("/audit-events", "admin", params={"limit": 100})).json())
    assert made["secret"] not in logged and rotated["secret"] not in logged and "whsec_" not in logged


def test_retry_schedule_spans_about_a_day() -> None:
    from backend.domains.webhooks.service import RETRY_AFTER

    assert ATTEMPTS == 8 and timedelta(hours=20) < sum(RETRY_AFTER, timedelta()) < timedelta(hours=30)


async def test_a_deleted_subscription_leaves_later_events_alone(api: Api, receiver: Receiver) -> None:
    """Its deliveries go with it; the next delivery gets an id never used, so its job is new."""
    kept = await subscribe(api, receiver.url, ["measurement.recorded"])
    kpi = await _kpi(api)
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    gone = await subscribe(api, receiver.url, ["invoice.issued"])
    assert (await api.post(f"/webhook-subscriptions/{gone['id']}/test", "admin")).status_code == 201
    await api.run_jobs()
    deleted = await api.request("DELETE", f"/webhook-subscriptions/{gone['id']}", "admin", params={"version": 1})
    assert deleted.status_code == 204
    later = await api.post("/measurements", json={"kpi_id": kpi["id"], "measured_on": "2026-11-21", "value": "40"})
    assert later.status_code == 201, later.text
    await api.run_jobs()
    log = (await api.get(f"/webhook-subscriptions/{kept['id']}/deliveries", "admin")).json()["items"]
    assert [d["status"] for d in log] == ["delivered", "delivered"]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3  # two measurements and the test


def test_addresses_in_any_spelling_are_checked_when_subscribing() -> None:
    for host in (
        "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0", "[::1]", "localhost", "a.localhost",
        "127.0.0.1.", "%31%32%37.0.0.1", "0x100000000", "a.b.999",
    ):  # fmt: skip
        with pytest.raises(Invalid):
            outbound.check_url(f"https://{host}/hook", allow_private=False)
    for fine in ("https://8.8.8.8/hook", "https://hooks.example.de/x", "https://1e100.net/"):
        outbound.check_url(fine, allow_private=False)


async def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout() -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        while not stop.wait(0.2):  # a byte at a time, each well within a read's timeout
            try:
                conn.sendall(b"x")
            except OSError:
                break
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    started = asyncio.get_running_loop().time()
    with pytest.raises(TimeoutError):
        await outbound.post(f"http://127.0.0.1:{server.getsockname()[1]}/", b"{}", {}, timeout=1.0, allow_private=True)
    assert asyncio.get_running_loop().time() - started < 3
    stop.set()
    server.close()


async def test_an_admins_copy_of_their_data_holds_no_signing_secret(api: Api) -> None:
    import io
    import zipfile

    made = await subscribe(api, "https://hooks.example.de/x", ["invoice.issued"])
    (admin_id,) = [r[0] for r in await rows(api, "SELECT id FROM users WHERE email = 'admin@example.de'")]
    export = await api.get(f"/users/{admin_id}/personal-data", "admin")
    assert export.status_code == 200
    body = zipfile.ZipFile(io.BytesIO(export.content)).read("personal-data.json").decode()
    assert "hooks.example.de" in body  # the subscription the admin made is theirs to see
    assert made["secret"] not in body and "whsec_" not in body


async def test_clicks_at_once_send_a_delivery_again_once(api: Api, receiver: Receiver) -> None:
    made = await subscribe(api, receiver.url, ["measurement.recorded"])
    sent = (await api.post(f"/webhook-subscriptions/{made['id']}/test", "admin")).json()
    await api.run_jobs()
    answers = await asyncio.gather(
        *(api.post(f"/webhook-deliveries/{sent['id']}/redeliver", "admin") for _ in range(8))
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7, [a.text for a in answers]
    await api.run_jobs()
    assert len(receiver.received) == 2 and len({r.headers["webhook-id"] for r in receiver.received}) == 1
    # Once that one is through, it may go again.
    assert (await api.post(f"/webhook-deliveries/{sent['id']}/redeliver", "admin")).status_code == 201


async def test_a_paused_subscription_gets_nothing_until_it_is_active_again(api: Api, receiver: Receiver) -> None:
    made = await subscribe(api, receiver.url, ["measurement.recorded"])
    receiver.answers = [500]
    sent = (await api.post(f"/webhook-subscriptions/{made['id']}/test", "admin")).json()
    await api.run_jobs()
    assert len(receiver.received) == 1  # the first attempt failed; a retry is due later
    paused = await api.patch(f"/webhook-subscriptions/{made['id']}", "admin", json={"version": 1, "active": False})
    assert paused.status_code == 200
    await make_due(api)
    plan_due, deliver = job("plan_due_webhooks"), job("deliver_webhook")
    assert (await plan_due(context(api)))["due"] == 0
    assert (await deliver(context(api), sent["id"]))["attempt"] is None
    assert len(receiver.received) == 1
    refused = await api.post(f"/webhook-subscriptions/{made['id']}/test", "admin")
    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    # Active again: the waiting retry goes out.
    await api.patch(f"/webhook-subscriptions/{made['id']}", "admin", json={"version": 2, "active": True})
    assert (await plan_due(context(api)))["due"] == 1
    await api.run_jobs()
    assert len(receiver.received) == 2
