"""A client's AI-literacy register (EU AI Act Art. 4): who was trained on what, when, with which
material; the AI guideline's acknowledgements; and the coverage the client can show — the share
of each AI system's named users with current tool-specific training — and who is due.

Counting rules (docs/literacy.md): a person's literacy training is current when they attended
(present, late or in part) a workshop with named topics within the refresh interval; their
tool training for a system is current when such a workshop was tool-specific for that system,
within the system's own interval if it has one. A person never trained is due at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import Client
from backend.domains.deliverables.models import Deliverable
from backend.domains.engagements.models import Engagement
from backend.domains.literacy.attendance import attended_minutes
from backend.domains.literacy.models import (
    ATTENDED,
    AISystem,
    AISystemUser,
    Attendance,
    GuidelineAcknowledgement,
    Participant,
)
from backend.domains.workshops.models import Topic, Workshop
from backend.flows.literacy.models import Certificate
from backend.kernel.time import BERLIN


def months_after(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class SessionRow(BaseModel):
    participant_id: int
    name: str
    department: str | None
    role_group: str | None
    workshop_id: int
    workshop: str
    date: date
    minutes: int
    status: str
    topics: list[Topic]
    materials_version: str | None
    trainer: str | None
    ai_system_id: int | None
    ai_system: str | None
    certificate: str | None


class Acknowledged(BaseModel):
    participant_id: int
    name: str
    deliverable_id: int
    guideline: str
    version: int
    digest: str
    acknowledged_on: date


class Due(BaseModel):
    participant_id: int
    name: str
    department: str | None
    reason: str  # never_trained | refresher | tool_training
    ai_system: str | None = None
    since: date | None = None


class Coverage(BaseModel):
    ai_system_id: int
    system: str
    provider: str | None
    production_since: date | None
    refresh_months: int
    users: int
    trained: int
    share: Decimal | None  # None: no named users
    due: list[str]


class Register(BaseModel):
    client_id: int
    client: str
    as_of: date
    refresh_months: int
    participants: int
    trained: int
    trained_share: Decimal | None
    people_enabled_suggestion: int | None  # the readiness lever (0–5) this coverage backs
    coverage: list[Coverage]
    due: list[Due]
    sessions: list[SessionRow]
    acknowledgements: list[Acknowledged]


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP)


@dataclass
class _Person:
    row: Participant
    last_any: date | None = None
    last_tool: dict[int, date] = field(default_factory=dict)


async def register_of(session: AsyncSession, client: Client, *, as_of: date, refresh_months: int) -> Register:
    people = {
        p.id: _Person(p)
        for p in (
            await session.exec(
                select(Participant)
                .where(Participant.client_id == client.id)
                .order_by(col(Participant.name), col(Participant.id))
            )
        ).all()
    }
    systems = list(
        (await session.exec(select(AISystem).where(AISystem.client_id == client.id).order_by(col(AISystem.name)))).all()
    )
    system_names = {s.id: s.name for s in systems}
    sessions = await _sessions(session, client.id or 0, system_names, as_of)
    for line in sessions:
        person = people[line.participant_id]
        if line.topics:
            person.last_any = max(person.last_any or line.date, line.date)
        if line.ai_system_id is not None and Topic.tool_specific in line.topics:
            system_id = line.ai_system_id
            person.last_tool[system_id] = max(person.last_tool.get(system_id, line.date), line.date)
    users: dict[int, list[int]] = defaultdict(list)
    for system_id, participant_id in (
        await session.exec(
            select(AISystemUser.ai_system_id, AISystemUser.participant_id).where(
                col(AISystemUser.ai_system_id).in_([s.id for s in systems])
            )
        )
    ).all():
        users[system_id].append(participant_id)

    due: list[Due] = []
    trained = 0
    for person in people.values():
        p = person.row
        if person.last_any is None:
            due.append(Due(participant_id=p.id, name=p.name, department=p.department, reason="never_trained"))
            continue
        until = months_after(person.last_any, refresh_months)
        if until <= as_of:
            due.append(Due(participant_id=p.id, name=p.name, department=p.department, reason="refresher", since=until))
        else:
            trained += 1
    coverage = []
    for system in (s for s in systems if s.in_use):
        months = system.refresh_months or refresh_months
        named = [people[i] for i in users.get(system.id or 0, []) if i in people]
        current, missing = 0, []
        for person in sorted(named, key=lambda x: (x.row.name, x.row.id)):
            last = person.last_tool.get(system.id or 0)
            if last is not None and months_after(last, months) > as_of:
                current += 1
                continue
            missing.append(person.row.name)
            due.append(
                Due(
                    participant_id=person.row.id,
                    name=person.row.name,
                    department=person.row.department,
                    reason="tool_training",
                    ai_system=system.name,
                    since=months_after(last, months) if last else system.production_since,
                )
            )
        coverage.append(
            Coverage(
                ai_system_id=system.id,
                system=system.name,
                provider=system.provider,
                production_since=system.production_since,
                refresh_months=months,
                users=len(named),
                trained=current,
                share=_share(current, len(named)),
                due=missing,
            )
        )
    share = _share(trained, len(people))
    return Register(
        client_id=client.id,
        client=client.name,
        as_of=as_of,
        refresh_months=refresh_months,
        participants=len(people),
        trained=trained,
        trained_share=share,
        people_enabled_suggestion=None if share is None else int((share * 5).quantize(Decimal(1), ROUND_HALF_UP)),
        coverage=coverage,
        due=sorted(due, key=lambda d: (d.name, d.participant_id, d.reason, d.ai_system or "")),
        sessions=sessions,
        acknowledgements=await _acknowledgements(session, client.id or 0),
    )


async def _sessions(session: AsyncSession, client_id: int, systems: dict[Any, str], as_of: date) -> list[SessionRow]:
    # Training counts from the day it took place (a session planned ahead is not evidence yet).
    as_of_end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=BERLIN)
    engagements = select(Engagement.id).where(Engagement.client_id == client_id)
    found = (
        await session.exec(
            select(  # type: ignore[call-overload]  # six columns: more than sqlmodel's overloads
                Attendance, Participant, Workshop, Certificate.id, Certificate.issued_on, User.full_name
            )
            .join(Participant, col(Participant.id) == Attendance.participant_id)
            .join(Workshop, col(Workshop.id) == Attendance.workshop_id)
            .outerjoin(
                Certificate,
                (col(Certificate.workshop_id) == Attendance.workshop_id)
                & (col(Certificate.participant_id) == Attendance.participant_id),
            )
            .outerjoin(User, col(User.id) == Workshop.facilitator_id)
            .where(
                col(Workshop.engagement_id).in_(engagements),
                col(Attendance.status).in_(ATTENDED),
                Participant.client_id == client_id,
                col(Workshop.starts_at) <= as_of_end,
            )
            .order_by(col(Participant.name), col(Participant.id), col(Workshop.starts_at))
        )
    ).all()
    rows = []
    for attendance, person, workshop, certificate_id, issued_on, facilitator in found:
        serial = f"TB-{issued_on.year}-{certificate_id:06d}" if certificate_id else None
        rows.append(
            SessionRow(
                participant_id=person.id,
                name=person.name,
                department=person.department,
                role_group=person.role_group,
                workshop_id=workshop.id,
                workshop=workshop.title,
                date=workshop.starts_at.astimezone(BERLIN).date(),
                minutes=attended_minutes(workshop, attendance),
                status=attendance.status,
                topics=list(workshop.topics or []),
                materials_version=workshop.materials_version,
                trainer=workshop.trainer_name or facilitator,
                ai_system_id=workshop.ai_system_id,
                ai_system=systems.get(workshop.ai_system_id),
                certificate=serial,
            )
        )
    return rows


async def _acknowledgements(session: AsyncSession, client_id: int) -> list[Acknowledged]:
    found = (
        await session.exec(
            select(GuidelineAcknowledgement, Participant.name, Deliverable.title)
            .join(Participant, col(Participant.id) == GuidelineAcknowledgement.participant_id)
            .join(Deliverable, col(Deliverable.id) == GuidelineAcknowledgement.deliverable_id)
            .where(Participant.client_id == client_id)
            .order_by(col(Participant.name), col(GuidelineAcknowledgement.acknowledged_at))
        )
    ).all()
    return [
        Acknowledged(
            participant_id=row.participant_id,
            name=name,
            deliverable_id=row.deliverable_id,
            guideline=title,
            version=row.deliverable_version,
            digest=row.digest,
            acknowledged_on=row.acknowledged_at.astimezone(BERLIN).date(),
        )
        for row, name, title in found
    ]
