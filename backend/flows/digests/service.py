"""Weekly status digests: one email per (engagement, ISO week, contact), sent exactly once.

The database is the source of truth. A delivery row is created per recipient under a unique
key; a sender claims a row atomically before talking to SMTP, so a job that runs twice (the
queue delivers at least once) sends nothing twice, and a failed or interrupted send is retried
later. "Sent" is written as the last bytes of a message leave, with nothing in between (see
kernel/delivery.py and kernel/ledger.py), so a worker killed mid-send never causes a second copy, and
could lose one only if it died between two system calls.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Contact
from backend.domains.engagements.models import Engagement, EngagementStatus, StatusUpdate
from backend.domains.engagements.resources import approve_status_update
from backend.domains.engagements.service import status_update_of
from backend.flows.digests.email import digest_message
from backend.flows.digests.models import DigestDelivery
from backend.flows.documents.data import drafted_status
from backend.flows.documents.models import Document, DocumentKind, DocumentRequest, DocumentStatus
from backend.flows.documents.service import render_version, request_document
from backend.flows.portal.sharing import links_for, share_path
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, select_all, unit_of_work, utcnow
from backend.kernel.delivery import UNSENT, DeliveryStatus, claim, finish, send_and_mark
from backend.kernel.enums import Language
from backend.kernel.mail import Mailer, MailError, PermanentMailError
from backend.kernel.outbox import plan
from backend.kernel.queue import Renderer, SentLedger
from backend.kernel.time import monday_of

log = logging.getLogger(__name__)


def digest_job_id(engagement_id: int, iso_week: str, *, once: bool = False) -> str:
    """The cron's id is fixed per week, so a doubly fired cron queues one job; other triggers
    (send now, approval, retries) get fresh ids: exactly-once lives in the delivery rows."""
    base = f"digest:{engagement_id}:{iso_week}"
    return base if once else f"{base}:{secrets.token_hex(4)}"


async def plan_digest(session: AsyncSession, engagement_id: int, iso_week: str) -> str:
    """Send the week's digest once this transaction commits (see backend.kernel.outbox)."""
    return await plan(
        session, "send_weekly_digest", engagement_id, iso_week, job_id=digest_job_id(engagement_id, iso_week)
    )


async def approve_and_send(session: AsyncSession, user: Actor, status_update_id: int, version: int) -> StatusUpdate:
    """Approve the week's status update; the digest that waited for the approval goes out."""
    row = await approve_status_update(session, user, status_update_id, version)
    await plan_digest(session, row.engagement_id, row.iso_week)
    return row


@dataclass
class Outcome:
    engagement_id: int
    iso_week: str
    state: str = "done"
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    bounced: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "errors"} | {"errors": self.errors[:5]}


async def active_engagement_ids(session: AsyncSession, iso_week: str) -> list[int]:
    """Engagements that get a digest for the week: active, and begun by the week's end (an
    engagement accepted early starts its digests in its first week)."""
    sunday = monday_of(iso_week) + timedelta(days=6)
    stmt = (
        select(Engagement.id)
        .where(Engagement.status == EngagementStatus.active, col(Engagement.start_date) <= sunday)
        .order_by(col(Engagement.id))
    )
    return list((await session.exec(stmt)).all())


async def recipients(session: AsyncSession, client_id: int) -> list[Contact]:
    return await select_all(session, Contact, Contact.client_id == client_id, col(Contact.receives_digest).is_(True))


