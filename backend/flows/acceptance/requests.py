"""The team asks the client to accept a delivered deliverable by a deadline (§ 640 (2) BGB):
one open request per deliverable, mailed once to the client's contact; an answer, a deemed
acceptance or a change of the deliverable closes it."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Contact
from backend.domains.deliverables.artefacts import artefacts_of, digest
from backend.domains.deliverables.models import DeliverableStatus
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.flows.acceptance.models import AcceptanceCall, DeliverableAcceptanceRequest, RequestOutcome
from backend.kernel.db import select_all, utcnow
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.outbox import plan
from backend.kernel.time import today

MAIL_JOB = "mail_acceptance_request"
# Engagements whose client sees its deliverables and can still answer for them.
ANSWERABLE = frozenset({EngagementStatus.proposed, EngagementStatus.active})


async def request_acceptance(
    session: AsyncSession, user: Actor, deliverable_id: int, data: AcceptanceCall
) -> DeliverableAcceptanceRequest:
    deliverable = await deliverable_service.get(session, user, deliverable_id)
    if deliverable.status != DeliverableStatus.delivered:
        raise Conflict(
            f"“{deliverable.title}” is {deliverable.status}: acceptance is requested for delivered work",
            key="acceptance_not_delivered",
            title=deliverable.title,
            status=deliverable.status,
        )
    if (current := await open_request_of(session, deliverable.id)) is not None:
        raise Conflict(
            f"acceptance of “{deliverable.title}” was requested already, with a deadline of "
            f"{current.deadline:%d.%m.%Y}",
            key="acceptance_requested_already",
            deadline=current.deadline,
        )
    engagement = await session.get(Engagement, deliverable.engagement_id)
    assert engagement is not None  # the deliverable's parent
    if engagement.status not in ANSWERABLE:
        # The client must be able to see the work and name a defect: not in a draft (the team's
        # own), nor once the engagement ended.
        raise Conflict(
            f"engagement {engagement.id} is {engagement.status}: the client cannot answer a request for acceptance",
            key="acceptance_engagement_closed",
            status=engagement.status,
        )
    contact = await _addressee(session, engagement.client_id, data.contact_id)
    day = today()
    row = DeliverableAcceptanceRequest(
        deliverable_id=deliverable.id,
        engagement_id=engagement.id,
        contact_id=contact.id,
        email=contact.email,
        language=contact.language,
        deadline_days=data.deadline_days,
        deadline=day + timedelta(days=data.deadline_days),
        requested_by_id=getattr(user, "id", None),
        requested_at=utcnow(),
        artefacts_sha256=digest(await artefacts_of(session, deliverable.id)),
        open_key=deliverable.id,
    )
    session.add(row)
    await session.flush()  # the open key: of two requests at once, one is written
    await plan(session, MAIL_JOB, row.id, job_id=f"acceptance-request:{row.id}:{secrets.token_hex(4)}")
    await record(
        session,
        actor=user,
        action="request_acceptance",
        entity_type="deliverable",
        entity_id=deliverable.id,
        after=snapshot(row),
    )
    return row


async def open_request_of(session: AsyncSession, deliverable_id: int) -> DeliverableAcceptanceRequest | None:
    found = await session.exec(
        select(DeliverableAcceptanceRequest).where(DeliverableAcceptanceRequest.open_key == deliverable_id)
    )
    return found.first()


async def requests_of(session: AsyncSession, engagement_id: int) -> list[DeliverableAcceptanceRequest]:
    return await select_all(
        session,
        DeliverableAcceptanceRequest,
        DeliverableAcceptanceRequest.engagement_id == engagement_id,
        order_by=col(DeliverableAcceptanceRequest.id).desc(),
    )


async def close_open(
    session: AsyncSession, deliverable_id: int, outcome: RequestOutcome
) -> DeliverableAcceptanceRequest | None:
    """Close the deliverable's open request with `outcome`, in the statement (one closer wins)."""
    closed = await close_requests(session, col(DeliverableAcceptanceRequest.open_key) == deliverable_id, outcome)
    return await session.get(DeliverableAcceptanceRequest, closed[0], populate_existing=True) if closed else None


async def close_requests(session: AsyncSession, condition: Any, outcome: RequestOutcome) -> list[int]:
    """Close the open requests that meet `condition`; the ids of those this statement closed."""
    rows = await session.exec(
        update(DeliverableAcceptanceRequest)
        .where(condition, col(DeliverableAcceptanceRequest.open_key).is_not(None))
        .values(open_key=None, outcome=outcome, closed_at=utcnow())
        .returning(col(DeliverableAcceptanceRequest.id))
    )
    return [row[0] for row in rows.all()]


async def _addressee(session: AsyncSession, client_id: int, contact_id: int | None) -> Contact:
    contacts = list(await session.exec(select(Contact).where(Contact.client_id == client_id).order_by(col(Contact.id))))
    # Asked to accept or name a defect in the portal, the contact must be able to sign in there.
    if contact_id is not None:
        named = next((c for c in contacts if c.id == contact_id), None)
        if named is None:
            raise Invalid.field("body.contact_id", f"the client has no contact {contact_id}")
        if not named.portal_access:
            raise Invalid.field(
                "body.contact_id",
                f"{named.name} has no portal access: give it first, or ask another contact",
                key="acceptance_contact_without_portal",
                name=named.name,
            )
        return named
    for contact in sorted(contacts, key=lambda c: not c.is_ai_owner):
        if contact.portal_access:
            return contact
    raise Conflict(
        "no contact of the client has portal access, where acceptance is given: give one access first",
        key="acceptance_no_contact",
    )
