"""What a time statement states, and the lock the client's approval puts on it.

A statement holds the billable time of a period that no client has approved yet: time approved
in an earlier statement is billed evidence and is not stated twice, and a correction recorded
later appears in the next statement of its period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, tuple_, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.deliverables.models import Deliverable
from backend.domains.pilots.models import Pilot
from backend.domains.timesheets.models import LockReason, TimeEntry
from backend.domains.workshops.models import Workshop
from backend.kernel.db import hold_where, select_all, utcnow
from backend.kernel.errors import Conflict

# Entries per UPDATE when locking: two parameters each, well under every database's limit.
_CHUNK = 500


@dataclass(frozen=True)
class Activity:
    """What an entry's time went into: a workshop, pilot or deliverable, or none of them."""

    kind: str | None
    title: str | None


@dataclass(frozen=True)
class StatedEntry:
    entry: TimeEntry
    consultant: str
    activity: Activity


def _unapproved(engagement_id: int, start: date, end: date) -> ColumnElement[bool]:
    return and_(
        col(TimeEntry.engagement_id) == engagement_id,
        col(TimeEntry.billable).is_(True),
        col(TimeEntry.day) >= start,
        col(TimeEntry.day) <= end,
        col(TimeEntry.locked_at).is_(None),
    )


async def awaiting_approval(session: AsyncSession, engagement_id: int, start: date, end: date) -> int:
    """How many entries a statement of the period would state now."""
    return int((await session.exec(select(func.count()).where(_unapproved(engagement_id, start, end)))).one())


async def to_state(session: AsyncSession, engagement_id: int, start: date, end: date) -> list[StatedEntry]:
    """The billable, not yet approved entries of an engagement from `start` to `end` (both
    included), by day, with who recorded them and what they went into (five statements)."""
    entries = await select_all(
        session, TimeEntry, _unapproved(engagement_id, start, end), order_by=[TimeEntry.day, TimeEntry.id]
    )
    if not entries:
        return []
    names = dict(
        (
            await session.exec(select(User.id, User.full_name).where(col(User.id).in_({e.user_id for e in entries})))
        ).all()
    )
    titles: dict[tuple[str, int], str] = {}
    for kind, model in (("workshop", Workshop), ("pilot", Pilot), ("deliverable", Deliverable)):
        ids = {getattr(e, f"{kind}_id") for e in entries} - {None}
        if ids:
            rows = await session.exec(select(model.id, model.title).where(col(model.id).in_(ids)))
            titles |= {(kind, row_id): title for row_id, title in rows.all()}
    return [StatedEntry(e, names.get(e.user_id, ""), _activity(e, titles)) for e in entries]


def _activity(entry: TimeEntry, titles: dict[tuple[str, int], str]) -> Activity:
    for kind in ("workshop", "pilot", "deliverable"):
        linked = getattr(entry, f"{kind}_id")
        if linked is not None:
            return Activity(kind, titles.get((kind, linked)))
    return Activity(None, None)


async def approve(session: AsyncSession, held: list[tuple[int, int]], statement_id: int, at: datetime) -> bool:
    """Locks the entries a statement holds, each only at the version it states and only if no
    other statement or invoice locked it meanwhile: the condition is in the UPDATE, so an edit or
    an approval at the same moment makes this return False (the caller then undoes everything)."""
    locked = 0
    for i in range(0, len(held), _CHUNK):
        chunk = held[i : i + _CHUNK]
        done = await session.exec(
            update(TimeEntry)
            .where(
                tuple_(col(TimeEntry.id), col(TimeEntry.version)).in_(chunk),
                col(TimeEntry.locked_at).is_(None),
            )
            .values(
                locked_at=at,
                lock_reason=LockReason.approved,
                statement_id=statement_id,
                version=TimeEntry.version + 1,
                updated_at=utcnow(),
            )
        )
        locked += done.rowcount
    return locked == len(held)


# What a time entry points to, by the resource that owns it.
_KEEPS = {
    "engagements": TimeEntry.engagement_id,
    "workshops": TimeEntry.workshop_id,
    "pilots": TimeEntry.pilot_id,
    "deliverables": TimeEntry.deliverable_id,
}


async def keep_approved_time(session: AsyncSession, resource: str, row: Any) -> None:
    """Time the client approved (or that was invoiced) is evidence: the engagement it was spent
    on, and the workshop, pilot or deliverable it went into, are not deleted under it."""
    column = _KEEPS.get(resource)
    if column is None:
        return
    # Its entries are held first: an approval locking them at this moment is seen, not missed.
    await hold_where(session, TimeEntry, col(column) == row.id)
    locked = await session.exec(
        select(func.count()).where(col(column) == row.id, col(TimeEntry.locked_at).is_not(None))
    )
    if (count := int(locked.one())) > 0:
        raise Conflict(
            f"{count} time entries the client approved or that were invoiced belong to it: it cannot be deleted.",
            key="refused_approved_time",
            n=count,
        )
