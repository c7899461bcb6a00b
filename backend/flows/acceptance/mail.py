"""The Abnahme's mails, each sent once (kernel/delivery.py): the request to the client's
contact, in the contact's language, and the notices of an acceptance to either side."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Contact
from backend.domains.deliverables.artefacts import artefacts_of
from backend.domains.deliverables.models import Deliverable
from backend.domains.engagements.service import with_lead
from backend.flows.acceptance.models import (
    AcceptanceMode,
    AcceptanceNotice,
    DeliverableAcceptance,
    DeliverableAcceptanceRequest,
    RequestOutcome,
)
from backend.flows.acceptance.requests import close_requests
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work
from backend.kernel.delivery import UNSENT, deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.queue import SentLedger
from backend.kernel.time import today


async def send_request(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, request_id: int
) -> str:
    async with maker() as session:
        row = await session.get(DeliverableAcceptanceRequest, request_id)
        deliverable = await session.get(Deliverable, row.deliverable_id) if row else None
        led = await with_lead(session, row.engagement_id) if row else None
        names = [a.name for a in await artefacts_of(session, row.deliverable_id)] if row else []
        contact = await session.get(Contact, row.contact_id) if row and row.contact_id else None
    if row is None or deliverable is None or led is None or not row.email:
        return "gone"
    if row.outcome != RequestOutcome.open and row.status in UNSENT:
        return "closed"  # answered or lapsed before its mail went: no warning of a deadline that no longer runs
    if contact is None or not contact.portal_access or contact.email != row.email:
        await _lapse_unsent(maker, row.id)  # the contact's reactions lapse it too; this one was unsent
        return "unreachable"
    await _deadline_from_today(maker, row)
    engagement, client, lead_name = led
    lang = row.language

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    deadline = Formatter(lang).date(row.deadline) or ""
    lines = [
        say("greeting", name=contact.name) if contact else say("greeting_anonymous"),
        say("acceptance_request_intro", title=deliverable.title, engagement=engagement.title),
        *([say("acceptance_request_artefacts", names=", ".join(names))] if names else []),
        say("acceptance_request_deadline", deadline=deadline),
        say("acceptance_request_deemed", deadline=deadline),
    ]
    sent = await deliver(
        maker,
        settings,
        ledger,
        mailer,
        row,
        "acceptance-request",
        lambda message_id: notice(
            lang=lang,
            title=say("acceptance_request_title"),
            lines=lines,
            link_label=say("acceptance_request_link"),
            url=settings.link(f"/portal/engagements/{engagement.id}#deliverable-{deliverable.id}"),
            subject=say("acceptance_request_subject", title=deliverable.title, deadline=deadline),
            sender_name=lead_name or settings.brand_name,
            sender=settings.mail_from,
            recipient_name=contact.name if contact else "",
            recipient_email=row.email or "",
            message_id=message_id,
        ),
    )
    if sent == "bounced":  # nobody got it: no deadline runs, and the team may ask again
        await _lapse_unsent(maker, row.id)
    return sent


async def _lapse_unsent(maker: async_sessionmaker[AsyncSession], request_id: int) -> None:
    async with unit_of_work(maker) as session:
        await close_requests(session, col(DeliverableAcceptanceRequest.id) == request_id, RequestOutcome.lapsed)


async def _deadline_from_today(maker: async_sessionmaker[AsyncSession], row: DeliverableAcceptanceRequest) -> None:
    """The client has the days asked for from the day the mail goes out: a mail delayed (an SMTP
    outage, a queue down) moves the deadline it states, and the one the job deems by."""
    if row.status not in UNSENT:
        return
    later = today() + timedelta(days=row.deadline_days)
    if later <= row.deadline:
        return
    async with unit_of_work(maker) as session:
        await session.exec(
            update(DeliverableAcceptanceRequest)
            .where(
                col(DeliverableAcceptanceRequest.id) == row.id,
                col(DeliverableAcceptanceRequest.deadline) < later,
                col(DeliverableAcceptanceRequest.status).in_(UNSENT),
            )
            .values(deadline=later)
        )
    row.deadline = later


async def send_notice(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, notice_id: int
) -> str:
    async with maker() as session:
        row = await session.get(AcceptanceNotice, notice_id)
        acceptance = await session.get(DeliverableAcceptance, row.acceptance_id) if row and row.acceptance_id else None
        deliverable = await session.get(Deliverable, row.deliverable_id) if row else None
        led = await with_lead(session, deliverable.engagement_id) if deliverable else None
    if row is None or deliverable is None or led is None or (row.acceptance_id is not None and acceptance is None):
        return "gone"
    engagement, client, lead_name = led
    if acceptance is None:  # the client refused the Abnahme
        compose = partial(_refusal, settings, row, deliverable, engagement, client.name, lead_name)
    else:
        compose = partial(_notice, settings, row, acceptance, deliverable, engagement, client.name, lead_name)
    return await deliver(maker, settings, ledger, mailer, row, "acceptance-notice", compose)


def _refusal(
    settings: Settings,
    row: AcceptanceNotice,
    deliverable: Deliverable,
    engagement: Any,
    client_name: str,
    lead_name: str,
    message_id: str,
) -> Any:
    lang = row.language

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    return notice(
        lang=lang,
        title=say("acceptance_refused_title"),
        lines=[
            say("greeting", name=lead_name) if lead_name else say("greeting_anonymous"),
            say("acceptance_refused", title=deliverable.title, name=row.name or client_name),
            say("proposal_reason", reason=row.reason or "—"),
            say("acceptance_refused_next"),
        ],
        link_label=say("acceptance_link_team"),
        url=settings.link(f"/engagements/{engagement.id}#deliverables"),
        subject=say("acceptance_refused_subject", title=deliverable.title, client=client_name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=lead_name,
        recipient_email=row.email,
        message_id=message_id,
    )


def _notice(
    settings: Settings,
    row: AcceptanceNotice,
    acceptance: DeliverableAcceptance,
    deliverable: Deliverable,
    engagement: Any,
    client_name: str,
    lead_name: str,
    message_id: str,
) -> Any:
    lang = row.language

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    when = Formatter(lang).datetime(acceptance.accepted_at)
    team = row.audience == "team"
    if acceptance.mode == AcceptanceMode.deemed:
        how = say("acceptance_deemed", title=deliverable.title, when=when)
    elif acceptance.mode == AcceptanceMode.recorded:
        how = say("acceptance_recorded", title=deliverable.title, when=when, name=acceptance.accepted_by or client_name)
    else:
        how = say("acceptance_given", title=deliverable.title, when=when, name=acceptance.accepted_by or client_name)
    lines = [
        say("greeting", name=(lead_name if team else row.name))
        if (lead_name if team else row.name)
        else say("greeting_anonymous"),
        how,
        *([say("acceptance_reservations", text=acceptance.reservations)] if acceptance.reservations else []),
        say("acceptance_protocol_ready"),
    ]
    url = (
        settings.link(f"/engagements/{engagement.id}#deliverables")
        if team
        else settings.link(f"/portal/engagements/{engagement.id}#deliverable-{deliverable.id}")
    )
    return notice(
        lang=lang,
        title=say("acceptance_title"),
        lines=[line for line in lines if line],
        link_label=say("acceptance_link"),
        url=url,
        subject=say("acceptance_subject", title=deliverable.title, client=client_name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=(lead_name if team else row.name) or "",
        recipient_email=row.email,
        message_id=message_id,
    )
