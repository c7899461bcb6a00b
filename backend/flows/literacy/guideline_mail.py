"""Inviting a client's staff to read and confirm its AI guideline: one mail per person with an
address and text (the files' digest), sent once (kernel/delivery.py). People without an address
get their personal link from the team (the admin page lists them)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.deliverables.artefacts import artefacts_of, digest
from backend.domains.deliverables.models import Deliverable
from backend.domains.literacy.guideline import guideline_of_client, guideline_token
from backend.domains.literacy.models import Participant
from backend.domains.literacy.service import participants_of
from backend.flows.literacy.models import GuidelineInvitation
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken
from backend.kernel.delivery import deliver
from backend.kernel.errors import Conflict
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger

MAIL_JOB = "mail_guideline_invitation"


@dataclass(frozen=True)
class Invited:
    invited: int  # mails planned now
    already: int  # invited to this text before
    without_address: int  # to be handed their link by the team


async def invite(session: AsyncSession, deliverable_id: int) -> Invited:
    deliverable, client_id = await guideline_of_client(session, deliverable_id)
    artefacts = await artefacts_of(session, deliverable_id)
    if not artefacts:
        raise Conflict("the guideline has no file or link to read", key="guideline_empty")
    said = digest(artefacts)
    invited = already = without = 0
    for person in await participants_of(session, client_id):
        if not person.email:
            without += 1
            continue
        row = await add_unless_taken(
            session,
            GuidelineInvitation(
                participant_id=person.id, deliverable_id=deliverable_id, digest=said, email=person.email
            ),
        )
        if row is None:
            already += 1
            continue
        invited += 1
        await plan(session, MAIL_JOB, row.id, job_id=f"guideline-invitation:{row.id}:{secrets.token_hex(3)}")
    return Invited(invited, already, without)


async def send_invitation(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, row_id: int
) -> str:
    async with maker() as session:
        row = await session.get(GuidelineInvitation, row_id)
        person = await session.get(Participant, row.participant_id) if row else None
        deliverable = await session.get(Deliverable, row.deliverable_id) if row else None
    if row is None or person is None or deliverable is None:
        return "gone"
    if person.email != row.email:
        return "stale"
    lang = "de"

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    url = settings.link(f"/a/{guideline_token(settings.secret_key, deliverable.id or 0, person.id or 0)}")
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        row,
        "guideline-invitation",
        lambda message_id: notice(
            lang=lang,
            title=say("guideline_title"),
            lines=[say("greeting", name=person.name), say("guideline_intro", title=deliverable.title)],
            link_label=say("guideline_link"),
            url=url,
            subject=say("guideline_subject", title=deliverable.title),
            sender_name=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=person.name,
            recipient_email=row.email,
            message_id=message_id,
        ),
    )
