from __future__ import annotations

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import (
    LEVERS,
    AssessmentPhase,
    AssessmentRead,
    Client,
    Contact,
    ReadinessAssessment,
    ReadinessComparison,
)
from backend.kernel.db import select_all
from backend.kernel.errors import Invalid


async def require_contact_of_client(
    session: AsyncSession, *, contact_id: int | None, client_id: int | None, path: str
) -> None:
    """Contacts can only be linked to rows of their own client."""
    if contact_id is None:
        return
    owner = (await session.exec(select(Contact.client_id).where(Contact.id == contact_id))).first()
    if owner is None or owner != client_id:
        raise Invalid.field(path, f"contact {contact_id} does not belong to this engagement's client")


async def readiness_comparison(session: AsyncSession, engagement_id: int) -> ReadinessComparison:
    rows = (
        await session.exec(select(ReadinessAssessment).where(ReadinessAssessment.engagement_id == engagement_id))
    ).all()
    by_phase = {row.phase: AssessmentRead.model_validate(row) for row in rows}
    start, end = by_phase.get(AssessmentPhase.start), by_phase.get(AssessmentPhase.end)
    delta = None
    if start and end:
        delta = {lever: getattr(end, lever) - getattr(start, lever) for lever in LEVERS}
        delta["total"] = end.total - start.total
    return ReadinessComparison(engagement_id=engagement_id, start=start, end=end, delta=delta)


# What the team's pages list. Enough for any consultancy's book; a runaway list stays fast.
LIST_LIMIT = 200


async def find_clients(session: AsyncSession, text: str = "", *, limit: int = LIST_LIMIT) -> list[Client]:
    """Clients not archived, by name; with `text`, those whose name, city or industry has it."""
    stmt = select(Client).where(col(Client.archived_at).is_(None)).order_by(col(Client.name)).limit(limit)
    if text.strip():
        # autoescape: a typed "%" or "_" is looked for as itself, not as a wildcard.
        found = [col(c).icontains(text.strip(), autoescape=True) for c in (Client.name, Client.city, Client.industry)]
        stmt = stmt.where(or_(*found))
    return list((await session.exec(stmt)).all())


async def get_client(session: AsyncSession, client_id: int) -> Client | None:
    return await session.get(Client, client_id)


async def contacts_of(session: AsyncSession, client_id: int) -> list[Contact]:
    return await select_all(session, Contact, Contact.client_id == client_id, order_by=[Contact.name])


async def assessments_of(session: AsyncSession, client_id: int) -> list[ReadinessAssessment]:
    return await select_all(
        session,
        ReadinessAssessment,
        ReadinessAssessment.client_id == client_id,
        order_by=[ReadinessAssessment.assessed_on],
    )
