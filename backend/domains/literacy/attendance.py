"""Who was at a workshop: self check-in by the link shown in the room, and the team's own list.

The room link names the workshop, the start it was made for and its end of validity, signed
(kernel/signing.py): a forged or altered link is refused before any lookup, an expired one or
one for a workshop since moved is refused by its numbers. One check-in per participant and
workshop is a unique key; each attendance issues its one feedback ballot (literacy/feedback.py)
in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, field_validator
from sqlalchemy import ColumnElement, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.engagements.service import client_id_of
from backend.domains.literacy.feedback import issue_ballot
from backend.domains.literacy.models import (
    ATTENDED,
    Attendance,
    AttendanceRead,
    AttendanceSource,
    AttendanceStatus,
    Participant,
)
from backend.domains.workshops.models import Workshop
from backend.kernel.db import add_unless_taken, serialize, utcnow
from backend.kernel.errors import Conflict, Gone, Invalid, NotFound
from backend.kernel.schema import Strict, trimmed
from backend.kernel.signing import sign, verify

CHECK_IN = "check-in"
# Check-in opens this long before the start; after this long past it, arrivals count as late.
OPENS_BEFORE = timedelta(minutes=60)
LATE_AFTER = timedelta(minutes=15)
# How long after the end a room link may be made to work (a feedback round the next morning).
LONGEST_AFTER_END = timedelta(hours=24)
# Walk-ins a room link may add as new participants: a leaked link cannot fill the client's list.
MAX_WALK_INS = 200
MAX_ENTRIES = 500


def planned_minutes(workshop: Workshop) -> int:
    if workshop.duration_minutes:
        return workshop.duration_minutes
    return max(1, int((workshop.ends_at - workshop.starts_at).total_seconds() // 60))


def attended_minutes(workshop: Workshop, row: Attendance) -> int:
    if row.status == AttendanceStatus.absent:
        return 0
    full = planned_minutes(workshop)
    return full if row.minutes is None else min(row.minutes, full)


# -- the room link ------------------------------------------------------------------------------


def room_link_until(workshop: Workshop, minutes_after_end: int) -> datetime:
    return workshop.ends_at + min(timedelta(minutes=minutes_after_end), LONGEST_AFTER_END)


def room_token(secret: str, workshop: Workshop, until: datetime) -> str:
    return sign(secret, CHECK_IN, workshop.id or 0, int(workshop.starts_at.timestamp()), int(until.timestamp()))


async def workshop_of_room_token(session: AsyncSession, secret: str, token: str, now: datetime) -> Workshop:
    """The workshop a room link admits to now, else a refusal that says why."""
    numbers = verify(secret, CHECK_IN, token, 3)
    if numbers is None:
        raise NotFound("this check-in link is not valid", key="checkin_invalid")
    workshop_id, starts, until = numbers
    workshop = await session.get(Workshop, workshop_id)
    if workshop is None or int(workshop.starts_at.timestamp()) != starts:
        raise Gone("this check-in link is for a workshop that was moved or removed", key="checkin_moved")
    if now.timestamp() > until:
        raise Gone("this check-in link has expired", key="checkin_expired")
    if now < workshop.starts_at - OPENS_BEFORE:
        raise Conflict("check-in opens an hour before the workshop starts", key="checkin_not_yet")
    return workshop


# -- checking in -------------------------------------------------------------------------------


class CheckIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=100)

    _name = field_validator("name")(trimmed)


@dataclass(frozen=True)
class CheckedIn:
    participant: Participant
    attendance: Attendance
    new: bool  # False: this person had been checked in already


def _same_name(name: str) -> ColumnElement[bool]:
    return func.lower(Participant.name) == name.lower()


async def _participant_named(session: AsyncSession, client_id: int, workshop: Workshop, data: CheckIn) -> Participant:
    """The client's participant of that name (and department, where names repeat), else a new one."""
    found = list(
        (
            await session.exec(
                select(Participant)
                .where(Participant.client_id == client_id, _same_name(data.name))
                .order_by(col(Participant.id))
            )
        ).all()
    )
    if len(found) > 1 and data.department:
        found = [p for p in found if (p.department or "").lower() == data.department.strip().lower()] or found
    if len(found) > 1:
        raise Conflict(
            "more than one person of this name works here: name your department, or ask the trainer",
            key="checkin_ambiguous",
        )
    if found:
        return found[0]
    walk_ins = (
        await session.exec(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.workshop_id == workshop.id, Attendance.source == AttendanceSource.self_check_in)
        )
    ).one()
    if walk_ins >= MAX_WALK_INS:
        raise Conflict("this workshop takes no more check-ins by link: ask the trainer", key="checkin_full")
    person = Participant(client_id=client_id, name=data.name, department=(data.department or "").strip() or None)
    session.add(person)
    await session.flush()
    return person


