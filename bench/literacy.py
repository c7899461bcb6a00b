"""Issuing a workshop's certificates: 200 participants, the job as the worker runs it.

    .venv/bin/python bench/literacy.py [--participants 200] [--database-url URL]

Seeds one finished workshop with `--participants` attendances in a PostgreSQL database of its
own (127.0.0.1:5432 or `--database-url`; dropped afterwards), then runs the issuing job once
with the worker's render pool (one thread per core): every certificate inserted, rendered as
PDF/A with its QR code and stored. Prints the total and per certificate, then runs the job a
second time (it must issue nothing). Target: 200 in ≤ 10 s on two cores; exits 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend.domains.clients.models import Client  # noqa: E402
from backend.domains.engagements.models import Engagement  # noqa: E402
from backend.domains.literacy.models import (  # noqa: E402
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Participant,
)
from backend.domains.workshops.models import Topic, Workshop, WorkshopKind  # noqa: E402
from backend.flows.documents.render import RenderPool  # noqa: E402
from backend.flows.literacy.certificates import issue  # noqa: E402
from backend.flows.literacy.models import Certificate  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker, utcnow  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from bench.postgres import bench_database  # noqa: E402

TARGET_SECONDS = 10.0
FIRST = ("Jana", "Ole", "Mia", "Ayşe", "Jürgen", "Zoë", "Mehmet", "Anna-Lena", "Björn", "Petra")
LAST = ("Vogt", "Brandt", "Roth", "Demir", "Müller", "Schäfer", "Aydın", "Lehmann-Özdemir", "Krüger", "Wolf")


async def seed(maker, participants: int) -> int:  # type: ignore[no-untyped-def]
    async with maker() as session:
        client = Client(name="Bench Maschinenbau GmbH", city="Aalen")
        session.add(client)
        await session.flush()
        engagement = Engagement(client_id=client.id, title="KI-Schulung", start_date=utcnow().date(), duration_weeks=4)
        session.add(engagement)
        await session.flush()
        start = utcnow() - timedelta(hours=5)
        workshop = Workshop(
            engagement_id=engagement.id, kind=WorkshopKind.enablement, title="KI-Grundlagen für alle",
            starts_at=start, ends_at=start + timedelta(hours=4), location="Aalen",
            topics=[Topic.ai_basics, Topic.limits_hallucination, Topic.data_protection],
            materials_version="v2.1", trainer_name="Dr. Ina Lehrer",
            learning_objectives="Chancen und Grenzen einordnen\nErgebnisse prüfen\nDaten schützen",
        )  # fmt: skip
        session.add(workshop)
        await session.flush()
        people = [
            Participant(client_id=client.id, name=f"{FIRST[n % 10]} {LAST[n // 10 % 10]} {n}", department="Vertrieb")
            for n in range(participants)
        ]
        session.add_all(people)
        await session.flush()
        session.add_all(
            Attendance(workshop_id=workshop.id, participant_id=p.id, status=AttendanceStatus.present,
                       source=AttendanceSource.team)
            for p in people
        )  # fmt: skip
        await session.commit()
        return workshop.id or 0


async def run(database_url: str, participants: int) -> bool:
    engine = make_engine(database_url)
    await upgrade(engine)
    maker = make_sessionmaker(engine)
    settings = Settings(database_url=database_url)
    workshop_id = await seed(maker, participants)
    pool = RenderPool()
    await pool.warm()
    try:
        started = time.perf_counter()
        done = await issue(maker, settings, pool, workshop_id, "de")
        seconds = time.perf_counter() - started
        again = await issue(maker, settings, pool, workshop_id, "de")
    finally:
        pool.close()
    async with maker() as session:
        stored = (await session.exec(select(func.count()).select_from(Certificate))).one()  # type: ignore[call-overload]
    await engine.dispose()
    print(f"{participants} participants, {pool.threads} render threads")
    each = seconds / max(1, done["issued"]) * 1000
    print(f"issued {done['issued']} certificates in {seconds:.2f} s ({each:.1f} ms each)")
    print(f"second run issued {again['issued']}; {stored[0]} stored")
    ok = done["issued"] == participants and again["issued"] == 0 and stored[0] == participants
    return ok and seconds <= TARGET_SECONDS * participants / 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with bench_database(args.database_url, "literacy") as url:
        ok = asyncio.run(run(url, args.participants))
    print("target met" if ok else f"TARGET MISSED (≤ {TARGET_SECONDS} s for 200)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
