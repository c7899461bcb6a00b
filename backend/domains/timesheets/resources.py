"""How the API sees time entries and cost rates."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import STAFF, CrudService, Resource
from backend.domains.deliverables.models import Deliverable
from backend.domains.pilots.models import Pilot
from backend.domains.timesheets.alerts import after_time_written
from backend.domains.timesheets.models import (
    MINUTES_PER_DAY,
    CostRate,
    CostRateCreate,
    CostRateRead,
    CostRateUpdate,
    TimeEntry,
    TimeEntryCreate,
    TimeEntryRead,
    TimeEntryUpdate,
)
from backend.domains.workshops.models import Workshop
from backend.kernel.db import hold, serialize
from backend.kernel.enums import Role
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.time import today

LINKS = {"workshop_id": Workshop, "pilot_id": Pilot, "deliverable_id": Deliverable}
CORRECTION_FIELDS = frozenset({"minutes", "engagement_id", "day", "billable"})


def _locked(row: TimeEntry) -> str | None:
    if row.locked_at is None:
        return None
    why = "the client approved it" if row.lock_reason == "approved" else "it was invoiced"
    original = row.corrects_id or row.id
    return (
        f"time entry {row.id} is locked ({why}): record a correction instead, "
        f'a new entry with "corrects_id": {original} and the difference in minutes'
    )


async def _checked(session: AsyncSession, values: dict[str, Any], row: TimeEntry | None) -> dict[str, Any]:
    merged = ({k: getattr(row, k) for k in TimeEntryRead.model_fields if hasattr(row, k)} if row else {}) | values
    if "day" in values and values["day"] > today():
        raise Invalid.field("body.day", "time is recorded for today or earlier, not ahead", key="day_ahead")
    engagement_id = merged["engagement_id"]
    for name, model in LINKS.items():
        linked = merged.get(name)
        if linked is not None and (name in values or "engagement_id" in values):
            owner = (await session.exec(select(model.engagement_id).where(model.id == linked))).first()  # type: ignore[attr-defined]
            if owner != engagement_id:
                what = name.removesuffix("_id")
                raise Invalid.field(
                    f"body.{name}", f"{what} {linked} belongs to another engagement, not to {engagement_id}"
                )
    if merged.get("corrects_id") is not None and (row is None or (CORRECTION_FIELDS | LINKS.keys()) & values.keys()):
        values |= await _correction(session, merged, replacing=row)
    # A correction counts toward its day as any entry does.
    if row is None or {"minutes", "day"} & values.keys():
        await _within_a_day(session, merged, replacing=row)
    return values


async def _within_a_day(session: AsyncSession, entry: dict[str, Any], replacing: TimeEntry | None) -> None:
    """Nobody works more than 24 hours a day, over all engagements."""
    recorded = await _day_without(session, entry["user_id"], entry["day"], replacing)
    if recorded + entry["minutes"] > MINUTES_PER_DAY:
        raise Invalid.field(
            "body.minutes",
            f"{recorded} minutes are recorded for this person on {entry['day']}: {entry['minutes']} more "
            f"would make {recorded + entry['minutes']}, and a day has {MINUTES_PER_DAY}",
        )


async def _day_without(session: AsyncSession, user_id: int, day: date, left_out: TimeEntry | None) -> int:
    """The minutes of one person's day (leaving one entry out). One person's entries are checked
    one after the other: two at the same moment would each see the day without the other."""
    await serialize(session, TimeEntry, f"time-entries:{user_id}")
    same_day = (col(TimeEntry.user_id) == user_id) & (col(TimeEntry.day) == day)
    if left_out is not None:
        same_day = same_day & (col(TimeEntry.id) != left_out.id)
    return int((await session.exec(select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(same_day))).one())


async def _correction(
    session: AsyncSession, entry: dict[str, Any], replacing: TimeEntry | None = None
) -> dict[str, Any]:
    """A correction names a locked original of the same consultant and engagement, goes into
    what the original went into, and leaves the original with its corrections at zero minutes or
    more (`replacing`: the correction as it stood, when it is being changed). Returns the
    original's link, for a correction that names none."""
    original = await session.get(TimeEntry, entry["corrects_id"])
    path = "body.corrects_id"
    if original is None:
        raise Invalid.field(path, f"time entry {entry['corrects_id']} does not exist")
    if original.corrects_id is not None:
        raise Invalid.field(path, f"time entry {original.id} is itself a correction: correct {original.corrects_id}")
    if original.locked_at is None:
        raise Invalid.field(path, f"time entry {original.id} is not locked: change it directly")
    if (original.user_id, original.engagement_id) != (entry["user_id"], entry["engagement_id"]):
        raise Invalid.field(path, f"a correction keeps the consultant and engagement of time entry {original.id}")
    # It counts where the time it corrects counted: on that day (that day's cost rate) and as
    # billable as that time was.
    for name in ("day", "billable"):
        if entry[name] != getattr(original, name):
            shown = getattr(original, name)
            raise Invalid.field(
                f"body.{name}", f"a correction of time entry {original.id} has its {name}: {str(shown).lower()}"
            )
    # It is stated under the activity of the time it corrects.
    links = {name: getattr(original, name) for name in LINKS}
    named = {name: entry.get(name) for name in LINKS if entry.get(name) is not None}
    if named and any(links[name] != linked for name, linked in named.items()):
        what = next(iter(named)).removesuffix("_id")
        raise Invalid.field(
            f"body.{next(iter(named))}", f"a correction of time entry {original.id} keeps its {what} link"
        )
    await _hold(session, original.id)
    corrected = await _standing(session, original.id, without=replacing.id if replacing else None)
    if corrected + entry["minutes"] < 0:
        raise Invalid.field(
            "body.minutes", f"time entry {original.id} stands at {corrected} minutes: it cannot go below zero"
        )
    return links


