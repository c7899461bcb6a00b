"""Burn of an engagement with many time entries, and the statements it takes.

    .venv/bin/python bench/burn.py [--entries 10000] [--database-url URL]

Seeds one engagement (8 weeks, five consultants with dated cost rates, the entries spread over
its days, some corrections) in a PostgreSQL database of its own (on 127.0.0.1:5432 or the
server `--database-url` names; dropped afterwards), then computes its burn 200 times as the
endpoint does (one session per call) and prints p50/p95 and the statements per call, for the
given size and for a tenth of it. Target: p50 ≤ 20 ms at 10,000 entries, the same number of
statements at both sizes; exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event, insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domains.auth.models import User  # noqa: E402
from backend.domains.clients.models import Client  # noqa: E402
from backend.domains.engagements.models import Engagement  # noqa: E402
from backend.domains.timesheets.models import CostRate, TimeEntry  # noqa: E402
from backend.domains.timesheets.reading import engagement_burn  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from bench.postgres import bench_database  # noqa: E402

START = date(2026, 10, 5)
TARGET_MS = 20.0


async def seed(maker, entries: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Two engagements of `entries` and `entries // 10` entries; returns their ids."""
    rng = random.Random(7)
    now = utcnow()
    async with maker() as session:
        client = Client(name="Bench GmbH")
        session.add(client)
        await session.flush()
        people = [
            User(email=f"b{i}@bench.de", full_name=f"Berater {i}", role="consultant", password_hash="-")
            for i in range(5)
        ]
        session.add_all(people)
        await session.flush()
        for person in people:
            for valid_from, cost in ((date(2026, 1, 1), "80"), (date(2026, 11, 1), "95")):
                session.add(CostRate(user_id=person.id, valid_from=valid_from, hourly_cost=Decimal(cost)))
        ids = []
        for size in (entries, entries // 10):
            engagement = Engagement(
                client_id=client.id, title="Bench", start_date=START, duration_weeks=8, fixed_fee=Decimal("240000")
            )
            session.add(engagement)
            await session.flush()
            rows = [
                {
                    "engagement_id": engagement.id,
                    "user_id": rng.choice(people).id,
                    "day": START + timedelta(days=rng.randrange(56)),
                    "minutes": rng.randrange(15, 480),
                    "description": "Arbeit",
                    "billable": rng.random() < 0.8,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for _ in range(size)
            ]
            await (await session.connection()).execute(insert(TimeEntry), rows)
            ids.append(engagement.id)
        await session.commit()
    return ids


async def measure(database_url: str, entries: int) -> int:
    engine = make_engine(database_url)
    await upgrade(engine)
    maker = make_sessionmaker(engine)
    ids = await seed(maker, entries)
    statements = 0

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    failed = []
    per_size = {}
    for engagement_id, size in zip(ids, (entries, entries // 10), strict=True):
        times = []
        for i in range(220):
            statements = 0
            start = time.perf_counter()
            async with maker() as session:
                engagement = await session.get(Engagement, engagement_id)
                assert engagement is not None
                burn = await engagement_burn(session, engagement, today=START + timedelta(days=40))
            if i >= 20:  # warm-up: connections, statement caches
                times.append((time.perf_counter() - start) * 1000)
        per_size[size] = statements
        cuts = statistics.quantiles(times, n=100)
        print(
            f"{size:>7} entries: p50 {statistics.median(times):.2f} ms, p95 {cuts[94]:.2f} ms,"
            f" {statements} statements; {burn.hours} h, {burn.used_pct} % used, state {burn.state}"
        )
        if size == entries and statistics.median(times) > TARGET_MS:
            failed.append(f"p50 {statistics.median(times):.1f} ms > {TARGET_MS:.0f} ms")
    if len(set(per_size.values())) != 1:
        failed.append(f"statements differ with the size: {per_size}")
    await engine.dispose()
    for line in failed:
        print("TARGET MISSED:", line)
    if not failed:
        print(f"target met (p50 ≤ {TARGET_MS:.0f} ms, statements independent of the number of entries)")
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to make the bench's database on")
    args = parser.parse_args()
    with bench_database(args.database_url, "bench_burn") as database_url:
        return asyncio.run(measure(database_url, args.entries))


if __name__ == "__main__":
    sys.exit(main())
