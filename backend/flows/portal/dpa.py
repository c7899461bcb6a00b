"""The client answers the data processing agreement (AVV) in the portal, version by version: an
acceptance as a proposal is accepted (a typed name, the version's SHA-256 and the contract texts
it rests on), or an objection with the reason — to a new or replaced sub-processor above all
(Art. 28 (2) GDPR), which the client is shown against the version accepted before."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Principal
from backend.domains.engagements.service import lead_email
from backend.domains.pilots.models import Pilot
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import refuse_replaced
from backend.flows.documents.sub_processors import processor_rows, processors_of
from backend.flows.portal.models import (
    DpaAcceptance,
    DpaAcceptanceRead,
    DpaAcceptanceRequest,
    DpaObjection,
    DpaObjectionRequest,
)
from backend.flows.portal.shown import as_shown
from backend.flows.portal.statements import Signer
from backend.kernel.db import add_unless_taken, serialize, utcnow
from backend.kernel.errors import Conflict
from backend.kernel.formatting import Formatter
from backend.kernel.outbox import plan

OBJECTION_JOB = "mail_dpa_objection"


@dataclass
class DpaStanding:
    """Where an engagement's AVV stands: needed at all, accepted, and what changed since
    (Art. 28 (2) GDPR: the client is told of a new or replaced sub-processor and may object)."""

    needed: bool
    accepted: DpaAcceptanceRead | None = None
    objection: DpaObjection | None = None  # to a version newer than the one accepted
    waiting: Document | None = None  # the latest version sent, not answered yet
    added: list[dict[str, Any]] = field(default_factory=list)  # providers not in the accepted version
    removed: list[dict[str, Any]] = field(default_factory=list)  # providers the accepted version names, gone

    @property
    def state(self) -> str:
        if self.objection is not None:
            return "objected"
        if self.accepted is None:
            return "missing" if self.needed else "not_needed"
        return "changed" if self.added or self.removed else "current"


async def dpa_acceptances_of(session: AsyncSession, engagement_id: int) -> list[DpaAcceptanceRead]:
    """Newest first; an erased signer shown as erased (flows/portal/shown.py)."""
    stmt = select(DpaAcceptance).where(DpaAcceptance.engagement_id == engagement_id)
    rows = list((await session.exec(stmt.order_by(col(DpaAcceptance.id).desc()))).all())
    return await as_shown(session, rows, DpaAcceptanceRead)


async def accept_dpa(
    session: AsyncSession, user: Principal, document_id: int, data: DpaAcceptanceRequest, signer: Signer
) -> DpaAcceptance:
    document = await _answerable(session, user, document_id)
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
        await _refuse_if_answered(session, document)
        raise Conflict("This agreement was accepted at the same moment.", key="refused_dpa_same_moment")
    await record(
        session, actor=user, action="accept_dpa", entity_type="document", entity_id=document.id, after=snapshot(stored)
    )
    return stored


async def object_to_dpa(
    session: AsyncSession, user: Principal, document_id: int, data: DpaObjectionRequest, signer: Signer
) -> DpaObjection:
    """The client objects to a version (a new or replaced sub-processor it names, Art. 28 (2)
    GDPR): recorded once, the lead consultant told; the version can no longer be accepted."""
    document = await _answerable(session, user, document_id)
    row = DpaObjection(
        document_id=document.id,
        engagement_id=document.engagement_id,
        document_number=document.number,
        reason=data.reason,
        contact_id=user.contact_id,
        user_id=user.id,
        ip_address=signer.ip,
        user_agent=(signer.user_agent or "")[:500] or None,
        objected_at=utcnow(),
        email=await lead_email(session, document.engagement_id),
    )
    stored = await add_unless_taken(session, row)
    if stored is None:  # two objections at once: the unique key keeps one
        await _refuse_if_answered(session, document)
        raise Conflict("This agreement was answered at the same moment.", key="refused_dpa_same_moment")
    if stored.email:
        await plan(session, OBJECTION_JOB, stored.id, job_id=f"dpa-objection:{stored.id}:{secrets.token_hex(4)}")
    await record(
        session, actor=user, action="object_dpa", entity_type="document", entity_id=document.id, after=snapshot(stored)
    )
    return stored


async def dpa_objections_of(session: AsyncSession, engagement_id: int) -> list[DpaObjection]:
    stmt = select(DpaObjection).where(DpaObjection.engagement_id == engagement_id)
    return list((await session.exec(stmt.order_by(col(DpaObjection.id).desc()))).all())


async def _answerable(session: AsyncSession, user: Principal, document_id: int) -> Any:
    """A sent AVV version nobody has answered (nor its translation), not replaced by a newer one
    (another client's: 404)."""
    document = await document_service.get(session, user, document_id)
    if document.kind != DocumentKind.dpa or document.sha256 is None or document.sent_at is None:
        raise Conflict("Only a sent data processing agreement can be answered here.", key="refused_not_dpa")
    # Answers to one engagement's AVV go one after the other (on both databases): an acceptance
    # and an objection at once, or of a version and its translation, end in exactly one answer.
    await serialize(session, Document, f"dpa-answer:{document.engagement_id}")
    await _refuse_if_answered(session, document)
    await refuse_replaced(session, document, what="agreement", answer="answer", key="refused_dpa_superseded")
    return document


async def answer_to_dpa(session: AsyncSession, document: Document) -> DpaAcceptance | DpaObjection | None:
    """The answer to an AVV version or to its translation (the same agreement in the other
    language, not replaced there since): one answer covers both."""
    newer = aliased(Document)
    replaced = exists(
        select(newer.id).where(
            newer.engagement_id == Document.engagement_id,
            newer.kind == Document.kind,
            newer.language == Document.language,
            col(newer.number) > Document.number,
            col(newer.sent_at).is_not(None),
        )
    )
    same = and_(
        col(Document.engagement_id) == document.engagement_id,
        col(Document.kind) == DocumentKind.dpa,
        or_(
            col(Document.id) == document.id,
            and_(
                col(Document.fingerprint) == document.fingerprint,
                col(Document.fingerprint).is_not(None),
                col(Document.language) != document.language,
                ~replaced,
            ),
        ),
    )
    acceptance = select(DpaAcceptance).join(Document, col(Document.id) == DpaAcceptance.document_id)
    if (accepted := (await session.exec(acceptance.where(same))).first()) is not None:
        return accepted
    objection = select(DpaObjection).join(Document, col(Document.id) == DpaObjection.document_id)
    return (await session.exec(objection.where(same))).first()


async def _refuse_if_answered(session: AsyncSession, document: Document) -> None:
    done = await answer_to_dpa(session, document)
    if isinstance(done, DpaAcceptance):
        raise Conflict(
            f"This agreement (version {done.document_number}) was accepted on {done.accepted_at:%Y-%m-%d} "
            f"by {done.typed_name}.",
            key="refused_dpa_accepted",
            when=done.accepted_at,
            name=done.typed_name,
            n=done.document_number,
        )
    if done is not None:
        raise Conflict(
            f"This agreement (version {done.document_number}) was objected to on {done.objected_at:%Y-%m-%d}.",
            key="refused_dpa_objected",
            when=done.objected_at,
            n=done.document_number,
        )


async def dpa_standing(session: AsyncSession, engagement_id: int) -> DpaStanding:
    """The AVV's standing: the latest accepted version against the providers the pilots use now."""
    needed_stmt = select(func.count()).where(Pilot.engagement_id == engagement_id, col(Pilot.processes_personal_data))
    standing = DpaStanding(needed=bool((await session.exec(needed_stmt)).one()))
    accepted = await dpa_acceptances_of(session, engagement_id)
    objections = await dpa_objections_of(session, engagement_id)
    if objections and (not accepted or objections[0].objected_at > accepted[0].accepted_at):
        standing.objection = objections[0]
    sent = select(Document).where(
        Document.engagement_id == engagement_id, Document.kind == DocumentKind.dpa, col(Document.sent_at).is_not(None)
    )
    latest = (await session.exec(sent.order_by(col(Document.sent_at).desc()))).first()
    if latest is not None and await answer_to_dpa(session, latest) is None:
        standing.waiting = latest
        if standing.objection is not None and latest.sent_at and latest.sent_at > standing.objection.objected_at:
            standing.objection = None  # answered by a new version
    if not accepted:
        return standing
    standing.accepted = accepted[0]
    now = processor_rows(await processors_of(session, engagement_id), "de", Formatter("de"))
    standing.added, standing.removed = await changes_since(session, accepted, now)
    return standing


async def changes_since(
    session: AsyncSession, accepted: list[DpaAcceptanceRead], rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The providers in `rows` the latest accepted version does not name, and those it names that
    `rows` no longer do (nothing to compare with before a first acceptance)."""
    document = await session.get(Document, accepted[0].document_id) if accepted else None
    if document is None:
        return [], []
    then = list((document.data_snapshot or {}).get("dpa", {}).get("processors", []))
    # Versions drawn up before the terms were recorded are compared by what they print alike in
    # every language: provider, hosting, data categories.
    key = _terms if all("terms" in row for row in [*then, *rows]) else _printed
    keys_then, keys_now = {key(row) for row in then}, {key(row) for row in rows}
    return [r for r in rows if key(r) not in keys_then], [r for r in then if key(r) not in keys_now]


def _terms(row: dict[str, Any]) -> str:
    """What makes a sub-processor the same one the client agreed to, in any language: who, where,
    what data, on what grounds. (Which pilot uses it, and the provider's own AVV signed since,
    change nothing the client agreed to.)"""
    return json.dumps(row.get("terms"), sort_keys=True, default=str)


def _printed(row: dict[str, Any]) -> str:
    return json.dumps([row.get("provider"), row.get("region"), row.get("categories")])
