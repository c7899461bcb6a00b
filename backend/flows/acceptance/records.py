"""An Abnahme recorded once, whichever way it came about: the client's sign-off (explicit), a
team member's record of an acceptance given otherwise (recorded), or the deadline of a request
passing without a defect named (deemed, § 640 (2) BGB). Each pins the artefacts as they were,
closes the open request, has its protocol rendered and the sides told, all planned in the
same transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client, Contact
from backend.domains.deliverables.artefacts import artefacts_of, digest, pinned
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.engagements.models import Engagement, EngagementStatus
from backend.domains.engagements.service import lead_email
from backend.flows.acceptance.models import (
    AcceptanceMode,
    AcceptanceNotice,
    DeliverableAcceptance,
    DeliverableAcceptanceFile,
    DeliverableAcceptanceRequest,
    RequestOutcome,
)
from backend.flows.acceptance.protocol import protocol_data
from backend.flows.acceptance.requests import close_open
from backend.flows.documents.render import shared_pool
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, compare_and_set, select_all, unit_of_work, utcnow
from backend.kernel.delivery import RETRY_WINDOW, UNSENT, DeliveryStatus
from backend.kernel.enums import Role
from backend.kernel.errors import NotFound
from backend.kernel.outbox import plan

PROTOCOL_JOB = "render_acceptance_protocol"
# Engagements the client sees (and answers for) whose work can be deemed accepted.
DEEMABLE = frozenset({EngagementStatus.proposed, EngagementStatus.active, EngagementStatus.completed})
NOTICE_JOB = "mail_acceptance_notice"


async def acceptance_of(session: AsyncSession, deliverable_id: int) -> DeliverableAcceptance | None:
    found = await session.exec(
        select(DeliverableAcceptance).where(DeliverableAcceptance.deliverable_id == deliverable_id)
    )
    return found.first()


async def acceptances_of(session: AsyncSession, engagement_id: int) -> list[DeliverableAcceptance]:
    return await select_all(session, DeliverableAcceptance, DeliverableAcceptance.engagement_id == engagement_id)


async def protocol_of(
    session: AsyncSession, settings: Settings, user: Actor, deliverable_id: int
) -> tuple[DeliverableAcceptance, bytes]:
    """The deliverable's Abnahmeprotokoll, for the team and the deliverable's client."""
    deliverable = await deliverable_service.get(session, user, deliverable_id)  # 404 for another client's
    row = await acceptance_of(session, deliverable.id)
    if row is None:
        raise NotFound(f"“{deliverable.title}” has not been accepted")
    stored = await session.get(DeliverableAcceptanceFile, row.id)
    # Not rendered yet (the job is under way or the worker is down): made now, and kept.
    return row, stored.pdf if stored is not None else await _kept_protocol(session, settings, row)


async def deliverable_moved(session: AsyncSession, deliverable: Deliverable, actor: Actor, before: str) -> None:
    """What a deliverable's move means for its Abnahme (the deliverables domain's hook)."""
    if deliverable.status == DeliverableStatus.accepted:
        by_client = getattr(actor, "role", None) == Role.client
        await record_acceptance(
            session,
            deliverable,
            mode=AcceptanceMode.explicit if by_client else AcceptanceMode.recorded,
            actor=actor,
        )
    elif deliverable.status == DeliverableStatus.rejected:
        await close_open(session, deliverable.id, RequestOutcome.rejected)
        if getattr(actor, "role", None) == Role.client:
            await _plan_rejection_notice(session, deliverable, actor)


async def record_acceptance(
    session: AsyncSession,
    deliverable: Deliverable,
    *,
    mode: AcceptanceMode,
    actor: Actor | None,
    request: DeliverableAcceptanceRequest | None = None,
) -> DeliverableAcceptance:
    engagement = await session.get(Engagement, deliverable.engagement_id)
    assert engagement is not None  # the deliverable's parent
    closed = await close_open(
        session, deliverable.id, RequestOutcome.deemed if mode == AcceptanceMode.deemed else RequestOutcome.accepted
    )
    request = request or closed
    # Who accepted: the contact who signed off; nobody for a deemed acceptance (its notice goes
    # to the contact asked); "the client" when the team recorded it without a name.
    signer = (
        await session.get(Contact, deliverable.signed_off_by_contact_id)
        if deliverable.signed_off_by_contact_id
        else None
    )
    asked = await session.get(Contact, request.contact_id) if request and request.contact_id else None
    contact = signer or (asked if mode == AcceptanceMode.deemed else None)
    by = signer.name if signer else None
    stuff = await artefacts_of(session, deliverable.id)
    row = DeliverableAcceptance(
        deliverable_id=deliverable.id,
        engagement_id=engagement.id,
        mode=mode,
        request_id=request.id if request else None,
        contact_id=signer.id if signer else None,
        user_id=getattr(actor, "id", None),
        accepted_by=by,
        accepted_at=deliverable.signed_off_at or utcnow(),
        reservations=deliverable.reservations,
        artefacts=pinned(stuff),
        artefacts_sha256=digest(stuff),
        language=_language(contact or asked, request),
        record_sha256="",
    )
    row.record_sha256 = record_hash(deliverable, row)
    session.add(row)
    await session.flush()  # the unique key: one Abnahme per deliverable
    await plan(session, PROTOCOL_JOB, row.id, job_id=f"acceptance-protocol:{row.id}")
    await _plan_notices(session, row, contact or asked, request)
    await record(
        session,
        actor=actor,
        action=f"acceptance:{mode}",
        entity_type="deliverable_acceptance",
        entity_id=row.id,
        after=snapshot(row),
    )
    return row


async def deem_accepted(maker: async_sessionmaker[AsyncSession], request_id: int, day: date) -> str:
    """Mark the deliverable of one request accepted if its deadline passed before `day` with no
    defect named: once (the deliverable's move is written only from 'delivered' at the version
    read, the acceptance's unique key backs it up); a worker killed on the way leaves nothing
    half-written, and the next run does it. A request whose deliverable changed lapses."""
    async with unit_of_work(maker) as session:
        request = await session.get(DeliverableAcceptanceRequest, request_id)
        if request is None or request.outcome != RequestOutcome.open:
            return "closed"
        if day <= request.deadline:
            return "not due"
        if request.status in UNSENT and day <= request.deadline + RETRY_WINDOW:
            return "unsent"  # the deadline runs from the mail (see mail.send_request)
        deliverable = await session.get(Deliverable, request.deliverable_id)
        engagement = await session.get(Engagement, request.engagement_id)
        contact = await session.get(Contact, request.contact_id) if request.contact_id else None
        assert deliverable is not None and engagement is not None  # the request goes with them
        current = digest(await artefacts_of(session, deliverable.id))
        # Deemed only if the client could have answered all along: the request reached it, the
        # contact can still sign in, the engagement is one it sees, the work is as handed over.
        could_not_answer = (
            request.status != DeliveryStatus.sent
            or contact is None
            or not contact.portal_access
            or engagement.status not in DEEMABLE
            or deliverable.status != DeliverableStatus.delivered
            or (deliverable.delivered_at is not None and deliverable.delivered_at > request.requested_at)
            or current != request.artefacts_sha256
        )
        if could_not_answer:
            await close_open(session, deliverable.id, RequestOutcome.lapsed)
            return "lapsed"
        before = snapshot(deliverable)
        values = {"status": DeliverableStatus.accepted, "signed_off_at": utcnow(), "rejection_reason": None}
        if not await compare_and_set(session, deliverable, values, expect={"status": DeliverableStatus.delivered}):
            return "moved"
        await record(
            session,
            actor=None,
            action="transition:delivered->accepted",
            entity_type="deliverable",
            entity_id=deliverable.id,
            before=before,
            after=snapshot(deliverable),
        )
        await record_acceptance(session, deliverable, mode=AcceptanceMode.deemed, actor=None, request=request)
        return "deemed"


async def render_protocol(maker: async_sessionmaker[AsyncSession], settings: Settings, acceptance_id: int) -> str:
    """The job: render and keep the Abnahmeprotokoll once; a second run finds it there."""
    async with unit_of_work(maker) as session:
        row = await session.get(DeliverableAcceptance, acceptance_id)
        if row is None:
            return "gone"
        if await session.get(DeliverableAcceptanceFile, acceptance_id) is not None:
            return "kept"
        await _kept_protocol(session, settings, row)
    return "rendered"


async def _kept_protocol(session: AsyncSession, settings: Settings, row: DeliverableAcceptance) -> bytes:
    """Render the protocol and keep it, unless someone kept one meanwhile (the same record
    renders the same text): what is kept is what every download gets."""
    pdf = await shared_pool().render("acceptance_protocol", await _protocol_data(session, settings, row), archival=True)
    kept = await add_unless_taken(session, DeliverableAcceptanceFile(acceptance_id=row.id, pdf=pdf))
    if kept is None:
        stored = await session.get(DeliverableAcceptanceFile, row.id, populate_existing=True)
        assert stored is not None  # the unique key that refused ours holds it
        return stored.pdf
    digest_of_pdf = hashlib.sha256(pdf).hexdigest()
    await compare_and_set(session, row, {"protocol_sha256": digest_of_pdf})
    return pdf


async def _protocol_data(session: AsyncSession, settings: Settings, row: DeliverableAcceptance) -> dict[str, Any]:
    deliverable = await session.get(Deliverable, row.deliverable_id)
    engagement = await session.get(Engagement, row.engagement_id)
    client = await session.get(Client, engagement.client_id) if engagement else None
    assert deliverable is not None and engagement is not None and client is not None
    lead = await session.get(User, engagement.lead_consultant_id) if engagement.lead_consultant_id else None
    request = await session.get(DeliverableAcceptanceRequest, row.request_id) if row.request_id else None
    asked = await session.get(Contact, request.contact_id) if request and request.contact_id else None
    recorder = await session.get(User, row.user_id) if row.user_id else None
    return protocol_data(
        settings,
        acceptance=row,
        deliverable=deliverable,
        engagement=engagement,
        client=client,
        lead={"name": lead.full_name, "email": lead.email} if lead else None,
        request=request,
        request_contact=asked.name if asked else None,
        recorder=recorder.full_name if recorder else None,
        now=utcnow(),
    )


async def _plan_rejection_notice(session: AsyncSession, deliverable: Deliverable, actor: Actor) -> None:
    """The lead consultant hears at once that the client refused the Abnahme, and why."""
    email = await lead_email(session, deliverable.engagement_id)
    if email is None:
        return
    notice = AcceptanceNotice(
        deliverable_id=deliverable.id,
        event="rejected",
        reason=deliverable.rejection_reason,
        audience="team",
        email=email,
        name=getattr(actor, "full_name", None),
        language="de",
    )
    session.add(notice)
    await session.flush()
    await plan(session, NOTICE_JOB, notice.id, job_id=f"acceptance-notice:{notice.id}:{secrets.token_hex(4)}")


async def _plan_notices(
    session: AsyncSession,
    row: DeliverableAcceptance,
    contact: Contact | None,
    request: DeliverableAcceptanceRequest | None,
) -> None:
    """The lead consultant hears of the client's and the deadline's acceptances; the client's
    contact of those it did not give itself (deemed, or recorded by the team)."""
    notices = []
    if row.mode != AcceptanceMode.recorded and (email := await lead_email(session, row.engagement_id)):
        notices.append(
            AcceptanceNotice(
                acceptance_id=row.id, deliverable_id=row.deliverable_id, audience="team", email=email, language="de"
            )
        )
    if row.mode != AcceptanceMode.explicit:
        address = contact.email if contact else (request.email if request else None)
        if address:
            notices.append(
                AcceptanceNotice(
                    acceptance_id=row.id,
                    deliverable_id=row.deliverable_id,
                    audience="client",
                    email=address,
                    name=contact.name if contact else None,
                    language=row.language,
                )
            )
    for notice in notices:
        session.add(notice)
        await session.flush()
        await plan(session, NOTICE_JOB, notice.id, job_id=f"acceptance-notice:{notice.id}:{secrets.token_hex(4)}")


def record_hash(deliverable: Deliverable, row: DeliverableAcceptance) -> str:
    said = {
        "deliverable": {"id": deliverable.id, "title": deliverable.title, "kind": deliverable.kind},
        "mode": row.mode,
        "contact_id": row.contact_id,
        "user_id": row.user_id,
        "accepted_by": row.accepted_by,
        "accepted_at": _iso(row.accepted_at),
        "reservations": row.reservations,
        "artefacts": row.artefacts,
        "request_id": row.request_id,
    }
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()


def _language(contact: Contact | None, request: DeliverableAcceptanceRequest | None) -> str:
    if contact is not None:
        return str(contact.language)
    return request.language if request is not None else "de"


def _iso(moment: datetime) -> str:
    return moment.isoformat()
