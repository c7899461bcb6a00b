"""Weekly status digests: one email per (engagement, ISO week, contact), sent exactly once.

The database is the source of truth. A delivery row is created per recipient under a unique
key; a sender claims a row atomically before talking to SMTP, so a job that runs twice (the
queue delivers at least once) sends nothing twice, and a failed or interrupted send is retried
later. "Sent" is written as the last bytes of a message leave, with nothing in between (see
`_send_and_mark` and ledger.py), so a worker killed mid-send never causes a second copy, and
could lose one only if it died between two system calls.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Contact
from backend.domains.engagements.models import Engagement, EngagementStatus, StatusUpdate
from backend.domains.engagements.resources import approve_status_update
from backend.domains.engagements.service import status_update_of
from backend.flows.digests.email import digest_message
from backend.flows.digests.models import DeliveryStatus, DigestDelivery
from backend.flows.documents.data import drafted_status
from backend.flows.documents.models import Document, DocumentKind, DocumentRequest, DocumentStatus
from backend.flows.documents.service import generate_document, request_document
from backend.flows.portal.sharing import links_for, share_path
from backend.kernel.config import Settings
from backend.kernel.db import select_all, unit_of_work, utcnow
from backend.kernel.enums import Language
from backend.kernel.mail import Mailer, MailError, PermanentMailError
from backend.kernel.outbox import plan
from backend.kernel.queue import Renderer, SentLedger
from backend.kernel.time import monday_of

log = logging.getLogger(__name__)
UNSENT = (DeliveryStatus.pending, DeliveryStatus.failed, DeliveryStatus.sending)


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
    update_row = StatusUpdate(
        engagement_id=engagement.id,
        iso_week=iso_week,
        rag=draft["rag"],
        summary=draft["summary"],
        done=_lines(draft["done"]),
        next=_lines(draft["next"]),
        risks=_lines(draft["risks"]),
        drafted_automatically=True,
    )
    try:
        async with session.begin_nested():
            session.add(update_row)
    except IntegrityError:  # another job drafted this week's update at the same moment: that one counts
        drafted = await status_update_of(session, engagement.id, iso_week)
        assert drafted is not None
        return drafted
    return update_row


async def _plan(
    session: AsyncSession, engagement: Engagement, iso_week: str, contacts: list[Contact], status: DeliveryStatus
) -> None:
    """Create the missing delivery rows; rows that wait for approval are released when approved."""
    existing = {
        d.contact_id: d
        for d in await select_all(
            session, DigestDelivery, DigestDelivery.engagement_id == engagement.id, DigestDelivery.iso_week == iso_week
        )
    }
    for contact in contacts:
        row = existing.get(contact.id)
        if row is None:
            try:
                async with session.begin_nested():
                    session.add(
                        DigestDelivery(
                            engagement_id=engagement.id,
                            iso_week=iso_week,
                            contact_id=contact.id,
                            email=contact.email,
                            language=contact.language,
                            status=status,
                        )
                    )
            except IntegrityError:
                pass  # a concurrent run planned it first; the unique key keeps one
        elif row.status == DeliveryStatus.awaiting_approval and status == DeliveryStatus.pending:
            row.status = DeliveryStatus.pending
            session.add(row)


async def prepare(
    maker: async_sessionmaker[AsyncSession], settings: Settings, engagement_id: int, iso_week: str
) -> str:
    """Status update and delivery rows for the week. Returns 'ready', 'inactive', 'not_started'
    or 'awaiting_approval'."""
    async with unit_of_work(maker) as session:
        engagement = await session.get(Engagement, engagement_id)
        if engagement is None or engagement.status != EngagementStatus.active:
            return "inactive"
        if engagement.before_start(iso_week):
            return "not_started"
        contacts = await recipients(session, engagement.client_id)
        # Drafts are written in German unless every recipient reads English.
        lang = Language.en if contacts and all(c.language == Language.en for c in contacts) else Language.de
        status_update = await ensure_status_update(session, engagement, iso_week, lang, settings)
        waiting = engagement.review_before_send and status_update.approved_at is None
        await _plan(
            session,
            engagement,
            iso_week,
            contacts,
            DeliveryStatus.awaiting_approval if waiting else DeliveryStatus.pending,
        )
        return "awaiting_approval" if waiting else "ready"


async def _documents_by_language(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    renderer: Renderer,
    engagement_id: int,
    iso_week: str,
    deliveries: list[DigestDelivery],
) -> dict[str, int]:
    """One rendered status report per language the week's recipients read, reused on retries."""
    wanted: dict[str, list[int]] = defaultdict(list)
    known: dict[str, int] = {}
    for d in deliveries:
        wanted[d.language].append(d.id)
        if d.document_id is not None:
            known[d.language] = d.document_id
    for lang, ids in wanted.items():
        if lang not in known:
            known[lang] = await _status_report_for(maker, engagement_id, iso_week, lang, ids)
        await generate_document(maker, settings, renderer, known[lang])
    return known


