"""After go-live: do the savings last?

- The value at go-live is a KPI's last measurement up to the engagement's end; what it improved
  on the baseline then is what later measurements are held to.
- 30, 60 and 90 days after the end, each pilot in production gets a checkpoint: a timing round
  per timed KPI (the anonymous stopwatch link) and one mail to the client's owner of the pilot
  asking for the measurement — made once (the unique key), mailed once (kernel/delivery.py).
- A measurement after the end that keeps less than (100 − the KPI's `slip_alert_percent`) % of
  the improvement at go-live is a slip: recorded once per measurement, the lead consultant mailed.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.clients.models import Contact
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import lead_email
from backend.domains.pilots.aftercare_models import (
    CHECKPOINT_DAYS,
    Checkpoint,
    CheckpointValue,
    KpiSustained,
    PilotSustained,
    RunCost,
    RunCostRead,
    SlipAlert,
)
from backend.domains.pilots.models import Direction, Kpi, Measurement, Pilot, PilotStage
from backend.domains.pilots.results import improvement
from backend.domains.pilots.results_read import current_measurements
from backend.domains.pilots.timing_models import DEFAULT_MIN_CONTRIBUTORS, SECONDS_PER, TimingRound
from backend.kernel.db import add_unless_taken
from backend.kernel.delivery import DeliveryStatus
from backend.kernel.outbox import plan

CHECKPOINT_JOB = "mail_checkpoint"
SLIP_JOB = "mail_slip_alert"
# A checkpoint is asked for from its day on, for this long (a worker down for a day still asks).
ASKING_WINDOW = timedelta(days=30)
ROUND_DAYS = timedelta(days=14)
# A measurement this close to a checkpoint's day answers it.
ANSWERS_WITHIN = 20


def ends_on(engagement: Engagement) -> date:
    return engagement.start_date + timedelta(weeks=engagement.duration_weeks, days=-1)


# A share kept beyond this (either way) says no more than the bound does, and fits its column.
KEPT_BOUND = Decimal("99999.9")


def _kept(now: Decimal, then: Decimal) -> Decimal | None:
    if then <= 0:
        return None
    kept = (now / then * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return max(-KEPT_BOUND, min(KEPT_BOUND, kept))


def go_live(kpi: Kpi, measurements: list[Measurement], end: date) -> Measurement | None:
    before = [m for m in current_measurements(measurements) if m.measured_on <= end]
    return before[-1] if before else None


def sustained_kpi(kpi: Kpi, measurements: list[Measurement], end: date) -> KpiSustained:
    threshold = kpi.slip_alert_percent
    then = go_live(kpi, measurements, end)
    gained_then = (
        improvement(Direction(kpi.direction), kpi.baseline_value, then.value)
        if then is not None and kpi.baseline_value is not None
        else None
    )
    after = []
    for m in current_measurements(measurements):
        if m.measured_on <= end or kpi.baseline_value is None:
            continue
        days = (m.measured_on - end).days
        gained = improvement(Direction(kpi.direction), kpi.baseline_value, m.value)
        kept = _kept(gained, gained_then) if gained_then is not None else None
        near = min(CHECKPOINT_DAYS, key=lambda d: abs(d - days))
        after.append(
            CheckpointValue(
                measurement_id=m.id,
                measured_on=m.measured_on,
                days_after_end=days,
                checkpoint=near if abs(near - days) <= ANSWERS_WITHIN else None,
                value=m.value,
                improvement=gained,
                kept_percent=kept,
                slipped=kept is not None and kept < 100 - threshold,
            )
        )
    return KpiSustained(
        kpi_id=kpi.id,
        name=kpi.name,
        unit=str(kpi.unit),
        baseline_value=kpi.baseline_value,
        go_live_value=then.value if then else None,
        go_live_on=then.measured_on if then else None,
        go_live_improvement=gained_then,
        slip_alert_percent=threshold,
        after=after,
    )


async def sustained(
    session: AsyncSession, pilot: Pilot, kpis: list[Kpi], measured: dict[int, list[Measurement]]
) -> PilotSustained:
    engagement = await session.get(Engagement, pilot.engagement_id)
    assert engagement is not None
    end = ends_on(engagement)
    checkpoints = (await session.exec(select(Checkpoint).where(Checkpoint.pilot_id == pilot.id))).all()
    costs = (await session.exec(select(RunCost).where(RunCost.pilot_id == pilot.id).order_by(col(RunCost.month)))).all()
    return PilotSustained(
        pilot_id=pilot.id,
        title=pilot.title,
        stage=str(pilot.stage),
        engagement_end=end,
        checkpoints=[
            {"days": c.days, "due_on": c.due_on, "status": str(c.status), "sent_at": c.sent_at}
            for c in sorted(checkpoints, key=lambda c: c.days)
        ],
        kpis=[sustained_kpi(k, measured.get(k.id, []), end) for k in kpis],
        run_costs=[RunCostRead.model_validate(c) for c in costs],
    )


# -- slipping back ------------------------------------------------------------------------------


async def note_slip(session: AsyncSession, measurement: Measurement) -> SlipAlert | None:
    """After a measurement is recorded: a slip of its KPI (see the module's doc) recorded once."""
    kpi = await session.get(Kpi, measurement.kpi_id)
    pilot = await session.get(Pilot, kpi.pilot_id) if kpi else None
    engagement = await session.get(Engagement, pilot.engagement_id) if pilot else None
    if kpi is None or pilot is None or engagement is None or pilot.stage != PilotStage.production:
        return None
    end = ends_on(engagement)
    if measurement.measured_on <= end or kpi.baseline_value is None:
        return None
    rows = (await session.exec(select(Measurement).where(Measurement.kpi_id == kpi.id))).all()
    found = sustained_kpi(kpi, list(rows), end)
    point = next((a for a in found.after if a.measurement_id == measurement.id), None)
    if point is None or not point.slipped or found.go_live_improvement is None or point.kept_percent is None:
        return None
    email = await lead_email(session, engagement.id)
    alert = await add_unless_taken(
        session,
        SlipAlert(
            kpi_id=kpi.id,
            measurement_id=measurement.id,
            at_go_live=found.go_live_improvement,
            now=point.improvement,
            kept_percent=point.kept_percent,
            email=email,
            status=DeliveryStatus.pending if email else DeliveryStatus.bounced,
            last_error=None if email else "the engagement has no lead consultant to tell",
        ),
    )
    if alert is None:
        return None
    await record(
        session,
        actor=None,
        action="slip_alert",
        entity_type="kpi",
        entity_id=kpi.id,
        after={"measurement_id": measurement.id, "kept_percent": str(point.kept_percent)},
    )
    if email:
        await plan(session, SLIP_JOB, alert.id, job_id=f"slip-alert:{alert.id}:{secrets.token_hex(4)}")
    return alert


# -- checkpoints --------------------------------------------------------------------------------


async def plan_checkpoints(session: AsyncSession, today: date) -> list[Checkpoint]:
    """Checkpoints due today (or within the asking window) that were not made yet: each with its
    timing rounds and its mail. Safe to run again: the unique key makes each once."""
    stmt = (
        select(Pilot, Engagement)
        .join(Engagement, col(Engagement.id) == col(Pilot.engagement_id))
        .where(Pilot.stage == PilotStage.production)
        .order_by(col(Pilot.id))
    )
    made = []
    for pilot, engagement in (await session.exec(stmt)).all():
        end = ends_on(engagement)
        for days in CHECKPOINT_DAYS:
            due = end + timedelta(days=days)
            if due <= today < due + ASKING_WINDOW:
                checkpoint = await _checkpoint(session, pilot, engagement, days, due, today)
                if checkpoint is not None:
                    made.append(checkpoint)
    return made


async def _checkpoint(
    session: AsyncSession, pilot: Pilot, engagement: Engagement, days: int, due: date, today: date
) -> Checkpoint | None:
    recipient = await _owner_of(session, pilot, engagement)
    checkpoint = await add_unless_taken(
        session,
        Checkpoint(
            pilot_id=pilot.id,
            days=days,
            due_on=due,
            email=recipient.email if recipient else None,
            name=recipient.name if recipient else None,
            language=str(recipient.language) if recipient else "de",
            status=DeliveryStatus.pending if recipient else DeliveryStatus.bounced,
            last_error=None if recipient else "neither the pilot nor the client has an owner to ask",
        ),
    )
    if checkpoint is None:
        return None
    kpis = (await session.exec(select(Kpi).where(Kpi.pilot_id == pilot.id).order_by(col(Kpi.id)))).all()
    for kpi in kpis:
        if kpi.unit in SECONDS_PER:
            await session.flush()
            session.add(await _round_for(session, kpi, days, today))
    await session.flush()
    await record(
        session,
        actor=None,
        action="checkpoint",
        entity_type="pilot",
        entity_id=pilot.id,
        after={"days": days, "checkpoint_id": checkpoint.id},
    )
    if recipient:
        await plan(session, CHECKPOINT_JOB, checkpoint.id, job_id=f"checkpoint:{checkpoint.id}:{secrets.token_hex(4)}")
    return checkpoint


async def _round_for(session: AsyncSession, kpi: Kpi, days: int, today: date) -> TimingRound:
    """A round like the KPI's last one (its task and threshold), open for two weeks."""
    last = (
        await session.exec(select(TimingRound).where(TimingRound.kpi_id == kpi.id).order_by(col(TimingRound.id).desc()))
    ).first()
    return TimingRound(
        kpi_id=kpi.id,
        task=last.task if last else kpi.name,
        closes_on=today + ROUND_DAYS,
        min_contributors=last.min_contributors if last else DEFAULT_MIN_CONTRIBUTORS,
        checkpoint_days=days,
    )


async def _owner_of(session: AsyncSession, pilot: Pilot, engagement: Engagement) -> Contact | None:
    """Who is asked: the pilot's owner at the client, else the client's AI owner."""
    if pilot.owner_contact_id is not None:
        owner = await session.get(Contact, pilot.owner_contact_id)
        if owner is not None and owner.erased_at is None:
            return owner
    stmt = select(Contact).where(
        Contact.client_id == engagement.client_id, col(Contact.is_ai_owner).is_(True), col(Contact.erased_at).is_(None)
    )
    return (await session.exec(stmt.order_by(col(Contact.id)))).first()


async def rounds_of_checkpoint(session: AsyncSession, checkpoint: Checkpoint) -> list[tuple[Kpi, TimingRound]]:
    stmt = (
        select(Kpi, TimingRound)
        .join(TimingRound, col(TimingRound.kpi_id) == col(Kpi.id))
        .where(Kpi.pilot_id == checkpoint.pilot_id, TimingRound.checkpoint_days == checkpoint.days)
        .order_by(col(Kpi.id))
    )
    return [(k, r) for k, r in (await session.exec(stmt)).all()]
