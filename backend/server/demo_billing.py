"""The demo engagement's accepted proposal: a rendered version the client contact accepted
before the start, so its fee's milestones can be invoiced from the first minute."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Contact
from backend.domains.engagements.models import Engagement
from backend.flows.documents import builders
from backend.flows.documents.data import valid_until
from backend.flows.documents.models import Document, DocumentKind, DocumentStatus
from backend.flows.documents.render import render
from backend.flows.documents.service import filename_for
from backend.flows.portal.models import ProposalAcceptance
from backend.kernel.config import get_settings


async def accepted_proposal(
    session: AsyncSession, engagement: Engagement, signer: Contact, author_id: int, sent: datetime, accepted: datetime
) -> Document:
    settings = get_settings()
    data = await builders.build(
        session,
        engagement_id=engagement.id,
        kind=DocumentKind.proposal,
        lang="de",
        number=1,
        settings=settings,
        now=sent,
    )
    pdf = render("proposal", data)
    document = Document(
        engagement_id=engagement.id,
        kind=DocumentKind.proposal,
        number=1,
        status=DocumentStatus.ready,
        filename=filename_for(data),
        template="proposal",
        content=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        data_snapshot=data,
        fingerprint=await builders.fingerprint(
            session, data, engagement_id=engagement.id, kind=DocumentKind.proposal, settings=settings, now=sent
        ),
        created_by_id=author_id,
        valid_until=valid_until(settings, sent),
        sent_at=sent,
    )
    session.add(document)
    await session.flush()
    session.add(
        ProposalAcceptance(
            engagement_id=engagement.id,
            document_id=document.id,
            document_number=1,
            document_sha256=document.sha256 or "",
            contact_id=signer.id,
            typed_name=signer.name,
            accepted_at=accepted,
        )
    )
    await session.flush()
    return document
