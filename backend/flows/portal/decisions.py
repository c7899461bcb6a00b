"""What a client decides in the portal: accept the proposal, sign off or reject a deliverable."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Principal
from backend.domains.deliverables.artefacts import artefacts_of, digest
from backend.domains.deliverables.models import Deliverable, DeliverableStatus
from backend.domains.deliverables.resources import deliverable_service
from backend.domains.engagements.models import Engagement, EngagementRead, EngagementStatus
from backend.domains.engagements.offer import choose, items_of
from backend.domains.engagements.resources import engagement_service
from backend.domains.webhooks.models import WebhookEvent
from backend.domains.webhooks.service import emit
from backend.flows.documents import builders
from backend.flows.documents.legal import LegalKind
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import refuse_if_incomplete, refuse_replaced, replacement_of, sent_documents
from backend.flows.portal.models import AcceptanceRequest, ProposalAcceptance, SignOffRequest
from backend.flows.portal.statements import refuse_outdated
from backend.kernel.config import Settings
from backend.kernel.db import utcnow
from backend.kernel.errors import Conflict, Invalid, ProposalExpired, VersionConflict
from backend.kernel.schema import Transition
from backend.kernel.time import today as berlin_today


async def acceptance_of(session: AsyncSession, engagement_id: int) -> ProposalAcceptance | None:
    stmt = select(ProposalAcceptance).where(ProposalAcceptance.engagement_id == engagement_id)
    return (await session.exec(stmt)).first()


async def accept_proposal(
    session: AsyncSession,
    user: Principal,
    document_id: int,
    data: AcceptanceRequest,
    *,
    settings: Settings,
    ip: str | None,
    user_agent: str | None,
) -> ProposalAcceptance:
    document = await document_service.get(session, user, document_id)
    if document.kind != DocumentKind.proposal or document.sha256 is None:
        raise Conflict("Only a sent proposal can be accepted.", key="refused_not_proposal")
    # Of two people accepting at once, one wins: the engagement's move to "active" is written only
    # at the version read here, and the unique key on the acceptance backs it up.
    engagement = await engagement_service.get(session, user, document.engagement_id)
    await _refuse_if_accepted(session, engagement.id)
    await refuse_replaced(session, document, what="proposal", answer="accept")
    if document.valid_until is not None and berlin_today() > document.valid_until:
        raise ProposalExpired(
            f"This offer was valid until {document.valid_until:%d.%m.%Y}. Please ask us for a current version.",
            key="refused_expired",
            until=document.valid_until,
        )
    if not await still_offered(session, settings, document):
        raise Conflict(
            f"The offer has changed since version {document.number} was written: "
            "we will send you the current version to accept.",
            key="refused_offer_changed",
            n=document.number,
        )
    if engagement.status != EngagementStatus.proposed:
        raise Conflict(
            f"This engagement is not awaiting acceptance (its status is '{engagement.status}').",
            key="refused_not_awaiting_acceptance",
            status=engagement.status,
        )
    agreed = _agreed(engagement, document, data)
    # Of two people accepting at once, one wins: the engagement's move to "active" is written only
    # at the version read here (the other is told who accepted), and the acceptance's unique key
    # backs it up. An offer of items now costs what the client chose.
    also = _agreed_offer(agreed) if engagement.proposal_items else None
    try:
        await engagement_service.transition(
            session, user, engagement.id, Transition(to=EngagementStatus.active, version=engagement.version), also=also
        )
    except VersionConflict:
        await _refuse_if_accepted(session, engagement.id)
        raise
    acceptance = ProposalAcceptance(
        engagement_id=engagement.id,
        document_id=document.id,
        document_number=document.number,
        document_sha256=document.sha256,
        contact_id=getattr(user, "contact_id", None),
        user_id=user.id,
        typed_name=data.typed_name.strip(),
        ip_address=ip,
        user_agent=(user_agent or "")[:500] or None,
        accepted_at=utcnow(),
        **agreed,
        record_sha256=_record_hash(document.sha256, agreed),
    )
    session.add(acceptance)
    await session.flush()
    await record(
        session,
        actor=user,
        action="accept_proposal",
        entity_type="engagement",
        entity_id=engagement.id,
        after=snapshot(acceptance),
    )
    await emit(
        session,
        WebhookEvent.proposal_accepted,
        {
            "engagement_id": engagement.id,
            "client_id": engagement.client_id,
            "document_id": document.id,
            "document_number": acceptance.document_number,
            "accepted_at": acceptance.accepted_at,
        },
    )
    return acceptance


def _agreed(engagement: Engagement, document: Document, data: AcceptanceRequest) -> dict[str, Any]:
    """What the acceptance agrees to besides the version's bytes: the options, the items in force
    and their fee, the contract texts the version names. 422 for options the offer does not have,
    or an AVV not accepted."""
    items = items_of(engagement.proposal_items)
    if data.options and not items:
        raise Invalid.field("body.options", "this offer has no options to choose")
    choice = choose(items, data.options) if items else None
    texts = list((document.data_snapshot or {}).get("proposal", {}).get("agreements", []))
    if any(t.get("kind") == LegalKind.avv for t in texts) and not data.dpa_accepted:
        raise Invalid.field(
            "body.dpa_accepted",
            "the proposal includes the data processing agreement (AVV): accept it to accept the proposal",
            key="refused_dpa",
        )
    fee = choice.net if choice is not None else EngagementRead.model_validate(engagement).fee_net
    if data.fee_net is not None and fee != data.fee_net:
        shown, due = f"{data.fee_net:.2f}", f"{fee:.2f}" if fee is not None else "—"
        raise Conflict(
            f"With the options chosen the order value is {due} net, not {shown}: please check it and confirm again.",
            key="refused_fee_changed",
            fee=fee,
        )
    return {
        "options": list(choice.positions) if choice else [],
        "items": choice.lines if choice else [],
        "fee_net": fee,
        "currency": engagement.currency,
        "vat_rate": engagement.vat_rate,
        "agreements": texts,
    }


def _agreed_offer(agreed: dict[str, Any]) -> dict[str, Any]:
    """The engagement's offer from now on: the items in force as its base items, their sum its
    fee. What was offered stays in the accepted version and in the acceptance's record."""
    items = [
        {k: v for k, v in line.items() if k not in ("position", "amount", "replaces")} | {"kind": "base"}
        for line in agreed["items"]
    ]
    return {"fixed_fee": agreed["fee_net"], "proposal_items": items}


