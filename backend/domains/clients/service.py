from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import (
    LEVERS,
    AssessmentPhase,
    AssessmentRead,
    Contact,
    ReadinessAssessment,
    ReadinessComparison,
)
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
