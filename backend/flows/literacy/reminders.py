"""The AI owner's monthly reminder: once a month, when someone at the client needs training or
a refresher (the register's due list), its AI owner contact is mailed who and why. Once per
client and month is a unique key, so a daily job that runs twice, or two workers, send one."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client, Contact
from backend.flows.literacy.models import LiteracyReminder
from backend.flows.literacy.register import Register, register_of
from backend.flows.literacy.register_files import reason_words
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, unit_of_work
from backend.kernel.delivery import deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger

MAIL_JOB = "mail_literacy_reminder"
LISTED = 25  # names in the mail; the register has them all


async def _owner(session: AsyncSession, client_id: int) -> Contact | None:
    found = await session.exec(
        select(Contact)
        .where(Contact.client_id == client_id, col(Contact.is_ai_owner).is_(True))
        .order_by(col(Contact.id))
    )
    return found.first()


async def plan_reminders(maker: async_sessionmaker[AsyncSession], settings: Settings, day: date) -> dict[str, int]:
    month, planned = day.strftime("%Y-%m"), 0
    async with maker() as session:
        clients = list((await session.exec(select(Client).where(col(Client.archived_at).is_(None)))).all())
    for client in clients:
        async with unit_of_work(maker) as session:
            owner = await _owner(session, client.id or 0)
            if owner is None:
                continue
            found = await register_of(session, client, as_of=day, refresh_months=settings.literacy_refresh_months)
            people = {d.participant_id for d in found.due}
            if not people:
                continue
            row = await add_unless_taken(
                session,
                LiteracyReminder(
                    client_id=client.id, month=month, contact_id=owner.id, email=owner.email,
                    language=owner.language, due=len(people),
                ),
            )  # fmt: skip
            if row is not None:
                planned += 1
                await plan(session, MAIL_JOB, row.id, job_id=f"literacy-reminder:{row.id}:{secrets.token_hex(3)}")
    return {"planned": planned}


def _lines(register: Register, lang: str) -> list[str]:
    fmt = Formatter(lang)
    lines = [f"– {d.name}: {reason_words(fmt, lang, d)}" for d in register.due[:LISTED]]
    if len(register.due) > LISTED:
        lines.append(i18n.say("mail", lang, "literacy_more", count=len(register.due) - LISTED))
    return lines


async def send_reminder(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, row_id: int
) -> str:
    async with maker() as session:
        row = await session.get(LiteracyReminder, row_id)
        client = await session.get(Client, row.client_id) if row else None
        owner = await session.get(Contact, row.contact_id) if row and row.contact_id else None
        if row is None or client is None:
            return "gone"
        found = await register_of(
            session, client, as_of=row.created_at.date(), refresh_months=settings.literacy_refresh_months
        )
    if owner is None or owner.email != row.email or not owner.is_ai_owner:
        return "stale"
    lang = row.language

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        row,
        "literacy-reminder",
        lambda message_id: notice(
            lang=lang,
            title=say("literacy_title"),
            lines=[
                say("greeting", name=owner.name),
                say("literacy_intro", count=len({d.participant_id for d in found.due}), client=client.name),
                "\n".join(_lines(found, lang)),
                say("literacy_next"),
            ],
            link_label=say("literacy_link"),
            url=settings.link("/portal/ai-literacy"),
            subject=say("literacy_subject", client=client.name),
            sender_name=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=owner.name,
            recipient_email=row.email,
            message_id=message_id,
        ),
    )
