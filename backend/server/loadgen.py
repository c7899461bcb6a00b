"""Many synthetic, realistic engagements at once, for benchmarks and fault tests."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client, Contact
from backend.domains.deliverables.models import Deliverable, DeliverableKind
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.domains.pilots.models import Kpi, KpiUnit, Measurement, Pilot, PilotStage


async def seed_engagements(session: AsyncSession, count: int, *, start: date) -> list[str]:
    """`count` active engagements, each with one digest recipient, a pilot with a measured KPI
    and a deliverable. Returns the recipients' addresses. Flushes; the caller commits."""
    clients = [Client(name=f"Kunde {n:05d} GmbH", city="Ulm", postal_code="89073") for n in range(count)]
    session.add_all(clients)
    await session.flush()
    contacts = [
        Contact(client_id=c.id, name=f"Geschäftsführung {c.id}", email=f"gf{c.id}@kunde{c.id}.de", receives_digest=True)
        for c in clients
    ]
    engagements = [
        Engagement(
            client_id=c.id,
            title=f"KI-Einführung Kunde {c.id}",
            start_date=start,
            duration_weeks=8,
            fixed_fee=Decimal("18000.00"),
            status=EngagementStatus.active,
        )
        for c in clients
    ]
    session.add_all([*contacts, *engagements])
    await session.flush()
    pilots = [Pilot(engagement_id=e.id, title="Angebotsassistent", stage=PilotStage.pilot) for e in engagements]
    session.add_all(pilots)
    session.add_all(
        Deliverable(engagement_id=e.id, title="KI-Leitlinie", kind=DeliverableKind.guideline, due_week=2)
        for e in engagements
    )
    await session.flush()
    kpis = [
        Kpi(
            pilot_id=p.id,
            name="Bearbeitungszeit pro Angebot",
            unit=KpiUnit.minutes,
            baseline_value=Decimal(90),
            target_value=Decimal(45),
            monthly_volume=Decimal(120),
            hourly_cost=Decimal("65.00"),
            run_cost_monthly=Decimal("150.00"),
        )
        for p in pilots
    ]
    session.add_all(kpis)
    await session.flush()
    session.add_all(
        Measurement(kpi_id=k.id, measured_on=start + timedelta(days=7 * week + 3), value=Decimal(value))
        for k in kpis
        for week, value in ((1, 62), (2, 48))
    )
    await session.flush()
    return [c.email for c in contacts]
