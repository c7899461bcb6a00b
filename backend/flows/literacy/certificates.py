"""Teilnahmebescheinigungen: one per participant and workshop, rendered in bulk by a job, kept
as issued, mailed where an address exists, each with a link that tells whether it is genuine.

Exactly once: the unique key (workshop, participant) and an INSERT that does nothing when it is
taken, so two jobs for one workshop (a retry, a second click) issue each certificate once. A
chunk of certificates is inserted, rendered and stored in one transaction: a worker killed
midway leaves nothing half-issued, and the next run issues the rest.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement
from backend.domains.literacy.attendance import attended_minutes, planned_minutes
from backend.domains.literacy.models import ATTENDED, AISystem, Attendance, Participant
from backend.domains.workshops.models import Workshop
from backend.domains.workshops.resources import workshop_service
from backend.flows.documents.data import brand
from backend.flows.literacy.models import Certificate, CertificateMail, CertificateRead
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, unit_of_work
from backend.kernel.errors import Conflict, Invalid, NotFound
from backend.kernel.formatting import Formatter
from backend.kernel.glyphs import printable
from backend.kernel.outbox import plan
from backend.kernel.qr import qr_svg
from backend.kernel.queue import Renderer
from backend.kernel.schema import Strict
from backend.kernel.signing import sign, verify
from backend.kernel.time import BERLIN, today

ISSUE_JOB = "issue_certificates"
MAIL_JOB = "mail_certificate"
VERIFY = "certificate"
CHUNK = 50
# Certificates are issued once the workshop is over, or in its last quarter hour.
ISSUABLE_BEFORE_END = timedelta(minutes=15)


class CertificateCall(Strict):
    language: str = Field(default="de", pattern="^(de|en)$")


def verification_path(secret: str, certificate_id: int) -> str:
    return f"/v/{sign(secret, VERIFY, certificate_id, size=12)}"


def certificate_of_token(secret: str, token: str) -> int | None:
    numbers = verify(secret, VERIFY, token, 1, size=12)
    return numbers[0] if numbers else None


async def request_certificates(
    session: AsyncSession, user: Actor, workshop: Workshop, call: CertificateCall, *, now: datetime
) -> int:
    """Plan the job that issues the certificates still missing; the number it will issue."""
    if now < workshop.ends_at - ISSUABLE_BEFORE_END:
        raise Conflict("certificates are issued when the workshop is over", key="certificates_too_early")
    if not workshop.topics:
        raise Invalid.field("body.topics", "name the workshop's topics first: the certificate states them")
    missing = len(await _uncertified(session, workshop.id or 0))
    if missing:
        await plan(
            session, ISSUE_JOB, workshop.id, call.language, job_id=f"certificates:{workshop.id}:{secrets.token_hex(4)}"
        )
    return missing


async def _uncertified(session: AsyncSession, workshop_id: int) -> list[tuple[Attendance, Participant]]:
    rows = await session.exec(
        select(Attendance, Participant)
        .join(Participant, col(Participant.id) == Attendance.participant_id)
        .outerjoin(
            Certificate,
            (col(Certificate.workshop_id) == Attendance.workshop_id)
            & (col(Certificate.participant_id) == Attendance.participant_id),
        )
        .where(
            Attendance.workshop_id == workshop_id,
            col(Attendance.status).in_(ATTENDED),
            col(Certificate.id).is_(None),
            # An erased person's attendance still counts, nameless; a certificate would name nobody.
            col(Participant.erased_at).is_(None),
        )
        .order_by(col(Participant.name), col(Participant.id))
    )
    return list(rows.all())


@dataclass(frozen=True)
class Course:
    """What every certificate of one workshop says alike."""

    workshop: Workshop
    client: Client
    trainer: str
    ai_system: str | None


async def _course(session: AsyncSession, workshop: Workshop) -> Course:
    engagement = await session.get(Engagement, workshop.engagement_id)
    client = await session.get(Client, engagement.client_id) if engagement else None
    if client is None:
        raise NotFound(f"workshop {workshop.id} has no client")
    facilitator = await session.get(User, workshop.facilitator_id) if workshop.facilitator_id else None
    lead = (
        await session.get(User, engagement.lead_consultant_id) if engagement and engagement.lead_consultant_id else None
    )
    named = facilitator or lead
    trainer = workshop.trainer_name or (named.full_name if named else "—")
    system = await session.get(AISystem, workshop.ai_system_id) if workshop.ai_system_id else None
    return Course(workshop, client, trainer, system.name if system else None)


def duration_words(fmt: Formatter, lang: str, minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    say = lambda key, **v: i18n.say("literacy", lang, key, **v)  # noqa: E731
    if hours and rest:
        return say("hours_minutes", hours=hours, minutes=rest)
    return say("hours", hours=hours) if hours else say("minutes", minutes=rest)


def certificate_data(
    settings: Settings, course: Course, certificate: Certificate, person: Participant, attendance: Attendance
) -> dict[str, Any]:
    lang = certificate.language
    fmt, w = Formatter(lang), i18n.words("literacy", lang)
    workshop = course.workshop
    full, attended = planned_minutes(workshop), attended_minutes(workshop, attendance)
    starts, ends = workshop.starts_at.astimezone(BERLIN), workshop.ends_at.astimezone(BERLIN)
    url = settings.link(verification_path(settings.secret_key, certificate.id or 0))
    issued = fmt.date(certificate.issued_on) or ""
    return printable(
        {
            "lang": lang,
            "brand": brand(settings),
            "labels": dict(w["certificate"]),
            "certificate": {
                "serial": certificate.serial,
                "issued_on": issued,
                "verification_url": url,
                "qr_svg": qr_svg(url, scale=1).decode(),
            },
            "participant": {"name": person.name, "department": person.department},
            "client": {"name": course.client.name},
            "workshop": {
                "title": workshop.title,
                "date": fmt.date(starts.date()),
                "time": w["time_span"].format(start=starts.strftime("%H:%M"), end=ends.strftime("%H:%M")),
                "duration": duration_words(fmt, lang, full),
                "attendance": (
                    w["attended_fully"].format(duration=duration_words(fmt, lang, full))
                    if attended >= full
                    else w["attended_part"].format(
                        attended=duration_words(fmt, lang, attended), duration=duration_words(fmt, lang, full)
                    )
                ),
                "location": workshop.location,
                "trainer": course.trainer,
                "materials_version": workshop.materials_version,
                "topics": [w["topics"][t] for t in workshop.topics],
                "objectives": [
                    line.strip(" -•\t")
                    for line in (workshop.learning_objectives or "").splitlines()
                    if line.strip(" -•\t")
                ],
                "ai_system": course.ai_system,
            },
            "issuer": {"name": settings.brand_name, "place_date": f"{settings.brand_city}, {issued}"},
        }
    )  # type: ignore[return-value]


async def issue(
    maker: async_sessionmaker[AsyncSession], settings: Settings, renderer: Renderer, workshop_id: int, language: str
) -> dict[str, int]:
    """The job: issue every certificate the workshop's attendances still lack, in chunks."""
    issued = 0
    while True:
        async with unit_of_work(maker) as session:
            workshop = await session.get(Workshop, workshop_id)
            if workshop is None:
                return {"issued": issued}
            pending = (await _uncertified(session, workshop_id))[:CHUNK]
            if not pending:
                return {"issued": issued}
            course = await _course(session, workshop)
            mine: list[tuple[Certificate, Participant, Attendance]] = []
            for attendance, person in pending:
                row = await add_unless_taken(
                    session,
                    Certificate(
                        workshop_id=workshop_id, participant_id=person.id, language=language, issued_on=today()
                    ),
                )
                if row is not None:  # else another run issued it meanwhile
                    mine.append((row, person, attendance))
            pdfs = await asyncio.gather(
                *(
                    renderer.render("certificate", certificate_data(settings, course, c, p, a), archival=True)
                    for c, p, a in mine
                )
            )
            for (row, person, _), pdf in zip(mine, pdfs, strict=True):
                row.content, row.sha256 = pdf, hashlib.sha256(pdf).hexdigest()
                session.add(row)
                if person.email:
                    mail = await add_unless_taken(session, CertificateMail(certificate_id=row.id, email=person.email))
                    if mail is not None:
                        await plan(session, MAIL_JOB, mail.id, job_id=f"certificate-mail:{mail.id}")
            issued += len(mine)
            if not mine:  # all taken by a concurrent run: it finishes them
                return {"issued": issued}


