"""A worker killed mid-run loses no digest and a second worker sends none twice.

200 active engagements, each with one digest recipient (backend/loadgen.py); a real worker process is SIGKILLed
while it sends, another worker finishes; the SMTP server counts what arrived.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from backend.flows.digests.jobs import enqueue_weekly_digests
from backend.server.loadgen import seed_engagements
from tests.conftest import POSTGRES_URL, TEST_SECRET, Api
from tests.smtp_server import SmtpTestServer

ENGAGEMENTS = 200
WEEK = "2026-W47"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def seed(api: Api) -> set[str]:
    async with api.app.state.session_maker() as session:
        recipients = await seed_engagements(session, ENGAGEMENTS, start=date(2026, 11, 2))
        await session.commit()
    return set(recipients)


def start_worker(api: Api, smtp_url: str) -> subprocess.Popen:
    settings = api.app.state.settings
    env = os.environ | {
        "DESK_ENV": "test",
        "DESK_SECRET_KEY": TEST_SECRET,
        "DESK_DATABASE_URL": settings.database_url,
        "DESK_REDIS_URL": settings.redis_url,
        "DESK_QUEUE_NAME": settings.queue_name,
        "DESK_SMTP_URL": smtp_url,
        "DESK_JOB_TIMEOUT_SECONDS": "5",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "backend.server.cli", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_for(predicate, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_sigkill_mid_run_delivers_every_digest_exactly_once(
    api: Api, smtp_server: SmtpTestServer, backend_name: str
) -> None:
    if POSTGRES_URL and backend_name == "sqlite":
        pytest.skip("runs once, on PostgreSQL, when it is available")
    expected = await seed(api)
    await enqueue_weekly_digests({"redis": api.app.state.queue, "session_maker": api.app.state.session_maker}, WEEK)

    first = start_worker(api, smtp_server.url)
    try:
        await wait_for(lambda: len(smtp_server.messages) >= ENGAGEMENTS // 5, timeout=120)
        # Then at a moment unrelated to any one message: the kill must land wherever the worker is.
        await asyncio.sleep(random.uniform(0.3, 1.0))
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = len(smtp_server.messages)
        assert killed_at < ENGAGEMENTS, "the worker finished before it could be killed"
    finally:
        if first.poll() is None:
            first.kill()

    second = start_worker(api, smtp_server.url)
    try:
        # Jobs the dead worker held come back once their lock expires (timeout + a few seconds).
        await asyncio.wait_for(asyncio.to_thread(second.wait), timeout=180)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0

    arrivals = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    missing = expected - set(arrivals)
    if missing:
        rows = (await api.get("/digest-deliveries", params={"limit": 100, "sort": "id"})).json()["items"]
        seen = [a for a in smtp_server.handler.recipients_seen if a in missing]
        states = [(r["email"], r["status"], r["attempts"]) for r in rows if r["email"] in missing]
        pytest.fail(f"lost after the kill at {killed_at}: {sorted(missing)}; reached RCPT: {seen}; rows: {states}")
    assert set(arrivals) == expected
    assert [a for a, n in arrivals.items() if n > 1] == []
    rows = (await api.get("/digest-deliveries", params={"status": "sent", "limit": 1, "total": "true"})).json()
    assert rows["total"] == ENGAGEMENTS
