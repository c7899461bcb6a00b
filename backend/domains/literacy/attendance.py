"""Who was at a workshop: self check-in by the link shown in the room, and the team's own list.

The room link names the workshop, the start it was made for and its end of validity, signed
(kernel/signing.py): a forged or altered link is refused before any lookup, an expired one or
one for a workshop since moved is refused by its numbers. One check-in per participant and
workshop is a unique key; each attendance issues its one feedback ballot (literacy/feedback.py)
in the same transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import Field, field_validator
from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.principals import Actor
from backend.domains.engagements.service import client_id_of
from backend.domains.literacy.feedback import issue_ballot, withdraw_ballot
from backend.domains.literacy.models import (
    ATTENDED,
    Attendance,
    AttendanceRead,
    AttendanceSource,
    AttendanceStatus,
    Participant,
    person_text,
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


def room_link_until(workshop: Workshop) -> datetime:
    """Check-in closes when the workshop ends: an arrival after it is no attendance."""
    return workshop.ends_at


def room_path(secret: str, workshop: Workshop) -> str:
    """The room link's path: `/c/<workshop>.<start>.<until>.<hmac>`, valid until the end."""
    numbers = (workshop.id or 0, int(workshop.starts_at.timestamp()), int(room_link_until(workshop).timestamp()))
    return f"/c/{sign(secret, CHECK_IN, *numbers)}"


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
    _printed = field_validator("name", "department")(person_text)


@dataclass(frozen=True)
class CheckedIn:
    participant: Participant
    attendance: Attendance
    new: bool  # False: this person had been checked in already


def same_person_name(name: str) -> str:
    """How two typed names are compared: case and accents folded (ÖZLEM YILDIZ, Özlem Yıldız,
    Ozlem Yildiz: a phone keyboard may lack the letter), spaces collapsed. In Python, not SQL:
    SQLite's lower() folds ASCII only. Two people it takes for one are told apart by department."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return " ".join(bare.casefold().replace("ı", "i").split())


async def _participant_named(session: AsyncSession, client_id: int, workshop: Workshop, data: CheckIn) -> Participant:
    """The client's participant of that name (and department, where names repeat), else a new one."""
    wanted = same_person_name(data.name)
    people = await session.exec(
        select(Participant).where(Participant.client_id == client_id).order_by(col(Participant.id))
    )
    found = [p for p in people.all() if same_person_name(p.name) == wanted]
    if len(found) > 1:
        department = same_person_name(data.department or "")
        found = [p for p in found if department and same_person_name(p.department or "") == department]
        if len(found) != 1:
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
    person = Participant(client_id=client_id, name=data.name, department=data.department or None)
    session.add(person)
    await session.flush()
    return person


async def check_in(
    session: AsyncSession, workshop: Workshop, data: CheckIn, *, now: datetime, secret_key: str
) -> CheckedIn:
    """Record the arrival of the person who typed this name, once. A second check-in (a double
    tap, a replayed form) changes nothing, nor does one for a person the team's list already
    names (the trainer's word stands): neither gets a feedback link, so typing a colleague's
    name never hands over their ballot."""
    if now >= workshop.ends_at:
        raise Gone("the workshop is over: check-in has closed", key="checkin_over")
    client_id = await client_id_of(session, workshop.engagement_id)
    if client_id is None:
        raise NotFound("this check-in link is not valid", key="checkin_invalid")
    # Two phones typing the same new name at once make one participant, not two.
    await serialize(session, Participant, f"check-in:{client_id}")
    person = await _participant_named(session, client_id, workshop, data)
    late = now > workshop.starts_at + LATE_AFTER
    minutes = None
    if late:
        missed = int((now - workshop.starts_at).total_seconds() // 60)
        minutes = max(1, planned_minutes(workshop) - missed)
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
    else:
        # Not there after all: the ballot goes too, if still unused (an answer given stays, as
        # nothing ties it to the person).
        await withdraw_ballot(session, row, secret_key)


async def record_attendance(
    session: AsyncSession, user: Actor, workshop: Workshop, data: AttendanceWrite, *, secret_key: str, now: datetime
) -> list[AttendanceRead]:
    """The team's list for a workshop: each named participant's status set (a check-in by link
    corrected, too), everyone else left as they are. Before the workshop begins only absences
    (apologies) are taken."""
    if now < workshop.starts_at - OPENS_BEFORE and any(e.status in ATTENDED for e in data.entries):
        raise Conflict(
            "attendance is recorded once the workshop begins; before it only absences", key="attendance_early"
        )
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
            else:
                await _audit(session, user, row, None)
                if row.status in ATTENDED:
                    await issue_ballot(session, row, secret_key)
                continue
        if (row.status, row.minutes) != (entry.status, given):
            before = _said(row)
            await _set(
                session, row, secret_key, status=entry.status, minutes=given, recorded_by=user.id if user else None
            )
            await _audit(session, user, row, before)
    return await attendance_of(session, workshop)


def _said(row: Attendance) -> dict[str, object]:
    return {"workshop_id": row.workshop_id, "participant_id": row.participant_id, "status": str(row.status),
            "minutes": row.minutes}  # fmt: skip


async def _audit(session: AsyncSession, user: Actor, row: Attendance, before: dict[str, object] | None) -> None:
    """Who set whom present or absent: a correction can withdraw or reinstate a certificate."""
    await record(
        session, actor=user, action="update" if before else "create", entity_type="attendance",
        entity_id=row.id, before=before, after=_said(row),
    )  # fmt: skip


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
