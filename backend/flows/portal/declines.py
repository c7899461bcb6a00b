"""The client's "no" to a proposal — declined for good, or sent back with the changes wanted.

Refused like an acceptance when the version cannot be answered (not a sent proposal, replaced by
a newer version, the engagement not awaiting an answer, accepted already). Recorded once per
version (its unique key); the engagement moves back to draft at the version read, so a decline
and an acceptance at the same moment end in exactly one of them. The lead consultant is mailed
once (kernel/delivery.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Principal
from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.domains.engagements.resources import engagement_service
from backend.domains.engagements.service import lead_email, with_lead
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import refuse_replaced
from backend.flows.portal.decisions import acceptance_of
from backend.flows.portal.models import DeclineRequest, DpaObjection, ProposalDecline
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, select_all, utcnow
from backend.kernel.delivery import deliver
from backend.kernel.errors import Conflict
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger
from backend.kernel.schema import Transition

JOB = "mail_proposal_decline"


async def decline_proposal(
    session: AsyncSession,
    user: Principal,
    document_id: int,
    data: DeclineRequest,
    *,
    ip: str | None,
    user_agent: str | None,
) -> ProposalDecline:
    document = await document_service.get(session, user, document_id)  # another client's: 404
    if document.kind != DocumentKind.proposal or document.sha256 is None or document.sent_at is None:
        raise Conflict("Only a sent proposal can be declined.", key="refused_not_proposal")
    engagement = await engagement_service.get(session, user, document.engagement_id)
    if (accepted := await acceptance_of(session, engagement.id)) is not None:
        raise Conflict(
            f"This proposal was accepted on {accepted.accepted_at:%d.%m.%Y} (version {accepted.document_number}).",
            key="refused_already_accepted",
            when=accepted.accepted_at,
            name=accepted.typed_name,
            n=accepted.document_number,
        )
    await refuse_replaced(session, document, what="proposal", answer="answer")
    if engagement.status != EngagementStatus.proposed:
        raise Conflict(
            f"This engagement is not awaiting an answer (its status is '{engagement.status}').",
            key="refused_not_awaiting_acceptance",
            status=engagement.status,
        )
    # Back to draft at the version read: of a decline and an acceptance at once, one wins.
    await engagement_service.transition(
        session, user, engagement.id, Transition(to=EngagementStatus.draft, version=engagement.version)
    )
    decline = await add_unless_taken(
        session,
        ProposalDecline(
            document_id=document.id,
            engagement_id=engagement.id,
            document_number=document.number,
            change_request=data.change_request,
            reason=data.reason,
            contact_id=user.contact_id,
            user_id=user.id,
            ip_address=ip,
            user_agent=(user_agent or "")[:500] or None,
            declined_at=utcnow(),
            email=await lead_email(session, engagement.id),
        ),
    )
    if decline is None:  # the engagement's version guards this; the unique key backs it up
        raise Conflict(f"Version {document.number} of this proposal was answered already.")
    if decline.email:
        await plan(session, JOB, decline.id, job_id=f"proposal-decline:{decline.id}:{secrets.token_hex(4)}")
    await record(
        session,
        actor=user,
        action="change_request" if data.change_request else "decline_proposal",
        entity_type="engagement",
        entity_id=engagement.id,
        after=snapshot(decline),
    )
    return decline


async def declines_of(session: AsyncSession, engagement_id: int) -> list[ProposalDecline]:
    return await select_all(
        session,
        ProposalDecline,
        ProposalDecline.engagement_id == engagement_id,
        order_by=col(ProposalDecline.id).desc(),
    )


# The client's "no"s the lead consultant is told of: the delivery's name, where the page shows
# it, the mail's words, and when it was said.
_TOLD: dict[type, tuple[str, str, Any, str]] = {
    ProposalDecline: (
        "proposal-decline",
        "#proposal",
        lambda row: "proposal_change_request" if row.change_request else "proposal_declined",
        "declined_at",
    ),
    DpaObjection: ("dpa-objection", "#dpa", lambda row: "dpa_objected", "objected_at"),
}


async def send_decline(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, decline_id: int
) -> str:
    return await tell_lead(maker, settings, mailer, ledger, ProposalDecline, decline_id)


async def tell_lead(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    ledger: SentLedger,
    model: type[ProposalDecline] | type[DpaObjection],
    row_id: int,
) -> str:
    """Tell the lead consultant of the client's answer, exactly once."""
    async with maker() as session:
        row: ProposalDecline | DpaObjection | None = await session.get(model, row_id)
        document = await session.get(Document, row.document_id) if row else None
        led = await with_lead(session, row.engagement_id) if row else None
    if row is None or document is None or led is None or not row.email:
        return "gone"
    engagement, client, lead_name = led
    slug = _TOLD[model][0]
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        row,
        slug,
        lambda message_id: _message(settings, row, document, engagement, client, lead_name, message_id),
    )


def _message(
    settings: Settings,
    row: ProposalDecline | DpaObjection,
    document: Document,
    engagement: Engagement,
    client: Client,
    lead_name: str,
    message_id: str,
    lang: str = "de",  # the team's language, as for the other notices to the team
) -> Any:
    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    _, anchor, kind_of, said_at = _TOLD[type(row)]
    kind = kind_of(row)
    number = (document.data_snapshot or {}).get("document", {}).get("number", f"v{document.number}")
    when = Formatter(lang).datetime(getattr(row, said_at))
    lines = [
        say("greeting", name=lead_name) if lead_name else say("greeting_anonymous"),
        say(f"{kind}_intro", client=client.name, number=number, when=when),
        say("proposal_reason", reason=row.reason),
        say(f"{kind}_next"),
    ]
    return notice(
        lang=lang,
        title=say(f"{kind}_title"),
        lines=lines,
        link_label=say("statement_link"),
        url=settings.link(f"/engagements/{engagement.id}{anchor}"),
        subject=say(f"{kind}_subject", engagement=engagement.title, client=client.name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=lead_name,
        recipient_email=row.email or "",
        message_id=message_id,
    )
