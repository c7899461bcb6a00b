"""Work the API accepted survives a Redis outage: jobs are recorded with the change that needs
them and reach the queue once Redis is back, each run once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text

from backend.server.app import create_app
from backend.server.worker import make_worker
from tests.conftest import Api, QueryCounter, running_lifespan
from tests.factories import make_client, make_engagement, proposable_engagement
from tests.redis_server import RedisTestServer
from tests.smtp_server import SmtpTestServer


@pytest.fixture
async def redis_server(tmp_path) -> AsyncIterator[RedisTestServer]:
    with RedisTestServer(tmp_path) as server:
        yield server


@pytest.fixture
async def redis_only_api(api: Api) -> Api:
    """For what only Redis decides (a hung or restarted server and the connections to it): once,
    on SQLite; the outbox's statements run on both databases in the tests around these."""
    if api.engine.dialect.name != "sqlite":
        pytest.skip("Redis behaves the same whichever database the app uses")
    return api


@pytest.fixture
async def outage_api(api: Api, redis_server: RedisTestServer, smtp_server: SmtpTestServer) -> AsyncIterator[Api]:
    """The app on a Redis of its own that the test can stop; same database and users as `api`."""
    settings = api.app.state.settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "queue_name": "desk-outage-test",
            "smtp_url": smtp_server.url,
            "outbox_recheck_seconds": 0,
        }
    )
    app = create_app(settings)
    async with (
        running_lifespan(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="https://testserver.local") as http,
    ):
        yield Api(
            http=http, app=app, engine=app.state.engine, tokens=api.tokens, users=api.users, counter=QueryCounter()
        )
    await app.state.engine.dispose()


async def _world(api: Api) -> dict[str, Any]:
    client = await make_client(api)
    await api.create(
        "contacts", {"client_id": client["id"], "name": "Eva Alpha", "email": "eva@alpha.de", "portal_access": True}
    )
    await api.create(
        "contacts", {"client_id": client["id"], "name": "Jan Alpha", "email": "jan@alpha.de", "receives_digest": True}
    )
    return {"client": client, "engagement": await proposable_engagement(api, client["id"])}


async def _intents(api: Api) -> list[dict[str, Any]]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT job_id, function, enqueued_at, done_at, pushes FROM job_outbox ORDER BY id")
        )
        return [dict(row._mapping) for row in rows]