async def _hold(session: AsyncSession, original_id: int) -> None:
    """Changes to one entry's corrections one after the other, so two at once cannot together
    take it below zero: the sum read next sees the other one committed."""
    await hold(session, TimeEntry, [original_id])


async def _standing(session: AsyncSession, original_id: int, without: int | None = None) -> int:
    """Minutes of an entry with its corrections (leaving one correction out)."""
    family = (col(TimeEntry.id) == original_id) | (col(TimeEntry.corrects_id) == original_id)
    if without is not None:
        family = family & (col(TimeEntry.id) != without)
    return int((await session.exec(select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(family))).one())


async def _keep_above_zero(session: AsyncSession, row: TimeEntry, user: Any) -> None:
    """Deleting a correction must not leave its original below zero (a +60 under a −120), nor,
    taking time off back, its day above 24 hours."""
    if row.corrects_id is None:
        return
    await _hold(session, row.corrects_id)
    if (left := await _standing(session, row.corrects_id, without=row.id)) < 0:
        raise Conflict(f"without this correction, time entry {row.corrects_id} would stand at {left} minutes")
    if row.minutes < 0 and (day := await _day_without(session, row.user_id, row.day, row)) > MINUTES_PER_DAY:
        raise Conflict(f"without this correction, {row.day} would hold {day} minutes of this person's time")


time_entries = Resource(
    name="time-entries",
    entity="time_entry",
    model=TimeEntry,
    read=TimeEntryRead,
    create=TimeEntryCreate,
    update=TimeEntryUpdate,
    filters={
        "engagement_id": (int, TimeEntry.engagement_id),
        "user_id": (int, TimeEntry.user_id),
        "day": (date, TimeEntry.day),
        "billable": (bool, TimeEntry.billable),
        "corrects_id": (int, TimeEntry.corrects_id),
    },
    sortable=("id", "day", "minutes", "created_at"),
    default_sort="-day",
    # Effort is the consultancy's own: a client sees it only in a time statement released to them.
    read_roles=STAFF,
    owner_field="user_id",
    edit_guard=_locked,
    prepare=_checked,
    on_delete=_keep_above_zero,
    after_write=after_time_written,
    example={
        "engagement_id": 1,
        "day": "2026-11-24",
        "minutes": 180,
        "description": "Use-Case-Workshop vorbereitet und moderiert",
        "billable": True,
        "workshop_id": 1,
    },
)

cost_rates = Resource(
    name="cost-rates",
    entity="cost_rate",
    model=CostRate,
    read=CostRateRead,
    create=CostRateCreate,
    update=CostRateUpdate,
    filters={"user_id": (int, CostRate.user_id)},
    sortable=("id", "valid_from", "created_at"),
    default_sort="-valid_from",
    # What a colleague costs the firm is for admins only.
    read_roles=frozenset({Role.admin}),
    write_roles=frozenset({Role.admin}),
    example={"user_id": 2, "valid_from": "2026-01-01", "hourly_cost": "85.00"},
)

time_entry_service = CrudService(time_entries)
cost_rate_service = CrudService(cost_rates)
