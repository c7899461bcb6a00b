"""How the Abnahme follows changes elsewhere, in the same transaction: work that was accepted
keeps its engagement, and a request whose client can no longer answer it lapses, so that no
deadline passes for someone who could not name a defect."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client, Contact
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.flows.acceptance.models import DeliverableAcceptance, DeliverableAcceptanceRequest, RequestOutcome
from backend.flows.acceptance.requests import close_requests
from backend.kernel.errors import Conflict

# Where the client can no longer see or answer for the work.
UNANSWERABLE = frozenset({EngagementStatus.draft, EngagementStatus.cancelled})


async def keep_accepted_work(session: AsyncSession, resource: str, row: Any) -> None:
    """An Abnahme is a record of the contract: its engagement and deliverable stay."""
    column = {"engagements": DeliverableAcceptance.engagement_id, "deliverables": DeliverableAcceptance.deliverable_id}
    if resource not in column:
        return
    count = int((await session.exec(select(func.count()).where(column[resource] == row.id))).one())
    if count:
        raise Conflict(f"{count} accepted deliverable(s) with their Abnahme belong to it: it cannot be deleted")


async def contact_unreachable(session: AsyncSession, contact: Contact, actor: Any) -> None:
    """The contact lost portal access, changed address or went: its open requests lapse (the
    team asks again, of whom it can reach)."""
    await _lapse(session, col(DeliverableAcceptanceRequest.contact_id) == contact.id)


async def client_archived(session: AsyncSession, client: Client, actor: Any) -> None:
    engagements = select(Engagement.id).where(Engagement.client_id == client.id)
    await _lapse(session, col(DeliverableAcceptanceRequest.engagement_id).in_(engagements))


async def engagement_moved(session: AsyncSession, engagement: Engagement, actor: Any, before: str) -> None:
    """Back to draft (a decline) or cancelled: the client no longer sees the work."""
    if engagement.status in UNANSWERABLE:
        await _lapse(session, col(DeliverableAcceptanceRequest.engagement_id) == engagement.id)


async def _lapse(session: AsyncSession, condition: Any) -> None:
    await close_requests(session, condition, RequestOutcome.lapsed)