class _MadeElsewhere(Exception):
    """Another job gave these deliveries their document first."""


async def _status_report_for(
    maker: async_sessionmaker[AsyncSession], engagement_id: int, iso_week: str, lang: str, delivery_ids: list[int]
) -> int:
    """The week's status report in `lang` for these deliveries: made here, or by a job running at
    the same moment (its document counts, and this one is not made)."""
    try:
        async with unit_of_work(maker) as session:
            document = await request_document(
                session,
                None,
                engagement_id,
                DocumentRequest(kind=DocumentKind.status_report, language=Language(lang), iso_week=iso_week),
            )
            taken = await session.exec(
                update(DigestDelivery)
                .where(col(DigestDelivery.id).in_(delivery_ids), col(DigestDelivery.document_id).is_(None))
                .values(document_id=document.id)
            )
            if taken.rowcount != len(delivery_ids):
                raise _MadeElsewhere
            return document.id
    except _MadeElsewhere:
        async with maker() as session:
            found = await session.exec(
                select(DigestDelivery.document_id).where(
                    col(DigestDelivery.id).in_(delivery_ids), col(DigestDelivery.document_id).is_not(None)
                )
            )
            return found.first()  # type: ignore[return-value]


async def _claim(maker: async_sessionmaker[AsyncSession], delivery_id: int, lease: timedelta) -> bool:
    """Take a delivery for sending; a row left 'sending' by a dead worker is free after the lease."""
    now = utcnow()
    async with unit_of_work(maker) as session:
        result = await session.exec(
            update(DigestDelivery)
            .where(
                col(DigestDelivery.id) == delivery_id,
                or_(
                    col(DigestDelivery.status).in_([DeliveryStatus.pending, DeliveryStatus.failed]),
                    (col(DigestDelivery.status) == DeliveryStatus.sending)
                    & (col(DigestDelivery.claimed_at) < now - lease),
                ),
            )
            .values(status=DeliveryStatus.sending, claimed_at=now, attempts=DigestDelivery.attempts + 1)
        )
        return result.rowcount == 1


