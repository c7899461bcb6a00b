"""A worker killed while it mails budget alerts loses none, and the next worker sends none twice.

60 engagements each cross 50, 80 and 100 % of their budget with one entry (180 alerts); a real
worker process is SIGKILLed while it sends, another finishes; the SMTP server counts what
arrived, by each alert's Message-ID.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections import Counter

import pytest
from sqlalchemy import text

from tests.conftest import POSTGRES_URL, Api
from tests.domains.test_burn_alerts import engagement, hours
from tests.flows.test_digest_faults import start_worker, wait_for
from tests.smtp_server import SmtpTestServer

ENGAGEMENTS = 60
THRESHOLDS = (50, 80, 100)


async def test_sigkill_mid_run_mails_every_alert_exactly_once(
    api: Api, smtp_server: SmtpTestServer, backend_name: str
) -> None:
    if POSTGRES_URL and backend_name == "sqlite":
        pytest.skip("runs once, on PostgreSQL, when it is available")
    for i in range(ENGAGEMENTS):
        e = await engagement(api)
        # 100 %: all three at once (two such days a day: nobody works more than 24 hours)
        await api.create("time-entries", hours(e["id"], 10, day=i // 2))
    await api.app.state.relay.settle()
    async with api.engine.connect() as conn:
        ids = (await conn.execute(text("SELECT id FROM burn_alerts"))).scalars().all()
    expected = {f"<burn-alert.{i}@" for i in ids}
    assert len(expected) == ENGAGEMENTS * len(THRESHOLDS)

    first = start_worker(api, smtp_server.url)
    try:
        await wait_for(lambda: len(smtp_server.messages) >= len(expected) // 5, timeout=120)
        await asyncio.sleep(random.uniform(0.2, 0.8))  # the kill lands wherever the worker is
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = len(smtp_server.messages)
        assert killed_at < len(expected), "the worker finished before it could be killed"
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
    arrivals = Counter(m.message["Message-ID"].split("@")[0] + "@" for m in smtp_server.messages)
    assert set(arrivals) == expected, f"lost after the kill at {killed_at}: {sorted(expected - set(arrivals))}"
    assert [a for a, n in arrivals.items() if n > 1] == []
    async with api.engine.connect() as conn:
        statuses = (await conn.execute(text("SELECT status, count(*) FROM burn_alerts GROUP BY status"))).all()
    assert [tuple(row) for row in statuses] == [("sent", len(expected))]
