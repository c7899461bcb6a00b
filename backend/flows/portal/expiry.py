"""The lead consultant hears, once, that a sent proposal still unanswered expires soon: a daily
job looks for proposals of engagements awaiting an answer whose `valid_until` is at most
`DESK_PROPOSAL_EXPIRY_NOTICE_DAYS` away, records a notice per version (its unique key) and mails
it through the delivery ledger (kernel/delivery.py). After the date the client can no longer
accept (a late acceptance is a new offer, §§ 148, 150 BGB): the team sends a renewed version."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.domains.engagements.service import lead_email, with_lead
from backend.flows.documents.models import Document, DocumentKind, replaces
from backend.flows.portal.models import ProposalAcceptance, ProposalExpiryNotice
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, unit_of_work
from backend.kernel.delivery import deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger
from backend.kernel.time import today as berlin_today

JOB = "mail_proposal_expiry"


async def plan_expiry_notices(
    maker: async_sessionmaker[AsyncSession], settings: Settings, today: date | None = None
) -> int:
    """Record and plan today's notices; returns how many (0 when switched off)."""
    days = settings.proposal_expiry_notice_days
    if days <= 0:
        return 0
    today = today or berlin_today()
    planned = 0
    async with unit_of_work(maker) as session:
        rows = await session.exec(
            select(Document, Engagement)
            .options(defer(Document.content))  # type: ignore[arg-type]
            .join(Engagement, col(Engagement.id) == Document.engagement_id)
            .outerjoin(ProposalAcceptance, col(ProposalAcceptance.engagement_id) == Engagement.id)
            .where(
                Document.kind == DocumentKind.proposal,
                col(Document.sent_at).is_not(None),
                col(Document.valid_until) >= today,
                col(Document.valid_until) <= today + timedelta(days=days),
                Engagement.status == EngagementStatus.proposed,
                col(ProposalAcceptance.id).is_(None),
            )
            .order_by(col(Document.engagement_id), col(Document.number).desc())
        )
        candidates = rows.all()
        for document, engagement in candidates:
            # Only the version the client is asked to answer: no newer one replaces it.
            if any(replaces(other, document) for other, _ in candidates if other.engagement_id == engagement.id):
                continue
            planned += await _note(session, document, engagement)
    return planned


async def _note(session: AsyncSession, document: Document, engagement: Engagement) -> int:
    email = await lead_email(session, engagement.id)
    if email is None or document.valid_until is None:
        return 0
    row = ProposalExpiryNotice(
        document_id=document.id, engagement_id=engagement.id, valid_until=document.valid_until, email=email
    )
    if (stored := await add_unless_taken(session, row)) is None:
        return 0  # told already
    await plan(session, JOB, stored.id, job_id=f"proposal-expiry:{stored.id}:{secrets.token_hex(4)}")
    return 1


async def send_expiry_notice(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, notice_id: int
) -> str:
    async with maker() as session:
        row = await session.get(ProposalExpiryNotice, notice_id)
        document = await session.get(Document, row.document_id) if row else None
        led = await with_lead(session, row.engagement_id) if row else None
    if row is None or document is None or led is None:
        return "gone"
    engagement, client, lead_name = led
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        row,
        "proposal-expiry",
        lambda message_id: _message(settings, row, document, engagement, client, lead_name, message_id),
    )


def _message(
    settings: Settings,
    row: ProposalExpiryNotice,
    document: Document,
    engagement: Engagement,
    client: Client,
    lead_name: str,
    message_id: str,
    lang: str = "de",  # the team's language, as for the other notices to the team
) -> Any:
    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    number = (document.data_snapshot or {}).get("document", {}).get("number", f"v{document.number}")
    until = Formatter(lang).date(row.valid_until) or ""
    lines = [
        say("greeting", name=lead_name) if lead_name else say("greeting_anonymous"),
        say("proposal_expiry_intro", number=number, client=client.name, until=until),
        say("proposal_expiry_next"),
    ]
    return notice(
        lang=lang,
        title=say("proposal_expiry_title"),
        lines=lines,
        link_label=say("statement_link"),
        url=settings.link(f"/engagements/{engagement.id}#documents"),
        subject=say("proposal_expiry_subject", until=until, engagement=engagement.title, client=client.name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=lead_name,
        recipient_email=row.email or "",
        message_id=message_id,
    )