def _lines(items: list[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


async def ensure_status_update(
    session: AsyncSession, engagement: Engagement, iso_week: str, lang: str, settings: Settings
) -> StatusUpdate:
    """The week's status update; drafted from the week's data if the consultant wrote none."""
    if (written := await status_update_of(session, engagement.id, iso_week)) is not None:
        return written
    draft = await drafted_status(session, engagement_id=engagement.id, iso_week=iso_week, lang=lang, settings=settings)
    drafted = StatusUpdate(
        engagement_id=engagement.id,
        iso_week=iso_week,
        rag=draft["rag"],
        summary=draft["summary"],
        done=_lines(draft["done"]),
        next=_lines(draft["next"]),
        risks=_lines(draft["risks"]),
        drafted_automatically=True,
    )
    # Another job drafting this week's update at the same moment: the one stored first counts.
    stored = await add_unless_taken(session, drafted) or await status_update_of(session, engagement.id, iso_week)
    assert stored is not None
    return stored


async def _plan(
    session: AsyncSession, engagement: Engagement, iso_week: str, contacts: list[Contact], status: DeliveryStatus
) -> list[DigestDelivery]:
    """The week's delivery rows, the missing ones created; rows that wait for approval are
    released when approved."""
    rows = {
        d.contact_id: d
        for d in await select_all(
            session, DigestDelivery, DigestDelivery.engagement_id == engagement.id, DigestDelivery.iso_week == iso_week
        )
    }
    made_elsewhere = False
    for contact in contacts:
        row = rows.get(contact.id)
        if row is None:
            planned = DigestDelivery(
                engagement_id=engagement.id,
                iso_week=iso_week,
                contact_id=contact.id,
                email=contact.email,
                language=contact.language,
                status=status,
            )
            # A concurrent run planned it first: the unique key keeps one, read below.
            if (stored := await add_unless_taken(session, planned)) is None:
                made_elsewhere = True
            else:
                rows[contact.id] = stored
        elif row.status == DeliveryStatus.awaiting_approval and status == DeliveryStatus.pending:
            row.status = DeliveryStatus.pending
            session.add(row)
    if made_elsewhere:
        return await select_all(
            session, DigestDelivery, DigestDelivery.engagement_id == engagement.id, DigestDelivery.iso_week == iso_week
        )
    return sorted(rows.values(), key=lambda d: d.id)


@dataclass
class Week:
    """What one engagement's digest for one week needs, as one transaction left it."""

    state: str  # ready, inactive, not_started or awaiting_approval
    deliveries: list[DigestDelivery] = field(default_factory=list)
    contacts: dict[int, Contact] = field(default_factory=dict)
    # The status report per language the unsent deliveries read, and each one's share link.
    documents: dict[str, int] = field(default_factory=dict)
    report_urls: dict[int, str] = field(default_factory=dict)


class _MadeElsewhere(Exception):
    """Another job gave these deliveries their document first."""


async def prepare(
    maker: async_sessionmaker[AsyncSession], settings: Settings, engagement_id: int, iso_week: str
) -> Week:
    """Status update, delivery rows, the week's status report versions (queued) and share links,
    in one transaction. A job that runs at the same moment and gives the deliveries their report
    first wins: this transaction is undone and taken again, finding that job's rows."""
    for _ in range(3):
        try:
            async with unit_of_work(maker) as session:
                return await _prepare(session, settings, engagement_id, iso_week)
        except _MadeElsewhere:
            continue
    raise RuntimeError(f"digest {engagement_id} {iso_week}: the deliveries kept being taken by other jobs")


async def _prepare(session: AsyncSession, settings: Settings, engagement_id: int, iso_week: str) -> Week:
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None or engagement.status != EngagementStatus.active:
        return Week("inactive")
    if engagement.before_start(iso_week):
        return Week("not_started")
    contacts = await recipients(session, engagement.client_id)
    # Drafts are written in German unless every recipient reads English.
    lang = Language.en if contacts and all(c.language == Language.en for c in contacts) else Language.de
    status_update = await ensure_status_update(session, engagement, iso_week, lang, settings)
    waiting = engagement.review_before_send and status_update.approved_at is None
    deliveries = await _plan(
        session, engagement, iso_week, contacts, DeliveryStatus.awaiting_approval if waiting else DeliveryStatus.pending
    )
    if waiting:
        return Week("awaiting_approval")
    week = Week("ready", deliveries, {c.id: c for c in contacts})
    unsent = [d for d in deliveries if d.status in UNSENT]
    if any(d.contact_id not in week.contacts for d in unsent):  # a recipient no longer receives digests
        week.contacts = {
            c.id: c for c in await select_all(session, Contact, col(Contact.id).in_([d.contact_id for d in deliveries]))
        }
    by_language: dict[str, list[DigestDelivery]] = defaultdict(list)
    for delivery in unsent:
        by_language[delivery.language].append(delivery)
    for language, group in by_language.items():
        document_id = next((d.document_id for d in group if d.document_id is not None), None)
        if document_id is None:
            document_id = await _status_report_for(session, engagement_id, iso_week, language, group)
        week.documents[language] = document_id
        links = await links_for(session, document_id, [d.contact_id for d in group], "digest", settings.share_link_days)
        week.report_urls.update({d.id: settings.link(share_path(settings, links[d.contact_id])) for d in group})
    return week


async def _status_report_for(
    session: AsyncSession, engagement_id: int, iso_week: str, lang: str, deliveries: list[DigestDelivery]
) -> int:
    """A new version of the week's status report in `lang`, given to these deliveries; if a job
    running at the same moment gave them one first, _MadeElsewhere (its document counts)."""
    document = await request_document(
        session,
        None,
        engagement_id,
        DocumentRequest(kind=DocumentKind.status_report, language=Language(lang), iso_week=iso_week),
    )
    ids = [d.id for d in deliveries]
    taken = await session.exec(
        update(DigestDelivery)
        .where(col(DigestDelivery.id).in_(ids), col(DigestDelivery.document_id).is_(None))
        .values(document_id=document.id)
    )
    if taken.rowcount != len(ids):
        raise _MadeElsewhere
    for delivery in deliveries:
        set_committed_value(delivery, "document_id", document.id)
    return document.id


def message_id_for(delivery: DigestDelivery, settings: Settings) -> str:
    domain = settings.mail_from.rsplit("@", 1)[-1]
    return f"<digest.{delivery.engagement_id}.{delivery.iso_week}.{delivery.contact_id}@{domain}>"


async def send_digest(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    renderer: Renderer,
    ledger: SentLedger,
    engagement_id: int,
    iso_week: str,
) -> Outcome:
    outcome = Outcome(engagement_id, iso_week)
    week = await prepare(maker, settings, engagement_id, iso_week)
    if week.state != "ready":
        outcome.state = week.state
        return outcome
    unsent = [d for d in week.deliveries if d.status in UNSENT]
    outcome.already_sent = sum(d.status == DeliveryStatus.sent for d in week.deliveries)
    if not unsent:
        return outcome
    rendered = {
        language: await render_version(maker, settings, renderer, document_id)
        for language, document_id in week.documents.items()
    }
    lease = timedelta(seconds=settings.job_timeout_seconds)
    for delivery in unsent:
        document = rendered[delivery.language]
        if not isinstance(document, Document) or document.status != DocumentStatus.ready:
            outcome.failed += 1
            outcome.errors.append(f"status report {week.documents[delivery.language]} is not ready: {document}")
            continue
        if not await claim(maker, DigestDelivery, delivery.id, lease):
            continue  # another worker holds it, or it was sent meanwhile
        message_id = message_id_for(delivery, settings)
        contact = week.contacts.get(delivery.contact_id)
        try:
            message = digest_message(
                data=document.data_snapshot or {},
                recipient_name=contact.name if contact else "",
                recipient_email=delivery.email,
                sender=settings.mail_from,
                pdf=document.content or b"",
                filename=document.filename or "Statusbericht.pdf",
                message_id=message_id,
                report_url=week.report_urls.get(delivery.id),
                portal_url=settings.link("/portal") if contact and contact.portal_access else None,
            )
            await send_and_mark(ledger, mailer, DigestDelivery, delivery.id, message, message_id)
        except PermanentMailError as exc:
            await finish(maker, DigestDelivery, delivery.id, DeliveryStatus.bounced, last_error=str(exc)[:2000])
            outcome.bounced += 1
            continue
        except MailError as exc:
            await finish(maker, DigestDelivery, delivery.id, DeliveryStatus.failed, last_error=str(exc)[:2000])
            outcome.failed += 1
            outcome.errors.append(str(exc))
            continue
        outcome.sent += 1
    unmarked = [d.id for d in rendered.values() if isinstance(d, Document) and d.sent_at is None]
    if outcome.sent and unmarked:
        await _mark_sent(maker, unmarked)
    return outcome


async def _mark_sent(maker: async_sessionmaker[AsyncSession], document_ids: list[int]) -> None:
    """A status report that went out to the client appears in their portal."""
    async with unit_of_work(maker) as session:
        await session.exec(
            update(Document)
            .where(col(Document.id).in_(document_ids), col(Document.sent_at).is_(None))
            .values(sent_at=utcnow())
        )


async def recent_deliveries(session: AsyncSession, engagement_id: int, *, limit: int = 30) -> list[DigestDelivery]:
    return await select_all(
        session,
        DigestDelivery,
        DigestDelivery.engagement_id == engagement_id,
        order_by=[col(DigestDelivery.id).desc()],
        limit=limit,
    )