async def _finish(
    maker: async_sessionmaker[AsyncSession], delivery_id: int, status: DeliveryStatus, **values: Any
) -> None:
    async with unit_of_work(maker) as session:
        await session.exec(
            update(DigestDelivery)
            .where(col(DigestDelivery.id) == delivery_id)
            .values(status=status, updated_at=utcnow(), version=DigestDelivery.version + 1, **values)
        )


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
    state = await prepare(maker, settings, engagement_id, iso_week)
    if state != "ready":
        outcome.state = state
        return outcome
    async with maker() as session:
        deliveries = await select_all(
            session, DigestDelivery, DigestDelivery.engagement_id == engagement_id, DigestDelivery.iso_week == iso_week
        )
        contacts = {
            c.id: c for c in await select_all(session, Contact, col(Contact.id).in_([d.contact_id for d in deliveries]))
        }
    unsent = [d for d in deliveries if d.status in UNSENT]
    outcome.already_sent = sum(d.status == DeliveryStatus.sent for d in deliveries)
    if not unsent:
        return outcome
    documents = await _documents_by_language(maker, settings, renderer, engagement_id, iso_week, unsent)
    async with maker() as session:
        rendered = {
            doc.id: doc for doc in await select_all(session, Document, col(Document.id).in_(list(documents.values())))
        }
    report_urls = await _share_links(maker, settings, unsent, documents)
    lease = timedelta(seconds=settings.job_timeout_seconds)
    for delivery in unsent:
        document = rendered[documents[delivery.language]]
        if document.status != DocumentStatus.ready:
            outcome.failed += 1
            outcome.errors.append(f"status report {document.id} is {document.status}: {document.error}")
            continue
        if not await _claim(maker, delivery.id, lease):
            continue  # another worker holds it, or it was sent meanwhile
        message_id = message_id_for(delivery, settings)
        contact = contacts.get(delivery.contact_id)
        try:
            message = digest_message(
                data=document.data_snapshot,
                recipient_name=contact.name if contact else "",
                recipient_email=delivery.email,
                sender=settings.mail_from,
                pdf=document.content or b"",
                filename=document.filename or "Statusbericht.pdf",
                message_id=message_id,
                report_url=report_urls.get(delivery.id),
                portal_url=settings.link("/portal") if contact and contact.portal_access else None,
            )
            await _send_and_mark(ledger, mailer, delivery.id, message, message_id)
        except PermanentMailError as exc:
            await _finish(maker, delivery.id, DeliveryStatus.bounced, last_error=str(exc)[:2000])
            outcome.bounced += 1
            continue
        except MailError as exc:
            await _finish(maker, delivery.id, DeliveryStatus.failed, last_error=str(exc)[:2000])
            outcome.failed += 1
            outcome.errors.append(str(exc))
            continue
        outcome.sent += 1
    if outcome.sent:
        await _mark_sent(maker, [doc.id for doc in rendered.values()])
    return outcome


async def _share_links(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    deliveries: list[DigestDelivery],
    documents: dict[str, int],
) -> dict[int, str]:
    """A share link to the week's report per recipient, for mail clients that drop attachments."""
    urls: dict[int, str] = {}
    async with unit_of_work(maker) as session:
        for lang, document_id in documents.items():
            group = [d for d in deliveries if d.language == lang]
            links = await links_for(
                session, document_id, [d.contact_id for d in group], "digest", settings.share_link_days
            )
            urls.update({d.id: settings.link(share_path(settings, links[d.contact_id])) for d in group})
    return urls


async def _mark_sent(maker: async_sessionmaker[AsyncSession], document_ids: list[int]) -> None:
    """A status report that went out to the client appears in their portal."""
    async with unit_of_work(maker) as session:
        await session.exec(
            update(Document)
            .where(col(Document.id).in_(document_ids), col(Document.sent_at).is_(None))
            .values(sent_at=utcnow())
        )


async def _send_and_mark(ledger: SentLedger, mailer: Mailer, delivery_id: int, message: Any, message_id: str) -> None:
    """Record "sent" and let the prepared message go, with nothing in between.

    The SMTP conversation is taken up to the last step (the message body is with the kernel)
    before anything is recorded; then "sent" is written and the end-of-data bytes follow
    without an await (see ledger.py). A process killed before that leaves the row "sending",
    and the retry delivers it; one killed after it has already handed the message over. A
    refusal of the data sets the row back.
    """
    async with mailer.handover(message) as handover:
        await ledger.reserve()
        ledger.mark_sent(delivery_id, message_id, utcnow(), then=handover.complete)
        await handover.confirm()


async def recent_deliveries(session: AsyncSession, engagement_id: int, *, limit: int = 30) -> list[DigestDelivery]:
    return await select_all(
        session,
        DigestDelivery,
        DigestDelivery.engagement_id == engagement_id,
        order_by=[col(DigestDelivery.id).desc()],
        limit=limit,
    )
