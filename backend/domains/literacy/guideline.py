"""Employees confirm by link that they read the client's AI guideline: a delivered deliverable of
kind "guideline". The confirmation keeps the deliverable's version and the digest of the files
the person was shown, so the register says which text each person acknowledged.

A link names the guideline and the person, signed (kernel/signing.py); it is personal, so it
needs no sign-in, and it never expires: a guideline stays to be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.deliverables.artefacts import artefacts_of, digest
from backend.domains.deliverables.models import (
    ARTEFACTS_LOCKED,
    ArtefactKind,
    Deliverable,
    DeliverableArtefact,
    DeliverableArtefactFile,
    DeliverableKind,
)
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import client_id_of
from backend.domains.literacy.models import GuidelineAcknowledgement, Participant
from backend.domains.literacy.service import participants_of
from backend.kernel.db import add_unless_taken
from backend.kernel.errors import Conflict, NotFound
from backend.kernel.signing import sign, verify

PURPOSE = "guideline"


def guideline_token(secret: str, deliverable_id: int, participant_id: int) -> str:
    return sign(secret, PURPOSE, deliverable_id, participant_id)


@dataclass(frozen=True)
class Reading:
    deliverable: Deliverable
    person: Participant
    artefacts: list[DeliverableArtefact]
    acknowledged: GuidelineAcknowledgement | None  # of these very files

    @property
    def digest(self) -> str:
        return digest(self.artefacts)


def _invalid() -> NotFound:
    return NotFound("this link to the AI guideline is not valid", key="guideline_invalid")


async def guideline_of_client(session: AsyncSession, deliverable_id: int) -> tuple[Deliverable, int]:
    """A guideline handed over to its client (delivered or accepted), and that client's id."""
    deliverable = await session.get(Deliverable, deliverable_id)
    if deliverable is None or deliverable.kind != DeliverableKind.guideline:
        raise NotFound(f"deliverable {deliverable_id} is not an AI guideline", key="guideline_invalid")
    if deliverable.status not in ARTEFACTS_LOCKED:
        raise Conflict("the guideline is read once it was delivered", key="guideline_not_delivered")
    client_id = await client_id_of(session, deliverable.engagement_id)
    if client_id is None:
        raise _invalid()
    return deliverable, client_id


async def open_reading(session: AsyncSession, secret: str, token: str) -> Reading:
    numbers = verify(secret, PURPOSE, token, 2)
    if numbers is None:
        raise _invalid()
    deliverable_id, participant_id = numbers
    try:
        deliverable, client_id = await guideline_of_client(session, deliverable_id)
    except NotFound:
        raise _invalid() from None
    person = await session.get(Participant, participant_id)
    if person is None or person.client_id != client_id:
        raise _invalid()
    artefacts = await artefacts_of(session, deliverable.id or 0)
    said = digest(artefacts)
    done = (
        await session.exec(
            select(GuidelineAcknowledgement).where(
                GuidelineAcknowledgement.participant_id == person.id,
                GuidelineAcknowledgement.deliverable_id == deliverable.id,
                GuidelineAcknowledgement.digest == said,
            )
        )
    ).first()
    return Reading(deliverable, person, artefacts, done)


async def acknowledge(session: AsyncSession, secret: str, token: str, *, now: datetime) -> tuple[Reading, bool]:
    """Record the confirmation once per person and text; (reading, whether it is new)."""
    reading = await open_reading(session, secret, token)
    if reading.acknowledged is not None:
        return reading, False
    row = await add_unless_taken(
        session,
        GuidelineAcknowledgement(
            participant_id=reading.person.id,
            deliverable_id=reading.deliverable.id,
            deliverable_version=reading.deliverable.version,
            digest=reading.digest,
            acknowledged_at=now,
        ),
    )
    if row is None:  # confirmed a moment ago in another tab
        return await open_reading(session, secret, token), False
    return Reading(reading.deliverable, reading.person, reading.artefacts, row), True


async def guideline_file(
    session: AsyncSession, secret: str, token: str, artefact_id: int
) -> tuple[DeliverableArtefact, bytes]:
    reading = await open_reading(session, secret, token)
    artefact = next((a for a in reading.artefacts if a.id == artefact_id and a.kind == ArtefactKind.file), None)
    stored = await session.get(DeliverableArtefactFile, artefact_id) if artefact else None
    if artefact is None or stored is None:
        raise NotFound(f"file {artefact_id} not found")
    return artefact, stored.content


async def reading_list(
    session: AsyncSession, secret: str, deliverable_id: int
) -> list[tuple[Participant, str, GuidelineAcknowledgement | None]]:
    """Every participant of the guideline's client, their link, and their confirmation of the
    current text (or None)."""
    deliverable, client_id = await guideline_of_client(session, deliverable_id)
    said = digest(await artefacts_of(session, deliverable_id))
    done = {
        row.participant_id: row
        for row in (
            await session.exec(
                select(GuidelineAcknowledgement).where(
                    GuidelineAcknowledgement.deliverable_id == deliverable_id, GuidelineAcknowledgement.digest == said
                )
            )
        ).all()
    }
    return [
        (person, guideline_token(secret, deliverable_id, person.id or 0), done.get(person.id or 0))
        for person in await participants_of(session, client_id)
    ]


async def guidelines_of_client(session: AsyncSession, client_id: int) -> list[Deliverable]:
    """The client's AI guidelines handed over (delivered or accepted), newest first."""
    engagements = select(Engagement.id).where(Engagement.client_id == client_id)
    found = await session.exec(
        select(Deliverable)
        .where(
            col(Deliverable.engagement_id).in_(engagements),
            Deliverable.kind == DeliverableKind.guideline,
            col(Deliverable.status).in_(ARTEFACTS_LOCKED),
        )
        .order_by(col(Deliverable.id).desc())
    )
    return list(found.all())
