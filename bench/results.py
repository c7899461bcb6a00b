"""Results the client can trust, at a consultancy's largest engagement: the savings with their
confidence, a timing round's release, and webhook deliveries.

    .venv/bin/python bench/results.py [--pilots 20] [--database-url URL]

In a PostgreSQL database of its own (127.0.0.1:5432 or `--database-url`; dropped afterwards):

- results: one engagement with `--pilots` pilots of 5 KPIs, each with a baseline, a spread and
  24 measurements; the engagement's results (every KPI's Welch interval, the planner, the
  totals) computed 30 times as the API, the portal and the result report compute them.
- release: a timing round with 5,000 times from 100 devices released (figures computed, the
  measurement written, every time and device key deleted), 5 rounds.
- webhooks: 200 deliveries to a receiver on this machine, each attempt claimed, signed, sent
  and logged as the worker does it, one after the other.

Targets on two cores: results p50 ≤ 150 ms, a release ≤ 1 s, a delivery p50 ≤ 25 ms; exits 1
when one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domains.clients.models import Client  # noqa: E402
from backend.domains.engagements.models import Engagement  # noqa: E402
from backend.domains.pilots import timing  # noqa: E402
from backend.domains.pilots.models import Kpi, KpiUnit, Measurement, Pilot, PilotStage  # noqa: E402
from backend.domains.pilots.service import engagement_results  # noqa: E402
from backend.domains.pilots.timing_models import (  # noqa: E402
    TimingContributor,
    TimingRound,
    TimingSample,
)
from backend.domains.webhooks import jobs as webhook_jobs  # noqa: E402
from backend.domains.webhooks.models import WebhookDelivery, WebhookSubscription  # noqa: E402
from backend.domains.webhooks.service import new_secret  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker, unit_of_work, utcnow  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from bench.postgres import bench_database  # noqa: E402

TARGETS = {"results_p50_ms": 150.0, "release_max_s": 1.0, "delivery_p50_ms": 25.0}


async def seed_engagement(maker: Any, pilots: int) -> int:
    async with unit_of_work(maker) as session:
        client = Client(name="Bench Präzision GmbH", city="Aalen")
        session.add(client)
        await session.flush()
        engagement = Engagement(
            client_id=client.id, title="KI-Einführung", start_date=date(2026, 6, 1), duration_weeks=12,
            fixed_fee=Decimal("48000.00"),
        )  # fmt: skip
        session.add(engagement)
        await session.flush()
        for p in range(pilots):
            pilot = Pilot(engagement_id=engagement.id, title=f"Pilot {p + 1}", stage=PilotStage.pilot)
            session.add(pilot)
            await session.flush()
            for k in range(5):
                kpi = Kpi(
                    pilot_id=pilot.id, name=f"Zeit {k + 1}", unit=KpiUnit.minutes, baseline_value=Decimal(60 + k),
                    baseline_std_dev=Decimal(12), baseline_sample_size=20, monthly_volume=Decimal(200),
                    hourly_cost=Decimal("60.00"), run_cost_monthly=Decimal("50.00"),
                )  # fmt: skip
                session.add(kpi)
                await session.flush()
                session.add_all(
                    Measurement(
                        kpi_id=kpi.id,
                        measured_on=date(2026, 6, 1) + timedelta(days=3 * m),
                        value=Decimal(55 - m % 20),
                        sample_size=10 + m % 7,
                        std_dev=Decimal(9 + m % 5),
                    )  # fmt: skip
                    for m in range(24)
                )
        return engagement.id or 0


async def bench_results(maker: Any, engagement_id: int) -> float:
    times = []
    for _ in range(30):
        async with maker() as session:
            started = time.perf_counter()
            found = await engagement_results(session, engagement_id=engagement_id, fee=Decimal("48000.00"))
            times.append((time.perf_counter() - started) * 1000)
    kpis = sum(len(p.kpis) for p in found.pilots)
    p50 = statistics.median(times)
    print(f"results: {len(found.pilots)} pilots, {kpis} KPIs: p50 {p50:.1f} ms, max {max(times):.1f} ms")
    return p50


async def bench_release(maker: Any, engagement_id: int) -> float:
    async with maker() as session:
        kpi_id = (await session.exec(Kpi.__table__.select().limit(1))).first().id  # type: ignore[attr-defined]
    slowest = 0.0
    for n in range(5):
        async with unit_of_work(maker) as session:
            row = TimingRound(kpi_id=kpi_id, task="ein Angebot", closes_on=date.today(), contributors=100, samples=5000)
            session.add(row)
            await session.flush()
            session.add_all(
                TimingContributor(key=uuid.uuid4().hex * 2, round_id=row.id, samples=50) for _ in range(100)
            )
            session.add_all(
                TimingSample(id=uuid.uuid4().hex, round_id=row.id, seconds=300 + (i * 37) % 900, taken_on=date.today())
                for i in range(5000)
            )
            round_id = row.id
        started = time.perf_counter()
        async with unit_of_work(maker) as session:
            loaded = await session.get(TimingRound, round_id)
            await timing.release(session, None, loaded, utcnow())
        seconds = time.perf_counter() - started
        slowest = max(slowest, seconds)
        print(f"release {n + 1}: 5000 times from 100 devices in {seconds * 1000:.0f} ms")
    return slowest


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


async def bench_webhooks(maker: Any, settings: Settings) -> float:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async with unit_of_work(maker) as session:
            hook = WebhookSubscription(
                url=f"http://127.0.0.1:{server.server_address[1]}/hook", events=["measurement.recorded"],
                secret=new_secret(),
            )  # fmt: skip
            session.add(hook)
            await session.flush()
            rows = [
                WebhookDelivery(
                    subscription_id=hook.id,
                    message_id=f"msg_{uuid.uuid4().hex}",
                    event="measurement.recorded",
                    payload={"type": "measurement.recorded", "data": {"n": n}},
                    next_attempt_at=utcnow(),
                )  # fmt: skip
                for n in range(200)
            ]
            session.add_all(rows)
            await session.flush()
            ids = [r.id for r in rows]
        ctx: Any = {"settings": settings, "session_maker": maker, "job_try": 1}
        times = []
        for delivery_id in ids:
            started = time.perf_counter()
            done = await webhook_jobs.deliver_webhook(ctx, delivery_id)
            times.append((time.perf_counter() - started) * 1000)
            assert done["status"] == 204, done
    finally:
        server.shutdown()
        server.server_close()
    p50 = statistics.median(times)
    print(
        f"webhooks: 200 deliveries, p50 {p50:.1f} ms, p95 {sorted(times)[189]:.1f} ms, total {sum(times) / 1000:.2f} s"
    )
    return p50


async def run(database_url: str, pilots: int) -> bool:
    engine = make_engine(database_url)
    await upgrade(engine)
    maker = make_sessionmaker(engine)
    settings = Settings(database_url=database_url, webhooks_allow_private=True)  # dev: a receiver on this machine
    try:
        engagement_id = await seed_engagement(maker, pilots)
        results = await bench_results(maker, engagement_id)
        release = await bench_release(maker, engagement_id)
        delivery = await bench_webhooks(maker, settings)
    finally:
        await engine.dispose()
    met = {
        "results_p50_ms": results <= TARGETS["results_p50_ms"] * pilots / 20,
        "release_max_s": release <= TARGETS["release_max_s"],
        "delivery_p50_ms": delivery <= TARGETS["delivery_p50_ms"],
    }
    for name, ok in met.items():
        print(f"{name} ≤ {TARGETS[name]}: {'met' if ok else 'MISSED'}")
    return all(met.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pilots", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with bench_database(args.database_url, "results") as url:
        ok = asyncio.run(run(url, args.pilots))
    print("targets met" if ok else "TARGET MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
