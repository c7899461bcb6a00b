"""Reading effort: engagements' burn from their time entries, in a fixed number of statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, case
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.engagements.models import Engagement, PricingModel
from backend.domains.timesheets.burn import Burn, DayEffort, Rates, Terms, compute
from backend.domains.timesheets.models import CostRate, TimeEntry
from backend.kernel.enums import Role
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


async def burns(
    session: AsyncSession, engagements: Sequence[Engagement], *, among: Select | None = None, today: date | None = None
) -> dict[int, Burn]:
    """`today`: the day the burn is taken on; time recorded for later days does not count (a
    status report of a past week shows the burn as it stood then)."""
    """Each engagement's burn, in four statements however many engagements and entries there are:
    the minutes per engagement, day and consultant, then the cost rates and names of the people
    who worked. `among`: the engagements as a subquery of ids, for lists that grow (bound values
    would grow with them; PostgreSQL takes at most 32,767 in one statement)."""
    if not engagements:
        return {}
    scope: Any = among if among is not None else [e.id for e in engagements]
    day = today or berlin_today()
    billable = func.sum(case((col(TimeEntry.billable), TimeEntry.minutes), else_=0))
    # Five columns: past what sqlmodel's select types; read on the session's connection.
    rows = await (await session.connection()).execute(
        sa_select(
            col(TimeEntry.engagement_id),
            col(TimeEntry.day),
            col(TimeEntry.user_id),
            func.sum(TimeEntry.minutes),
            billable,
        )
        .where(col(TimeEntry.engagement_id).in_(scope), col(TimeEntry.day) <= day)
        .group_by(col(TimeEntry.engagement_id), col(TimeEntry.day), col(TimeEntry.user_id))
    )
    efforts: dict[int, list[DayEffort]] = defaultdict(list)
    for engagement_id, day, user_id, minutes, billed in rows:
        efforts[engagement_id].append(DayEffort(day, user_id, int(minutes), int(billed or 0)))
    workers = select(TimeEntry.user_id).where(col(TimeEntry.engagement_id).in_(scope)).distinct()
    rates = Rates(
        (
            await session.exec(
                select(col(CostRate.user_id), col(CostRate.valid_from), col(CostRate.hourly_cost)).where(
                    col(CostRate.user_id).in_(workers)
                )
            )
        ).all()
    )
    names = dict((await session.exec(select(User.id, User.full_name).where(col(User.id).in_(workers)))).all())
    return {e.id: compute(terms_of(e), efforts.get(e.id, []), rates, names, day) for e in engagements}


def as_seen_by(burn: Burn, user: Actor) -> Burn:
    """Admins see what each consultant's time cost; the team sees hours per person (cost and
    hours together would tell a colleague's rate, which only admins read)."""
    if getattr(user, "role", None) == Role.admin:
        return burn
    return burn.model_copy(update={"consultants": [c.model_copy(update={"cost": None}) for c in burn.consultants]})


async def engagement_burn(session: AsyncSession, engagement: Engagement, today: date | None = None) -> Burn:
    return (await burns(session, [engagement], today=today))[engagement.id]
