"""The team is told of a request a person makes in the portal: its deadline runs from the day it
arrives, so it must not wait unseen for someone to open the privacy page. The data protection
officer is told if one is set (DESK_DPO_EMAIL), else every active admin; each mail once."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import Client
from backend.flows.privacy.models import PrivacyRequest, PrivacyRequestNotice
from backend.flows.privacy.register import person_name
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken
from backend.kernel.delivery import deliver
from backend.kernel.enums import Role
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger

NOTICE_JOB = "mail_privacy_notice"


async def recipients(session: AsyncSession, settings: Settings) -> list[tuple[str | None, str]]:
    """Who answers people's requests: the data protection officer, else the active admins."""
    if settings.dpo_email:
        return [(settings.dpo_name, settings.dpo_email)]
    admins = select(User.full_name, User.email).where(User.role == Role.admin, col(User.is_active).is_(True))
    return [(name, email) for name, email in (await session.exec(admins.order_by(col(User.id)))).all()]


async def tell_team(session: AsyncSession, settings: Settings, request: PrivacyRequest) -> int:
    """Plan one mail per recipient, in the request's own transaction; returns how many."""
    told = 0
    for name, email in await recipients(session, settings):
        row = await add_unless_taken(session, PrivacyRequestNotice(request_id=request.id, email=email, name=name))
        if row is not None:
            await plan(session, NOTICE_JOB, row.id, job_id=f"privacy-notice:{row.id}:{secrets.token_hex(4)}")
            told += 1
    return told


async def send_notice(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, notice_id: int
) -> str:
    async with maker() as session:
        row = await session.get(PrivacyRequestNotice, notice_id)
        request = await session.get(PrivacyRequest, row.request_id) if row else None
        person = await person_name(session, request) if request else None
        client = await session.get(Client, request.client_id) if request and request.client_id else None
    if row is None or request is None:
        return "gone"
    lang = "de"  # the team's language, as the product's other mails to the team
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    right = i18n.say("page", lang, f"right_{request.right}")
    who = f"{person} ({client.name})" if client else (person or f"#{request.subject_id}")

    def compose(message_id: str) -> Any:
        lines = [
            say("greeting", name=row.name) if row.name else say("greeting_anonymous"),
            say("privacy_notice_intro", who=who, right=right, received=fmt.date(request.received_on)),
            say("privacy_notice_due", due=fmt.date(request.due_on)),
        ]
        if request.note:
            lines.append(say("privacy_notice_note", note=request.note))
        return notice(
            lang=lang,
            title=say("privacy_notice_title", right=right),
            lines=lines,
            link_label=say("privacy_notice_link"),
            url=settings.link("/privacy#requests"),
            subject=say("privacy_notice_subject", right=right, due=fmt.date(request.due_on)),
            sender_name=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=row.name or "",
            recipient_email=row.email,
            message_id=message_id,
        )

    return await deliver(maker, settings, ledger, mailer, row, "privacy-notice", compose)
