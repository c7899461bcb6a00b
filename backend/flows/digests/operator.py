"""`desk send-digests`: the weekly run on demand, in-process, for operators."""

from __future__ import annotations

from backend.domains.engagements.models import Engagement
from backend.flows.digests.models import DeliveryStatus, DigestDelivery
from backend.flows.digests.service import active_engagement_ids, recipients, send_digest
from backend.flows.documents.render import shared_pool
from backend.kernel.config import Settings
from backend.kernel.db import make_engine, make_sessionmaker, select_all
from backend.kernel.ledger import Ledger
from backend.kernel.mail import make_mailer
from backend.kernel.time import current_week


async def send_digests_now(
    settings: Settings, iso_week: str | None, engagement_ids: list[int], *, dry_run: bool
) -> list[str]:
    week = iso_week or current_week()
    engine = make_engine(settings.database_url)
    maker = make_sessionmaker(engine)
    lines = [f"weekly digests for {week}{' (dry run: nothing is sent or written)' if dry_run else ''}"]
    renderer, ledger = shared_pool(), Ledger(settings.database_url)
    try:
        async with maker() as session:
            ids = engagement_ids or await active_engagement_ids(session, week)
        for engagement_id in ids:
            if dry_run:
                lines += await _preview(maker, engagement_id, week)
                continue
            outcome = await send_digest(
                maker, settings, make_mailer(settings.smtp_url), renderer, ledger, engagement_id, week
            )
            lines.append(
                f"engagement {engagement_id}: {outcome.state}, sent {outcome.sent}, already sent "
                f"{outcome.already_sent}, failed {outcome.failed}, bounced {outcome.bounced}"
                + "".join(f"\n  error: {e}" for e in outcome.errors)
            )
    finally:
        ledger.close()
        await engine.dispose()
    return lines


async def _preview(maker, engagement_id: int, week: str) -> list[str]:
    async with maker() as session:
        engagement = await session.get(Engagement, engagement_id)
        if engagement is None:
            return [f"engagement {engagement_id}: not found"]
        done = {
            d.contact_id: d.status
            for d in await select_all(
                session, DigestDelivery, DigestDelivery.engagement_id == engagement_id, DigestDelivery.iso_week == week
            )
        }
        contacts = await recipients(session, engagement.client_id)
    lines = [f"engagement {engagement_id} ({engagement.title}, {engagement.status}):"]
    for contact in contacts:
        state = done.get(contact.id)
        action = "already sent" if state == DeliveryStatus.sent else f"would send ({state or 'new'})"
        lines.append(f"  {contact.name} <{contact.email}> [{contact.language}]: {action}")
    if not contacts:
        lines.append("  no contact receives digests")
    return lines