async def certificates_of(session: AsyncSession, settings: Settings, workshop_id: int) -> list[CertificateRead]:
    rows = (
        await session.exec(
            select(Certificate, Participant.name, CertificateMail.status, Attendance.status)
            .join(Participant, col(Participant.id) == Certificate.participant_id)
            .outerjoin(CertificateMail, col(CertificateMail.certificate_id) == Certificate.id)
            .outerjoin(
                Attendance,
                (col(Attendance.workshop_id) == Certificate.workshop_id)
                & (col(Attendance.participant_id) == Certificate.participant_id),
            )
            .where(Certificate.workshop_id == workshop_id)
            .order_by(col(Participant.name), col(Certificate.id))
        )
    ).all()
    return [
        read_of(settings, row, name, mail, valid=row.revoked_at is None and status in ATTENDED)
        for row, name, mail, status in rows
    ]


def read_of(
    settings: Settings, row: Certificate, name: str, mail_status: str | None, *, valid: bool = True
) -> CertificateRead:
    return CertificateRead(
        id=row.id or 0,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        workshop_id=row.workshop_id,
        participant_id=row.participant_id,
        participant_name=name,
        serial=row.serial,
        language=row.language,
        issued_on=row.issued_on,
        sha256=row.sha256,
        revoked_at=row.revoked_at,
        verification_url=settings.link(verification_path(settings.secret_key, row.id or 0)),
        mail_status=mail_status,
        valid=valid,
    )


@dataclass(frozen=True)
class Verdict:
    genuine: bool
    serial: str | None = None
    issued_on: Any = None
    withdrawn: bool = False


async def verdict(session: AsyncSession, settings: Settings, token: str) -> Verdict:
    """Whether a certificate link names a certificate this consultancy issued and still stands
    by (its attendance not since corrected to absent); nothing about the person."""
    certificate_id = certificate_of_token(settings.secret_key, token)
    row = await session.get(Certificate, certificate_id) if certificate_id else None
    if row is None or row.content is None:
        return Verdict(False)
    status = (
        await session.exec(
            select(Attendance.status).where(
                Attendance.workshop_id == row.workshop_id, Attendance.participant_id == row.participant_id
            )
        )
    ).first()
    withdrawn = row.revoked_at is not None or status not in ATTENDED
    return Verdict(True, row.serial, row.issued_on, withdrawn)


async def certificate_for(session: AsyncSession, user: Actor, certificate_id: int) -> Certificate:
    """An issued certificate the user may see: the team any, a client user its own client's."""
    row = await session.get(Certificate, certificate_id)
    if row is None or row.content is None:
        raise NotFound(f"certificate {certificate_id} not found")
    try:
        await workshop_service.get(session, user, row.workshop_id)
    except NotFound:
        raise NotFound(f"certificate {certificate_id} not found") from None
    return row
