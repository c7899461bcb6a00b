"""Reading effort: an engagement's burn from its time entries, in a fixed number of statements."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.engagements.models import Engagement, PricingModel
from backend.domains.timesheets.burn import Burn, DayEffort, Rates, Terms, compute
from backend.domains.timesheets.models import CostRate, TimeEntry
from backend.kernel.time import today as berlin_today


def terms_of(engagement: Engagement) -> Terms:
    fixed = engagement.pricing_model == PricingModel.fixed_fee
    fee = engagement.fixed_fee if fixed else None
    if not fixed and engagement.day_rate is not None and engagement.days is not None:
        fee = engagement.day_rate * engagement.days
    return Terms(
        start=engagement.start_date,
        weeks=engagement.duration_weeks,
        fixed_fee=fixed,
        fee=fee,
        budget=engagement.budget,
        day_rate=engagement.day_rate,
        days=engagement.days,
        hours_per_day=engagement.hours_per_day,
    )


async def day_efforts(session: AsyncSession, engagement_id: int) -> list[DayEffort]:
    """Minutes per day and consultant: as many rows as working days × people, whatever the
    number of entries."""
    billable = func.sum(case((col(TimeEntry.billable), TimeEntry.minutes), else_=0))
    rows = await session.exec(
        select(col(TimeEntry.day), col(TimeEntry.user_id), func.sum(TimeEntry.minutes), billable)
        .where(TimeEntry.engagement_id == engagement_id)
        .group_by(col(TimeEntry.day), col(TimeEntry.user_id))
    )
    return [DayEffort(day, user_id, int(minutes), int(billed or 0)) for day, user_id, minutes, billed in rows]


async def engagement_burn(session: AsyncSession, engagement: Engagement, today: date | None = None) -> Burn:
    efforts = await day_efforts(session, engagement.id)
    people = sorted({e.user_id for e in efforts})
    rates = Rates(
        (
            await session.exec(
                select(col(CostRate.user_id), col(CostRate.valid_from), col(CostRate.hourly_cost)).where(
                    col(CostRate.user_id).in_(people)
                )
            )
        ).all()
        if people
        else []
    )
    names = (
        dict((await session.exec(select(User.id, User.full_name).where(col(User.id).in_(people)))).all())
        if people
        else {}
    )
    return compute(terms_of(engagement), efforts, rates, names, today or berlin_today())