def _record_hash(document_sha256: str, agreed: dict[str, Any]) -> str:
    record = {"document_sha256": document_sha256, **agreed}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


async def still_offered(session: AsyncSession, settings: Settings, proposal: Document) -> bool:
    """Whether a proposal version still says what the engagement offers now (fee, scope, terms
    …): what a client accepts must be what would be agreed."""
    if proposal.fingerprint is None:  # written before versions kept what they say
        return True
    now = await builders.fingerprint(
        session, None, engagement_id=proposal.engagement_id, kind=DocumentKind.proposal, settings=settings, now=utcnow()
    )
    return now == proposal.fingerprint


async def outdated_offer(session: AsyncSession, settings: Settings, engagement_id: int) -> Document | None:
    """The proposal the client is waiting to accept, when the engagement no longer matches it: the
    team then sends a new version."""
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None or engagement.status != EngagementStatus.proposed:
        return None
    sent = [d for d in await sent_documents(session, engagement_id) if d.kind == DocumentKind.proposal]
    if not sent or await acceptance_of(session, engagement_id) is not None:
        return None
    return None if await still_offered(session, settings, sent[0]) else sent[0]


async def refuse_unsendable(session: AsyncSession, settings: Settings, document: Document) -> None:
    """What may not reach a client, by release or by share link: a proposal missing what the
    client needs, a version a newer one the client has replaces, or another proposal version
    once one was accepted (the accepted one is the contract; another would offer what is agreed),
    or a time statement that no longer states the time as recorded."""
    refuse_if_incomplete(document)
    await refuse_outdated(session, settings, document)
    if (newer := await replacement_of(session, document)) is not None:
        raise Conflict(
            f"Version {document.number} has been replaced by version {newer.number}, which the client has.",
            key="refused_outdated",
            n=document.number,
            current=newer.number,
        )
    done = await acceptance_of(session, document.engagement_id)
    if document.kind == DocumentKind.proposal and done is not None and done.document_id != document.id:
        raise Conflict(
            f"The client accepted version {done.document_number} of the proposal; a new version cannot be sent.",
            key="refused_after_acceptance",
            n=done.document_number,
        )


async def _refuse_if_accepted(session: AsyncSession, engagement_id: int) -> None:
    done = await acceptance_of(session, engagement_id)
    if done is not None:
        raise Conflict(
            f"This proposal was already accepted on {done.accepted_at:%d.%m.%Y} by {done.typed_name} "
            f"(version {done.document_number}).",
            key="refused_already_accepted",
            name=done.typed_name,
            when=done.accepted_at,
            n=done.document_number,
        )


async def sign_off(session: AsyncSession, user: Principal, deliverable_id: int, data: SignOffRequest) -> Deliverable:
    row = await deliverable_service.get(session, user, deliverable_id)
    if row.status != DeliverableStatus.delivered:
        raise Conflict(
            f"“{row.title}” is not awaiting your sign-off (its status is '{row.status}').",
            key="refused_not_awaiting_sign_off",
            title=row.title,
            status=row.status,
        )
    reason = (data.reason or "").strip() or None
    if data.decision == "reject" and reason is None:
        raise Invalid.field("body.reason", "please say what is missing or wrong")
    if data.artefacts_sha256 is not None and data.artefacts_sha256 != digest(await artefacts_of(session, row.id)):
        raise Conflict(
            f"the files of “{row.title}” are not the ones you saw: please reload and look at them again",
            key="refused_artefacts_changed",
            title=row.title,
        )
    target = DeliverableStatus.accepted if data.decision == "accept" else DeliverableStatus.rejected
    # The acceptance (with its record, protocol and the closing of a request for it) follows from
    # the move, in the same transaction (flows/acceptance).
    signer = (
        {"signed_off_by_contact_id": user.contact_id, "reservations": (data.reservations or "").strip() or None}
        if target == DeliverableStatus.accepted
        else None
    )
    moved = await deliverable_service.transition(
        session, user, deliverable_id, Transition(to=target, version=data.version, reason=reason), also=signer
    )
    await emit(
        session,
        WebhookEvent.deliverable_signed_off,
        {
            "deliverable_id": moved.id,
            "engagement_id": moved.engagement_id,
            "decision": "accepted" if target == DeliverableStatus.accepted else "rejected",
            "signed_off_at": utcnow(),
        },
    )
    return moved
