"""Reading effort: engagements' burn from their time entries, in a fixed number of statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, case
from sqlalchemy import select as sa_select
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.engagements.models import Engagement, PricingModel
from backend.domains.timesheets import csv_io
from backend.domains.timesheets.burn import Burn, DayEffort, Rates, Terms, compute
from backend.domains.timesheets.models import CostRate, TimeEntry, TimeEntryCreate
from backend.domains.timesheets.resources import time_entry_service
from backend.kernel.errors import DomainError, Invalid, pydantic_errors
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
    """Each engagement's burn, in four statements however many engagements and entries there are:
    the minutes per engagement, day and consultant, then the cost rates and names of the people
    who worked. `among`: the engagements as a subquery of ids, for lists that grow (bound values
    would grow with them; PostgreSQL takes at most 32,767 in one statement)."""
    if not engagements:
        return {}
    scope: Any = among if among is not None else [e.id for e in engagements]
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
        .where(col(TimeEntry.engagement_id).in_(scope))
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
    day = today or berlin_today()
    return {e.id: compute(terms_of(e), efforts.get(e.id, []), rates, names, day) for e in engagements}


async def engagement_burn(session: AsyncSession, engagement: Engagement, today: date | None = None) -> Burn:
    return (await burns(session, [engagement], today=today))[engagement.id]


async def record_many(
    session: AsyncSession, user: Actor, bodies: Sequence[tuple[str, dict[str, Any]]]
) -> list[TimeEntry]:
    """Create every entry or none: each (where, fields) is checked as a single entry would be,
    and every refusal is reported with `where` (`body.entries[3]`, `line 7`) before anything is
    kept (the caller's transaction rolls back on the error)."""
    created: list[TimeEntry] = []
    errors: list[dict[str, Any]] = []
    for where, fields in bodies:
        try:
            body = TimeEntryCreate.model_validate(fields)
        except ValidationError as exc:
            errors += [{**e, "path": e["path"].replace("body", where, 1)} for e in pydantic_errors(exc)]
            continue
        try:
            created.append(await time_entry_service.create(session, user, body))
        except DomainError as exc:
            found = exc.errors or [{"path": "body", "message": exc.detail}]
            errors += [{**e, "path": str(e.get("path", "body")).replace("body", where, 1)} for e in found]
    if errors:
        shown = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise Invalid(f"nothing was recorded: {shown}{more}", errors=errors)
    return created


async def import_csv(session: AsyncSession, user: Actor, text: str) -> list[TimeEntry]:
    """A German Excel CSV (see csv_io) as entries, all or none; a consultant named by e-mail in
    the "Berater" column must be on the team (and be you, unless you are an admin)."""
    try:
        lines = csv_io.parse(text)
    except csv_io.CsvError as exc:
        errors = [{"path": f"line {e['line']}" + (f".{e['column']}" if e["column"] else ""), **e} for e in exc.errors]
        raise Invalid(
            f"the file could not be read: {errors[0]['path']}: {errors[0]['message']}", errors=errors
        ) from None
    emails = {line.values["user_email"] for line in lines if "user_email" in line.values}
    people = (
        dict((await session.exec(select(User.email, User.id).where(col(User.email).in_(emails)))).all())
        if emails
        else {}
    )
    bodies: list[tuple[str, dict[str, Any]]] = []
    unknown: list[dict[str, Any]] = []
    for line in lines:
        fields = dict(line.values)
        email = fields.pop("user_email", None)
        if email is not None:
            if email not in people:
                unknown.append({"path": f"line {line.number}.Berater", "message": f"no user has the address {email}"})
                continue
            fields["user_id"] = people[email]
        bodies.append((f"line {line.number}", fields))
    if unknown:
        raise Invalid(f"nothing was recorded: {unknown[0]['path']}: {unknown[0]['message']}", errors=unknown)
    return await record_many(session, user, bodies)


async def export_csv(session: AsyncSession, entries: Sequence[TimeEntry]) -> str:
    people = {e.user_id for e in entries}
    emails = (
        dict((await session.exec(select(User.id, User.email).where(col(User.id).in_(people)))).all()) if people else {}
    )
    return csv_io.export(entries, emails)


async def entries_between(
    session: AsyncSession,
    *,
    engagement_id: int | None = None,
    user_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[TimeEntry]:
    """Entries by day (then as recorded), for an export or a statement."""
    stmt = select(TimeEntry).order_by(col(TimeEntry.day), col(TimeEntry.id))
    if engagement_id is not None:
        stmt = stmt.where(TimeEntry.engagement_id == engagement_id)
    if user_id is not None:
        stmt = stmt.where(TimeEntry.user_id == user_id)
    if start is not None:
        stmt = stmt.where(TimeEntry.day >= start)
    if end is not None:
        stmt = stmt.where(TimeEntry.day <= end)
    return list((await session.exec(stmt)).all())