async def test_jobs_accepted_while_redis_is_down_run_once_it_is_back(
    outage_api: Api, redis_server: RedisTestServer, smtp_server: SmtpTestServer
) -> None:
    api = outage_api
    world = await _world(api)
    engagement_id = world["engagement"]["id"]
    first = (await api.post(f"/engagements/{engagement_id}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs()
    assert (await api.get(f"/documents/{first['id']}")).json()["status"] == "ready"

    redis_server.stop()
    generated = await api.post(f"/engagements/{engagement_id}/documents", json={"kind": "result_report"})
    released = await api.post(f"/documents/{first['id']}/release")
    assert generated.status_code == 202 and released.status_code == 202, (generated.text, released.text)
    second = generated.json()
    assert (await api.get(f"/engagements/{engagement_id}")).json()["status"] == "proposed"
    await api.app.state.relay.settle()  # the push right after commit failed, and said so
    pending = [i for i in await _intents(api) if i["enqueued_at"] is None]
    assert {i["job_id"] for i in pending} == {generated.headers["job-id"], released.headers["job-id"]}
    job = await api.get(f"/jobs/{released.headers['job-id']}")
    assert job.status_code == 200 and job.json()["status"] == "pending"

    redis_server.start()
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)  # a second worker run finds nothing left to do
    assert (await api.get(f"/documents/{second['id']}")).json()["status"] == "ready"
    mailed = sorted(m.rcpt_tos[0] for m in smtp_server.messages)
    assert mailed == ["eva@alpha.de", "jan@alpha.de"], mailed
    intents = await _intents(api)
    assert all(i["done_at"] is not None for i in intents), intents
    assert [i["pushes"] for i in intents] == [1, 1, 1]


async def test_a_job_lost_by_a_redis_restart_is_sent_again(outage_api: Api, redis_server: RedisTestServer) -> None:
    api = outage_api
    world = await _world(api)
    response = await api.post(f"/engagements/{world['engagement']['id']}/documents", json={"kind": "proposal"})
    await api.app.state.relay.settle()
    assert (await _intents(api))[0]["enqueued_at"] is not None  # pushed right after the commit
    redis_server.stop()  # no persistence: the queued job is gone
    redis_server.start()
    await api.run_jobs()
    assert (await api.get(f"/documents/{response.json()['id']}")).json()["status"] == "ready"
    intent = (await _intents(api))[0]
    assert (intent["pushes"], intent["done_at"] is not None) == (2, True)


async def test_the_worker_rides_out_a_redis_restart(
    redis_only_api: Api, outage_api: Api, redis_server: RedisTestServer
) -> None:
    api = outage_api
    world = await _world(api)
    settings = api.app.state.settings
    worker = make_worker(settings, handle_signals=False, poll_delay=0.05)
    running = asyncio.create_task(worker.async_run())
    try:
        redis_server.stop()
        for _ in range(60):  # longer than redis-py's own reconnection attempts
            await asyncio.sleep(0.1)
            assert not running.done(), running.exception()
        redis_server.start()
        document = (
            await api.post(f"/engagements/{world['engagement']['id']}/documents", json={"kind": "proposal"})
        ).json()
        for _ in range(200):
            if (await api.get(f"/documents/{document['id']}")).json()["status"] == "ready":
                break
            await asyncio.sleep(0.05)
        assert (await api.get(f"/documents/{document['id']}")).json()["status"] == "ready"
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()


async def test_a_stuck_document_can_be_rendered_again(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    document = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    await api.app.state.queue.flushdb()  # its job is lost
    async with api.engine.begin() as conn:
        await conn.execute(text("UPDATE documents SET status = 'rendering' WHERE id = :id"), {"id": document["id"]})
    again = await api.post(f"/documents/{document['id']}/render")
    assert again.status_code == 202 and again.headers["job-id"].startswith(f"document:{document['id']}:")
    await api.run_jobs()
    assert (await api.get(f"/documents/{document['id']}")).json()["status"] == "ready"
    refused = await api.post(f"/documents/{document['id']}/render")
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/conflict"
    assert (await api.post(f"/documents/{document['id']}/render", "admin")).status_code == 409


async def test_a_hung_redis_is_a_503_not_a_hang(
    redis_only_api: Api, outage_api: Api, redis_server: RedisTestServer
) -> None:
    import os
    import signal
    import time

    assert redis_server.process is not None
    os.kill(redis_server.process.pid, signal.SIGSTOP)  # alive, answering nothing
    try:
        started = time.monotonic()
        response = await outage_api.post("/portal/login-links", None, json={"email": "eva@alpha.de"})
        took = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert took < 10, took


async def test_a_hung_redis_costs_a_burst_one_timeout_not_one_each(
    redis_only_api: Api, outage_api: Api, redis_server: RedisTestServer
) -> None:
    import os
    import signal
    import time

    from backend.kernel.queue import COMMAND_TIMEOUT_SECONDS, PAUSE_AFTER_TIMEOUT_SECONDS

    assert redis_server.process is not None
    await outage_api.app.state.queue.connection_pool.disconnect()  # every request needs a new connection
    os.kill(redis_server.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        burst = await asyncio.gather(
            *(outage_api.post("/portal/login-links", None, json={"email": f"p{i}@alpha.de"}) for i in range(12))
        )
        burst_took = time.monotonic() - started
        started = time.monotonic()
        later = await outage_api.post("/portal/login-links", None, json={"email": "later@alpha.de"})
        later_took = time.monotonic() - started
    finally:
        os.kill(redis_server.process.pid, signal.SIGCONT)
    assert [r.status_code for r in burst] == [503] * 12
    # One connection attempt times out; the requests queued behind it give up with it (before,
    # the pool made connections one at a time and the twelfth request waited twelve timeouts).
    assert burst_took < 2 * COMMAND_TIMEOUT_SECONDS + 1, burst_took
    assert later.status_code == 503 and later_took < 1, later_took
    await asyncio.sleep(PAUSE_AFTER_TIMEOUT_SECONDS)
    back = await outage_api.post("/portal/login-links", None, json={"email": "back@alpha.de"})
    assert back.status_code == 202