async def check_in(
    session: AsyncSession, workshop: Workshop, data: CheckIn, *, now: datetime, secret_key: str
) -> CheckedIn:
    """Record the arrival of the person who typed this name, once: a second check-in (a double
    tap, a replayed form) finds the first and changes nothing."""
    client_id = await client_id_of(session, workshop.engagement_id)
    if client_id is None:
        raise NotFound("this check-in link is not valid", key="checkin_invalid")
    # Two phones typing the same new name at once make one participant, not two.
    await serialize(session, Participant, f"check-in:{client_id}")
    person = await _participant_named(session, client_id, workshop, data)
    late = now > workshop.starts_at + LATE_AFTER
    minutes = None
    if late:
        missed = int((min(now, workshop.ends_at) - workshop.starts_at).total_seconds() // 60)
        minutes = max(0, planned_minutes(workshop) - missed)
    row = await add_unless_taken(
        session,
        Attendance(
            workshop_id=workshop.id,
            participant_id=person.id,
            status=AttendanceStatus.late if late else AttendanceStatus.present,
            minutes=minutes,
            checked_in_at=now,
            source=AttendanceSource.self_check_in,
        ),
    )
    if row is None:
        existing = (
            await session.exec(
                select(Attendance).where(Attendance.workshop_id == workshop.id, Attendance.participant_id == person.id)
            )
        ).one()
        if existing.status == AttendanceStatus.absent:
            # Marked absent beforehand (an apology), yet here: the arrival counts.
            status = AttendanceStatus.late if late else AttendanceStatus.present
            await _set(session, existing, secret_key, status=status, minutes=minutes, checked_in_at=now)
            return CheckedIn(person, existing, True)
        return CheckedIn(person, existing, False)
    await issue_ballot(session, row, secret_key)
    return CheckedIn(person, row, True)


# -- the team's list ---------------------------------------------------------------------------


class AttendanceEntry(Strict):
    participant_id: int = Field(ge=1)
    status: AttendanceStatus
    minutes: int | None = Field(default=None, ge=0, le=24 * 60, description="Minutes attended; needed when partial")


class AttendanceWrite(Strict):
    entries: list[AttendanceEntry] = Field(min_length=1, max_length=MAX_ENTRIES)

    @field_validator("entries")
    @classmethod
    def _once_each(cls, entries: list[AttendanceEntry]) -> list[AttendanceEntry]:
        ids = [e.participant_id for e in entries]
        if len(set(ids)) != len(ids):
            raise ValueError("each participant appears once")
        return entries


def _minutes_of(workshop: Workshop, entry: AttendanceEntry, index: int) -> int | None:
    full = planned_minutes(workshop)
    path = f"body.entries[{index}].minutes"
    if entry.status == AttendanceStatus.partial:
        if entry.minutes is None or not 1 <= entry.minutes < full:
            raise Invalid.field(path, f"partial attendance names the minutes attended, 1 to {full - 1}")
        return entry.minutes
    if entry.status == AttendanceStatus.late:
        if entry.minutes is not None and not 1 <= entry.minutes <= full:
            raise Invalid.field(path, f"late attendance is 1 to {full} minutes")
        return entry.minutes
    if entry.minutes is not None:
        raise Invalid.field(path, "minutes are given for late or partial attendance only")
    return None


async def _set(session: AsyncSession, row: Attendance, secret_key: str, **values: object) -> None:
    await session.exec(
        update(Attendance)
        .where(col(Attendance.id) == row.id)
        .values(**values, version=Attendance.version + 1, updated_at=utcnow())
    )
    for key, value in values.items():
        setattr(row, key, value)
    if row.status in ATTENDED:
        await issue_ballot(session, row, secret_key)


async def record_attendance(
    session: AsyncSession, user: Actor, workshop: Workshop, data: AttendanceWrite, *, secret_key: str
) -> list[AttendanceRead]:
    """The team's list for a workshop: each named participant's status set (a check-in by link
    corrected, too), everyone else left as they are."""
    client_id = await client_id_of(session, workshop.engagement_id)
    wanted = [e.participant_id for e in data.entries]
    owners = dict(
        (await session.exec(select(Participant.id, Participant.client_id).where(col(Participant.id).in_(wanted)))).all()
    )
    for index, entry in enumerate(data.entries):
        if owners.get(entry.participant_id) != client_id:
            raise Invalid.field(
                f"body.entries[{index}].participant_id",
                f"participant {entry.participant_id} is not one of this client's participants",
            )
    minutes = [_minutes_of(workshop, entry, i) for i, entry in enumerate(data.entries)]
    current = {
        row.participant_id: row
        for row in (
            await session.exec(
                select(Attendance).where(
                    Attendance.workshop_id == workshop.id, col(Attendance.participant_id).in_(wanted)
                )
            )
        ).all()
    }
    for entry, given in zip(data.entries, minutes, strict=True):
        row = current.get(entry.participant_id)
        if row is None:
            row = await add_unless_taken(
                session,
                Attendance(
                    workshop_id=workshop.id,
                    participant_id=entry.participant_id,
                    status=entry.status,
                    minutes=given,
                    source=AttendanceSource.team,
                    recorded_by=user.id if user else None,
                ),
            )
            if row is None:  # checked in by link a moment ago: the team's word stands
                row = (
                    await session.exec(
                        select(Attendance).where(
                            Attendance.workshop_id == workshop.id, Attendance.participant_id == entry.participant_id
                        )
                    )
                ).one()
            elif row.status in ATTENDED:
                await issue_ballot(session, row, secret_key)
                continue
        if (row.status, row.minutes) != (entry.status, given):
            await _set(
                session, row, secret_key, status=entry.status, minutes=given, recorded_by=user.id if user else None
            )
    return await attendance_of(session, workshop)


_READ_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "version",
    "workshop_id",
    "participant_id",
    "status",
    "checked_in_at",
    "source",
)


async def attendance_of(session: AsyncSession, workshop: Workshop) -> list[AttendanceRead]:
    rows = (
        await session.exec(
            select(Attendance, Participant.name)
            .join(Participant, col(Participant.id) == Attendance.participant_id)
            .where(Attendance.workshop_id == workshop.id)
            .order_by(col(Participant.name), col(Participant.id))
        )
    ).all()
    return [
        AttendanceRead.model_validate(
            {c: getattr(row, c) for c in _READ_FIELDS}
            | {"participant_name": name, "minutes": attended_minutes(workshop, row)}
        )
        for row, name in rows
    ]
