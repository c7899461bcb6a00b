"""Budget alerts: when recorded time takes an engagement across one of its thresholds (50, 80
and 100 % by default), the crossing is recorded once — in the same transaction as the time, under
a unique key, with an audit event — and a job mails the lead consultant exactly once
(kernel/delivery.py). Time taken off again does not take an alert back."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import with_lead
from backend.domains.timesheets.burn import Burn
from backend.domains.timesheets.models import BurnAlert
from backend.domains.timesheets.reading import burns, engagement_burn
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, hold
from backend.kernel.delivery import DeliveryStatus, deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.outbox import plan
from backend.kernel.queue import SentLedger

DEFERRED = "burn_alerts_deferred"  # session.info: engagements to look at once, at the end


async def after_time_written(session: AsyncSession, row: Any, user: Actor) -> None:
    """The time entries' hook (created or changed): look at the engagement's thresholds now,
    or once at the end of a bulk write that asked for it."""
    deferred = session.info.get(DEFERRED)
    if deferred is not None:
        deferred.add(row.engagement_id)
        return
    await note_crossings(session, user, [row.engagement_id])


async def note_crossings(session: AsyncSession, user: Actor, engagement_ids: Iterable[int]) -> list[BurnAlert]:
    """Record each threshold the engagements' burn has reached and no alert holds yet, and plan
    its mail. Two writes at the same moment record it once (the unique key)."""
    ids = sorted(set(engagement_ids))
    if not ids:
        return []
    # One engagement's time written at the same moment is looked at one write after the other:
    # the second then counts the first one's time too, so a crossing between them is not missed.
    await hold(session, Engagement, ids)
    engagements = list((await session.exec(select(Engagement).where(col(Engagement.id).in_(ids)))).all())
    held = set(
        (
            await session.exec(
                select(BurnAlert.engagement_id, BurnAlert.threshold).where(col(BurnAlert.engagement_id).in_(ids))
            )
        ).all()
    )
    due = [e for e in engagements if any((e.id, t) not in held for t in e.burn_alerts)]
    if not due:
        return []
    figures = await burns(session, due)
    leads = {e.lead_consultant_id for e in due if e.lead_consultant_id is not None}
    emails = (
        dict((await session.exec(select(User.id, User.email).where(col(User.id).in_(leads)))).all()) if leads else {}
    )
    noted = []
    for engagement in due:
        burn = figures[engagement.id]
        for threshold in engagement.burn_alerts:
            if (engagement.id, threshold) in held or burn.used_pct is None or burn.used_pct < threshold:
                continue
            email = emails.get(engagement.lead_consultant_id) if engagement.lead_consultant_id else None
            alert = BurnAlert(
                engagement_id=engagement.id,
                threshold=threshold,
                used_pct=burn.used_pct,
                email=email,
                status=DeliveryStatus.pending if email else DeliveryStatus.bounced,
                last_error=None if email else "the engagement has no lead consultant to tell",
            )
            stored = await add_unless_taken(session, alert)
            if stored is None:
                continue  # a write at the same moment recorded it
            await record(
                session,
                actor=user,
                action="burn_alert",
                entity_type="engagement",
                entity_id=engagement.id,
                after={"threshold": threshold, "used_pct": str(burn.used_pct), "alert_id": stored.id},
            )
            if email:
                # Job ids live on after their rows (a week in the outbox): one of its own, never an id again.
                job_id = f"burn-alert:{stored.id}:{secrets.token_hex(4)}"
                await plan(session, "send_burn_alert", stored.id, job_id=job_id)
            noted.append(stored)
    return noted


async def send_alert(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    ledger: SentLedger,
    alert_id: int,
) -> str:
    """Mail one alert, exactly once: a second run, or one after a worker died, sends nothing
    the first one sent. Returns what happened."""
    async with maker() as session:
        alert = await session.get(BurnAlert, alert_id)
        led = await with_lead(session, alert.engagement_id) if alert else None
        burn = await engagement_burn(session, led[0]) if led else None
    if alert is None or led is None or burn is None or not alert.email:
        return "gone"
    engagement, client, lead_name = led
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        alert,
        "burn-alert",
        lambda message_id: _message(settings, alert, engagement, client, lead_name, burn, message_id),
    )


def _message(
    settings: Settings,
    alert: BurnAlert,
    engagement: Engagement,
    client: Client,
    lead_name: str,
    burn: Burn,
    message_id: str,
    lang: str = "de",  # the team's language: the product's pages and mails for it are German first
) -> Any:
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    def amount(value: Decimal | None) -> str:
        if burn.unit == "EUR":
            return fmt.money(value) or "—"
        return say("burn_alert_days", n=fmt.number(value) or "—")

    pct = f"{alert.threshold} %"
    url = settings.link(f"/engagements/{engagement.id}#burn")
    lines = [
        say("greeting", name=lead_name) if lead_name else say("greeting_anonymous"),
        say("burn_alert_intro", engagement=engagement.title, client=client.name, pct=pct),
        say(
            "burn_alert_figures",
            spent=amount(burn.spent),
            budget=amount(burn.budget),
            used=f"{fmt.number(alert.used_pct, 0)} %",
            elapsed=f"{fmt.number(burn.elapsed_pct, 0)} %",
            forecast=amount(burn.forecast),
        ),
    ]
    return notice(
        lang=lang,
        title=say("burn_alert_title", pct=pct),
        lines=lines,
        link_label=say("burn_alert_link"),
        url=url,
        subject=say("burn_alert_subject", pct=pct, engagement=engagement.title, client=client.name),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=lead_name,
        recipient_email=alert.email or "",
        message_id=message_id,
    )
