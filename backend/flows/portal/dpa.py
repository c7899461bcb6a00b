"""The client accepts the data processing agreement (AVV) in the portal, version by version, as
a proposal is accepted: a typed name, the version's SHA-256 and the contract texts it rests on."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Principal
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import refuse_replaced
from backend.flows.portal.models import DpaAcceptance, DpaAcceptanceRequest
from backend.flows.portal.statements import Signer
from backend.kernel.db import add_unless_taken, utcnow
from backend.kernel.errors import Conflict


async def dpa_acceptances_of(session: AsyncSession, engagement_id: int) -> list[DpaAcceptance]:
    stmt = select(DpaAcceptance).where(DpaAcceptance.engagement_id == engagement_id)
    return list((await session.exec(stmt.order_by(col(DpaAcceptance.id).desc()))).all())


async def accept_dpa(
    session: AsyncSession, user: Principal, document_id: int, data: DpaAcceptanceRequest, signer: Signer
) -> DpaAcceptance:
    document = await document_service.get(session, user, document_id)
    if document.kind != DocumentKind.dpa or document.sha256 is None or document.sent_at is None:
        raise Conflict("Only a sent data processing agreement can be accepted here.", key="refused_not_dpa")
    await _refuse_if_accepted(session, document)
    await refuse_replaced(session, document, what="agreement", answer="accept", key="refused_dpa_superseded")
    row = DpaAcceptance(
        document_id=document.id,
        engagement_id=document.engagement_id,
        document_number=document.number,
        document_sha256=document.sha256,
        agreements=list((document.data_snapshot or {}).get("dpa", {}).get("agreements", [])),
        contact_id=user.contact_id,
        user_id=user.id,
        typed_name=data.typed_name.strip(),
        ip_address=signer.ip,
        user_agent=(signer.user_agent or "")[:500] or None,
        accepted_at=utcnow(),
    )
    # Of two acceptances at once the unique key keeps one; the other is told who accepted.
    stored = await add_unless_taken(session, row)
    if stored is None:
        await _refuse_if_accepted(session, document)
        raise Conflict("This agreement was accepted at the same moment.", key="refused_dpa_same_moment")
    await record(
        session, actor=user, action="accept_dpa", entity_type="document", entity_id=document.id, after=snapshot(stored)
    )
    return stored


async def _refuse_if_accepted(session: AsyncSession, document: Document) -> None:
    done = (await session.exec(select(DpaAcceptance).where(DpaAcceptance.document_id == document.id))).first()
    if done is not None:
        raise Conflict(
            f"This agreement (version {done.document_number}) was accepted on {done.accepted_at:%Y-%m-%d} "
            f"by {done.typed_name}.",
            key="refused_dpa_accepted",
            when=done.accepted_at,
            name=done.typed_name,
            n=done.document_number,
        )
