"""Sending a document version to the client: it appears in the portal and its recipients get a
share link by mail. A sent proposal also moves a draft engagement to "proposed"."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client, Contact
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.domains.engagements.resources import engagement_service
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import pdf_of
from backend.flows.portal.decisions import refuse_unsendable
from backend.flows.portal.email import Letter, document_message
from backend.flows.portal.models import ShareLink
from backend.flows.portal.sharing import links_for, share_path
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import select_all, unit_of_work, utcnow
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer, MailError, PermanentMailError
from backend.kernel.outbox import plan
from backend.kernel.schema import Transition
from backend.kernel.time import BERLIN

log = logging.getLogger(__name__)
PURPOSE = "release"


async def recipients(session: AsyncSession, client_id: int) -> list[Contact]:
    """Who receives sent documents: portal users and digest readers."""
    return await select_all(
        session,
        Contact,
        Contact.client_id == client_id,
        or_(col(Contact.portal_access).is_(True), col(Contact.receives_digest).is_(True)),
    )


@dataclass(frozen=True)
class Released:
    document: Document
    recipients: int
    job_id: str

    @property
    def released_at(self) -> datetime:
        assert self.document.sent_at is not None  # a released document has its moment
        return self.document.sent_at


def release_job_id(document_id: int) -> str:
    return f"release:{document_id}:{secrets.token_hex(4)}"


async def release(session: AsyncSession, settings: Settings, user: Actor, document_id: int) -> Released:
    """Mark a ready version as sent, make one share link per recipient and plan their mails in
    the same transaction (idempotent: links already mailed are not mailed again)."""
    document = await pdf_of(session, user, document_id)
    await refuse_unsendable(session, settings, document)
    engagement = await engagement_service.get(session, user, document.engagement_id)
    unsent = document.sent_at is None
    first_release = await document_service.stamp(session, user, document, "sent_at", "release")
    # Released by a request at the same moment: that one moved the engagement on; this one only
    # makes sure of the links and the mailing (both idempotent) and answers alike.
    raced = unsent and not first_release
    proposal = document.kind == DocumentKind.proposal and not raced
    if proposal and engagement.status == EngagementStatus.draft:
        await engagement_service.transition(
            session, user, engagement.id, Transition(to=EngagementStatus.proposed, version=engagement.version)
        )
    elif proposal and first_release:
        # A new version supersedes the one the client may be accepting right now: the
        # acceptance writes the engagement at the version it read, so one of the two fails.
        await engagement_service.write(session, engagement, {})
    contacts = await recipients(session, engagement.client_id)
    await links_for(session, document.id, [c.id for c in contacts], PURPOSE, settings.share_link_days)
    job_id = await plan(session, "mail_released_document", document.id, job_id=release_job_id(document.id))
    return Released(document, len(contacts), job_id)


async def mail_release(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, document_id: int
) -> int:
    """Mail every unmailed, live release link of a document; returns how many went out."""
    async with maker() as session:
        document = await session.get(Document, document_id)
        if document is None or document.sent_at is None:
            return 0
        engagement = await session.get(Engagement, document.engagement_id)
        client = await session.get(Client, engagement.client_id) if engagement else None
        pending = (
            await session.exec(
                select(ShareLink, Contact)
                .join(Contact, col(Contact.id) == ShareLink.contact_id)
                .where(
                    ShareLink.document_id == document_id,
                    ShareLink.purpose == PURPOSE,
                    col(ShareLink.mailed_at).is_(None),
                    col(ShareLink.revoked_at).is_(None),
                )
                .order_by(col(ShareLink.id))
            )
        ).all()
    if engagement is None or client is None:
        return 0
    sent = 0
    for link, contact in pending:
        if not await _claim(maker, link.id, timedelta(seconds=settings.job_timeout_seconds)):
            continue  # another job mails it (a second release), or did
        # At least once: a crash between the server's "250" and this commit mails it again.
        try:
            await mailer.send(_message(settings, document, engagement, client, link, contact))
        except PermanentMailError as exc:
            log.warning("document %s: contact %s refused for good: %s", document.id, contact.id, exc)
            continue  # stays claimed: not tried again before the lease ends
        except MailError:
            await _mark(maker, link.id, mail_claimed_at=None)  # free for the retry
            raise
        await _mark(maker, link.id, mailed_at=utcnow())
        sent += 1
    return sent


def document_name(document: Document, lang: str) -> str:
    """ "Angebot v4", and its language when it is not the reader's: "Angebot v4 (englische Fassung)";
    a time statement with its period: "Leistungsnachweis November 2026 v2"."""
    name = i18n.say("document", lang, document.kind)
    if (period := document.period) is not None:
        name += f" {Formatter(lang).period(period.start, period.end)}"
    name += f" v{document.number}"
    if document.language != lang:
        name += f" ({i18n.say('document', lang, f'version_in_{document.language}')})"
    return name


def _message(
    settings: Settings, document: Document, engagement: Engagement, client: Client, link: ShareLink, contact: Contact
) -> Any:
    fmt = Formatter(contact.language)
    letter = Letter(
        lang=contact.language,
        brand=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=contact.name,
        recipient_email=contact.email,
        message_id=f"<document.{document.id}.{contact.id}@{settings.mail_from.rsplit('@', 1)[-1]}>",
    )
    return document_message(
        letter,
        client=client.name,
        engagement=engagement.title,
        document=document_name(document, contact.language),
        url=settings.link(share_path(settings, link)),
        valid_until=fmt.date(link.expires_at.astimezone(BERLIN).date()) or "",
        portal_url=settings.link("/portal") if contact.portal_access else None,
    )


async def _claim(maker: async_sessionmaker[AsyncSession], link_id: int, lease: timedelta) -> bool:
    now = utcnow()
    async with unit_of_work(maker) as session:
        taken = await session.exec(
            update(ShareLink)
            .where(
                col(ShareLink.id) == link_id,
                col(ShareLink.mailed_at).is_(None),
                or_(col(ShareLink.mail_claimed_at).is_(None), col(ShareLink.mail_claimed_at) < now - lease),
            )
            .values(mail_claimed_at=now)
        )
        return taken.rowcount == 1


async def _mark(maker: async_sessionmaker[AsyncSession], link_id: int, **values: Any) -> None:
    async with unit_of_work(maker) as session:
        await session.exec(update(ShareLink).where(col(ShareLink.id) == link_id).values(**values))
