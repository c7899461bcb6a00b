"""Issuing one invoice end to end: the rules, the next number, the CII XML and its schema
check, the PDF/A-3 render and the Factur-X embedding, the stored files, the commit.

    .venv/bin/python bench/invoice.py [--invoices 200] [--database-url URL]

Seeds a client and an engagement in a PostgreSQL database of its own (on 127.0.0.1:5432 or
the server `--database-url` names; dropped afterwards), drafts `--invoices` invoices of three
lines (two VAT rates), then issues them one after the other as the API does (one session and
transaction each, warm render thread) and prints p50/p95 of the whole and of its parts.
Target: p50 ≤ 50 ms warm; exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domains.auth.models import User  # noqa: E402
from backend.domains.auth.principals import Principal  # noqa: E402
from backend.domains.clients.models import Client  # noqa: E402
from backend.domains.engagements.models import Engagement  # noqa: E402
from backend.flows.invoicing import cii, files  # noqa: E402
from backend.flows.invoicing.drafts import create  # noqa: E402
from backend.flows.invoicing.issue import issue  # noqa: E402
from backend.flows.invoicing.models import Invoice, InvoiceDraft, LineInput  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker  # noqa: E402
from backend.kernel.enums import Role  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from bench.postgres import bench_database  # noqa: E402

TARGET_MS = 50.0
WARM_UP = 10
LINES = [
    LineInput(
        description="Use-Case-Workshop „Angebote“", quantity=Decimal("2"), unit="DAY", unit_price=Decimal("1400")
    ),
    LineInput(description="Begleitung Pilot", quantity=Decimal("7.5"), unit="HUR", unit_price=Decimal("137.50")),
    LineInput(
        description="Fachbuch", quantity=Decimal("3"), unit="C62", unit_price=Decimal("29.90"), vat_rate=Decimal("7")
    ),
]


def percentiles(times: list[float]) -> str:
    return f"p50 {statistics.median(times):6.2f} ms, p95 {statistics.quantiles(times, n=100)[94]:6.2f} ms"


async def measure(database_url: str, count: int) -> int:
    engine = make_engine(database_url)
    await upgrade(engine)
    maker = make_sessionmaker(engine)
    settings = Settings(database_url=database_url)
    async with maker() as session:
        admin = User(email="bench@bench.de", full_name="Bench", role=Role.admin, password_hash="-")
        session.add(admin)
        await session.flush()
        user = Principal(
            id=admin.id, email=admin.email, full_name="Bench", role=Role.admin, client_id=None, contact_id=None
        )
        client = Client(
            name="Müller Präzisionstechnik GmbH", street="Industriestraße 12", postal_code="73430", city="Aalen"
        )
        session.add(client)
        await session.flush()
        engagement = Engagement(
            client_id=client.id,
            title="KI-Einführung",
            start_date=date(2026, 11, 2),
            duration_weeks=8,
            fixed_fee=Decimal("24000"),
        )
        session.add(engagement)
        await session.flush()
        ids = []
        for _ in range(count + WARM_UP):
            body = InvoiceDraft(
                engagement_id=engagement.id, period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), lines=LINES
            )
            invoice, _ = await create(session, None, body)  # type: ignore[arg-type]
            ids.append(invoice.id)
        await session.commit()
    whole: list[float] = []
    for i, invoice_id in enumerate(ids):
        start = time.perf_counter()
        async with maker() as session:
            await issue(session, user, invoice_id, 1, settings)
            await session.commit()
        if i >= WARM_UP:
            whole.append((time.perf_counter() - start) * 1000)
    async with maker() as session:
        last = await session.get(Invoice, ids[-1])
        assert last is not None and last.data_snapshot is not None
        data = last.data_snapshot
    parts: dict[str, list[float]] = {"xml + schema": [], "pdf/a-3 + embed": []}
    for _ in range(50):
        t0 = time.perf_counter()
        xml = cii.build(data)
        t1 = time.perf_counter()
        await files.shared_pool().run(files.make_pdf, data, xml)
        t2 = time.perf_counter()
        parts["xml + schema"].append((t1 - t0) * 1000)
        parts["pdf/a-3 + embed"].append((t2 - t1) * 1000)
    await engine.dispose()
    print(f"issue one invoice ({count} in a row, PostgreSQL): {percentiles(whole)}  [{last.number}]")
    for name, times in parts.items():
        print(f"  of which {name:<16} {percentiles(times)}")
    p50 = statistics.median(whole)
    if p50 > TARGET_MS:
        print(f"TARGET MISSED: p50 {p50:.1f} ms > {TARGET_MS:.0f} ms")
        return 1
    print(f"target met (p50 ≤ {TARGET_MS:.0f} ms)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to make the bench's database on")
    args = parser.parse_args()
    with bench_database(args.database_url, "bench_invoice") as database_url:
        return asyncio.run(measure(database_url, args.invoices))


if __name__ == "__main__":
    sys.exit(main())
