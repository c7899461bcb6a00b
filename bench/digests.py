"""Time to send the weekly digests of many engagements (draft, render, compose, SMTP).

    .venv/bin/python bench/digests.py [--engagements 1000] [--workers 1] [--database-url URL]

Seeds a PostgreSQL database of its own (on 127.0.0.1:5432 or the server `--database-url` names;
dropped afterwards), starts an SMTP server on loopback that counts what arrives, enqueues the
week's digests and runs `--workers` `desk worker --burst` processes until the queue is empty
(the time includes their start). Every digest must arrive exactly once. Target: ≤ 20 s per
1,000 digests; exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.flows.digests.jobs import enqueue_weekly_digests  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from backend.kernel.queue import queue_pool  # noqa: E402
from backend.server.loadgen import seed_engagements  # noqa: E402
from bench.postgres import bench_database  # noqa: E402
from bench.services import bench_redis  # noqa: E402
from tests.smtp_server import SmtpTestServer  # noqa: E402

WEEK = "2026-W48"
SECRET = "bench-secret-key-long-enough-for-settings-0123"


async def prepare(settings: Settings, count: int) -> list[str]:
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        recipients = await seed_engagements(session, count, start=date(2026, 11, 2))
        await session.commit()
    async with queue_pool(settings) as pool:
        await enqueue_weekly_digests({"redis": pool, "session_maker": make_sessionmaker(engine)}, WEEK)
    await engine.dispose()
    return recipients


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engagements", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to make the bench's database on")
    parser.add_argument("--redis-url", default=None, help="an empty database (default: a private server)")
    args = parser.parse_args()
    with (
        bench_database(args.database_url, "bench_digests") as database_url,
        SmtpTestServer() as smtp,
        bench_redis(args.redis_url) as redis_url,
    ):
        settings = Settings(
            env="bench",
            secret_key=SECRET,
            database_url=database_url,
            redis_url=redis_url,
            queue_name="desk-bench",
            smtp_url=smtp.url,
        )
        t0 = time.perf_counter()
        recipients = asyncio.run(prepare(settings, args.engagements))
        seeded = time.perf_counter() - t0
        env = os.environ | {
            "DESK_ENV": "bench",
            "DESK_SECRET_KEY": SECRET,
            "DESK_DATABASE_URL": database_url,
            "DESK_REDIS_URL": redis_url,
            "DESK_QUEUE_NAME": "desk-bench",
            "DESK_SMTP_URL": smtp.url,
        }
        start = time.perf_counter()
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "backend.server.cli", "worker", "--burst"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.workers)
        ]
        codes = [worker.wait() for worker in workers]
        elapsed = time.perf_counter() - start
        if any(codes):
            print(f"a worker failed: exit codes {codes}")
            return 1
        arrived = len(smtp.messages)
        unique = len({m.rcpt_tos[0] for m in smtp.messages})
    print(f"engagements: {args.engagements} (seeded in {seeded:.1f} s)")
    print(f"digests arrived: {arrived} ({unique} distinct recipients of {len(recipients)})")
    print(
        f"{args.workers} worker(s): {elapsed:.1f} s total, {arrived / elapsed:.1f} digests/s,"
        f" {1000 * elapsed / max(arrived, 1):.1f} ms each"
    )
    exactly_once = arrived == unique == len(recipients)
    ok = exactly_once and elapsed <= 20 * args.engagements / 1000
    if not exactly_once:
        print("TARGET MISSED: not every digest arrived exactly once")
    print("target met (≤ 20 s per 1,000)" if ok else "TARGET MISSED (≤ 20 s per 1,000)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
