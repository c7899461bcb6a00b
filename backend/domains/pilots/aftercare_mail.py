"""The mails after go-live, each sent exactly once (kernel/delivery.py): the checkpoint's request
to the client's owner of the pilot, and a slip's alert to the lead consultant."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import with_lead
from backend.domains.pilots.aftercare import ends_on, rounds_of_checkpoint
from backend.domains.pilots.aftercare_models import Checkpoint, SlipAlert
from backend.domains.pilots.models import Kpi, Measurement, Pilot
from backend.domains.pilots.timing import round_path
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.delivery import deliver
from backend.kernel.formatting import Formatter
from backend.kernel.mail import Mailer
from backend.kernel.mail_layout import notice
from backend.kernel.queue import SentLedger


async def send_checkpoint(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, checkpoint_id: int
) -> str:
    async with maker() as session:
        checkpoint = await session.get(Checkpoint, checkpoint_id)
        pilot = await session.get(Pilot, checkpoint.pilot_id) if checkpoint else None
        led = await with_lead(session, pilot.engagement_id) if pilot else None
        rounds = await rounds_of_checkpoint(session, checkpoint) if checkpoint else []
        kpis = list((await session.exec(select(Kpi).where(Kpi.pilot_id == pilot.id))).all()) if pilot else []
    if checkpoint is None or pilot is None or led is None or not checkpoint.email:
        return "gone"
    engagement, _client, lead_name = led
    timed = {k.id for k, _ in rounds}
    others = [row.name for row in kpis if row.id not in timed]
    return await deliver(
        maker,
        settings,
        ledger,
        mailer,
        checkpoint,
        "checkpoint",
        lambda message_id: _checkpoint_message(
            settings, checkpoint, pilot, engagement, lead_name, rounds, others, message_id
        ),
    )


def _checkpoint_message(
    settings: Settings,
    checkpoint: Checkpoint,
    pilot: Pilot,
    engagement: Engagement,
    lead_name: str,
    rounds: list[Any],
    others: list[str],
    message_id: str,
) -> Any:
    lang = checkpoint.language if checkpoint.language in i18n.LANGUAGES else "de"
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    lines = [
        say("greeting", name=checkpoint.name) if checkpoint.name else say("greeting_anonymous"),
        say(
            "checkpoint_intro",
            days=checkpoint.days,
            engagement=engagement.title,
            end=fmt.date(ends_on(engagement)),
            pilot=pilot.title,
        ),
    ]
    for kpi, row in rounds:
        url = settings.link(round_path(settings.secret_key, row))
        lines.append(say("checkpoint_round", kpi=kpi.name, task=row.task, until=fmt.date(row.closes_on), url=url))
    if others:
        lines.append(say("checkpoint_others", kpis=", ".join(others), lead=lead_name or settings.brand_name))
    lines.append(say("checkpoint_anonymous"))
    return notice(
        lang=lang,
        title=say("checkpoint_title", days=checkpoint.days),
        lines=lines,
        link_label=say("checkpoint_link"),
        url=settings.link(f"/portal/engagements/{engagement.id}#results"),
        subject=say("checkpoint_subject", days=checkpoint.days, pilot=pilot.title),
        sender_name=settings.brand_name,
        sender=settings.mail_from,
        recipient_name=checkpoint.name or "",
        recipient_email=checkpoint.email or "",
        message_id=message_id,
    )


async def send_slip_alert(
    maker: async_sessionmaker[AsyncSession], settings: Settings, mailer: Mailer, ledger: SentLedger, alert_id: int
) -> str:
    async with maker() as session:
        alert = await session.get(SlipAlert, alert_id)
        kpi = await session.get(Kpi, alert.kpi_id) if alert else None
        pilot = await session.get(Pilot, kpi.pilot_id) if kpi else None
        led = await with_lead(session, pilot.engagement_id) if pilot else None
        measured = await session.get(Measurement, alert.measurement_id) if alert else None
    if alert is None or kpi is None or pilot is None or led is None or measured is None or not alert.email:
        return "gone"
    engagement, client, lead_name = led
    lang = "de"  # the team's language: the product's mails to the team are German first
    fmt = Formatter(lang)

    def say(key: str, **values: object) -> str:
        return i18n.say("mail", lang, key, **values)

    def compose(message_id: str) -> Any:
        unit = str(kpi.unit)
        return notice(
            lang=lang,
            title=say("slip_title", kpi=kpi.name),
            lines=[
                say("greeting", name=lead_name) if lead_name else say("greeting_anonymous"),
                say(
                    "slip_intro",
                    kpi=kpi.name,
                    pilot=pilot.title,
                    client=client.name,
                    kept=f"{fmt.number(alert.kept_percent, 1)} %",
                    then=fmt.quantity(alert.at_go_live, unit),
                    now=fmt.quantity(alert.now, unit),
                    day=fmt.date(measured.measured_on),
                ),
                say("slip_next"),
            ],
            link_label=say("slip_link"),
            url=settings.link(f"/pilots/{pilot.id}#sustained"),
            subject=say("slip_subject", kpi=kpi.name, pilot=pilot.title, client=client.name),
            sender_name=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=lead_name,
            recipient_email=alert.email or "",
            message_id=message_id,
        )

    return await deliver(maker, settings, ledger, mailer, alert, "slip-alert", compose)
