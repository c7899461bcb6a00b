"""A person's export and erasure, and the nightly retention, in a database of some size.

    .venv/bin/python bench/privacy.py [--engagements 10000] [--database-url URL]

Seeds `--engagements` clients with an engagement each (a contact, a pilot, a deliverable), a
result report's data snapshot per engagement, 20 audit events per engagement with before/after
snapshots, and the demo client, whose managing director is in most tables, in a PostgreSQL
database of its own (127.0.0.1:5432 or `--database-url`; dropped afterwards). Then times her
export (the ZIP), her erasure (the whole transaction) and the retention dry run. Targets on two
cores at 10,000 engagements: export ≤ 2 s, erasure ≤ 5 s, dry run ≤ 5 s; exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

from sqlalchemy import select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domains.clients.models import Contact  # noqa: E402
from backend.flows.privacy.erasure import erase  # noqa: E402
from backend.flows.privacy.export import personal_data_zip  # noqa: E402
from backend.flows.privacy.models import ErasureRequest, SubjectKind  # noqa: E402
from backend.flows.privacy.retention import apply_retention  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker, unit_of_work  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from backend.kernel.time import today  # noqa: E402
from backend.server.demo import CLIENT_USER_EMAIL, seed_demo  # noqa: E402
from backend.server.loadgen import seed_engagements  # noqa: E402
from bench.postgres import bench_database  # noqa: E402

TARGETS = {"export": 2.0, "erasure": 5.0, "retention dry run": 5.0}
AUDIT_PER_ENGAGEMENT = 20


async def seed(maker, count: int) -> None:  # type: ignore[no-untyped-def]
    async with unit_of_work(maker) as session:
        await seed_engagements(session, count, start=date(2026, 9, 7))
        connection = await session.connection()
        await connection.execute(
            text(
                "INSERT INTO documents (engagement_id, kind, language, number, status, template, data_snapshot,"
                " created_at, updated_at, version)"
                " SELECT e.id, 'result_report', 'de', 1, 'ready', 'result_report',"
                " json_build_object('client', json_build_object('name', 'Kunde ' || e.id),"
                "   'contact', json_build_object('name', 'Geschäftsführung ' || e.client_id),"
                "   'pilots', json_build_array(json_build_object('title', 'Angebotsassistent', 'owner', 'GF')),"
                "   'notes', repeat('Ergebnisse und Maßnahmen. ', 40)),"
                " now(), now(), 1 FROM engagements e"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO audit_events (at, action, entity_type, entity_id, actor_email, before, after)"
                " SELECT now() - (g || ' days')::interval, 'update', 'contact', c.id, 'lea@engagement-desk.de',"
                " json_build_object('name', c.name, 'email', c.email, 'phone', '+49 731 ' || g),"
                " json_build_object('name', c.name, 'email', c.email, 'phone', '+49 731 ' || (g + 1))"
                f" FROM contacts c CROSS JOIN generate_series(1, {AUDIT_PER_ENGAGEMENT}) AS g"
            )
        )
        await seed_demo(session)


async def analyze(engine) -> None:  # type: ignore[no-untyped-def]
    """As autovacuum does after a bulk load: row counts for the planner."""
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))


async def run(database_url: str, count: int) -> bool:
    engine = make_engine(database_url)
    await upgrade(engine)
    maker = make_sessionmaker(engine)
    settings = Settings(database_url=database_url)
    started = time.perf_counter()
    await seed(maker, count)
    await analyze(engine)
    seconds = time.perf_counter() - started
    print(f"seeded {count} engagements, {count * AUDIT_PER_ENGAGEMENT} audit events in {seconds:.1f} s")
    timings: dict[str, float] = {}
    async with unit_of_work(maker) as session:
        contact = (await session.exec(select(Contact).where(Contact.email == CLIENT_USER_EMAIL))).scalars().one()  # type: ignore[call-overload]
        started = time.perf_counter()
        content, _ = await personal_data_zip(session, None, SubjectKind.contact, contact)
        timings["export"] = time.perf_counter() - started
        files = len(zipfile.ZipFile(io.BytesIO(content)).namelist())
    print(f"export: {timings['export'] * 1000:.0f} ms, {len(content) / 1024:.0f} KiB, {files} files in the ZIP")
    async with unit_of_work(maker) as session:
        contact = (await session.exec(select(Contact).where(Contact.email == CLIENT_USER_EMAIL))).scalars().one()  # type: ignore[call-overload]
        request = ErasureRequest(reason="Anfrage per Mail", confirm=True)
        started = time.perf_counter()
        report = await erase(session, None, SubjectKind.contact, contact, request)
        timings["erasure"] = time.perf_counter() - started
    erased = sum(part.rows for part in report.erased)
    print(f"erasure: {timings['erasure'] * 1000:.0f} ms, {erased} rows changed, {len(report.kept)} kept under a hold")
    started = time.perf_counter()
    dry = await apply_retention(maker, settings, today(), dry_run=True)
    timings["retention dry run"] = time.perf_counter() - started
    print(f"retention dry run: {timings['retention dry run'] * 1000:.0f} ms, {dry.rows} rows would go")
    await engine.dispose()
    scale = count / 10_000
    return all(seconds <= TARGETS[name] * max(1.0, scale) for name, seconds in timings.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engagements", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with bench_database(args.database_url, "privacy") as url:
        ok = asyncio.run(run(url, args.engagements))
    print("targets met" if ok else f"TARGET MISSED ({', '.join(f'{k} ≤ {v} s' for k, v in TARGETS.items())})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
