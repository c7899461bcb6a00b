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
from backend.kernel.enums import Role
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
        raise _refused("nothing was recorded", errors)
    return created


async def import_csv(session: AsyncSession, user: Actor, text: str) -> list[TimeEntry]:
    """A German Excel CSV (see csv_io) as entries, all or none. Each refusal names its line and
    the file's column: first every cell that cannot be read, then every line checked as an
    entry. A consultant named by e-mail ("Berater") must be on the team (and be you, unless you
    are an admin); a line of an export whose entry still exists ("Eintrag") is refused, so a
    file imported twice records nothing twice."""
    try:
        lines = csv_io.parse(text)
    except csv_io.CsvError as exc:
        cells = [_cell(e["line"], e["column"], e["message"]) for e in exc.errors]
        raise _refused("the file could not be read", cells) from None
    emails = {line.values["user_email"] for line in lines if "user_email" in line.values}
    people = (
        dict((await session.exec(select(User.email, User.id).where(col(User.email).in_(emails)))).all())
        if emails
        else {}
    )
    ids = {line.values["entry_id"] for line in lines if line.values.get("entry_id") is not None}
    existing = set((await session.exec(select(TimeEntry.id).where(col(TimeEntry.id).in_(ids)))).all()) if ids else set()
    errors: list[dict[str, Any]] = []
    bodies: list[tuple[str, dict[str, Any]]] = []
    for line in lines:
        fields = dict(line.values)
        email, entry_id = fields.pop("user_email", None), fields.pop("entry_id", None)
        if entry_id in existing:
            errors.append(
                _cell(
                    line.number, "Eintrag", f"already recorded as entry {entry_id}: empty the cell to record it again"
                )
            )
            continue
        if email is not None:
            if email not in people:
                errors.append(_cell(line.number, "Berater", f"no user has the address {email}"))
                continue
            fields["user_id"] = people[email]
        bodies.append((f"line {line.number}", fields))
    try:
        created = await record_many(session, user, bodies)
    except Invalid as exc:
        errors += [_in_file(e) for e in exc.errors or []]
    if errors:
        raise _refused("nothing was recorded", sorted(errors, key=lambda e: (e["line"], e["column"] or "")))
    return created


def _cell(line: int, column: str | None, message: str) -> dict[str, Any]:
    return {
        "path": f"line {line}" + (f".{column}" if column else ""),
        "line": line,
        "column": column,
        "message": message,
    }


def _in_file(error: dict[str, Any]) -> dict[str, Any]:
    """An entry's refusal ("line 4.minutes") in the file's terms ("line 4.Stunden", in hours)."""
    where, _, field = str(error["path"]).partition(".")
    line = int(where.removeprefix("line "))
    message = str(error["message"])
    column = csv_io.COLUMN_OF.get(field.split(".")[0]) if field else None
    if column is None and "minutes" in message:
        column = "Stunden"
    if column == "Stunden":
        message = message.replace("1440", "24 hours (1440 minutes)")
    return _cell(line, column, message)


def _refused(what: str, errors: list[dict[str, Any]]) -> Invalid:
    shown = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return Invalid(f"{what}: {shown}{more}", errors=errors)


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
