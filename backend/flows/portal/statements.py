"""The client's answer to a time statement: approve it with a typed name (its entries lock), or
dispute lines of it with a reason each. Recorded like a proposal's acceptance: who, when, from
where, and the SHA-256 of the exact version; the lead consultant is mailed once (statement_mail)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Principal
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import lead_email
from backend.domains.timesheets import statements as entries
from backend.flows.documents import builders
from backend.flows.documents.models import Document, DocumentKind
from backend.flows.documents.resources import document_service
from backend.flows.documents.service import refuse_replaced
from backend.flows.documents.time_statement import held_entries, stated_lines
from backend.flows.portal.models import ApprovalRequest, DisputeRequest, StatementDecision
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, hold, utcnow
from backend.kernel.delivery import DeliveryStatus
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.outbox import plan

APPROVED, DISPUTED = "approved", "disputed"


@dataclass(frozen=True)
class Signer:
    """Where a decision came from, as the request tells it."""

    ip: str | None
    user_agent: str | None


async def decision_of(session: AsyncSession, document_id: int) -> StatementDecision | None:
    stmt = select(StatementDecision).where(StatementDecision.document_id == document_id)
    return (await session.exec(stmt)).first()


async def answer_to(session: AsyncSession, document: Document, besides: int | None = None) -> StatementDecision | None:
    """The answer to a statement version or to its translation (the same time, stated in the
    other language): one answer covers both."""
    stmt = (
        select(StatementDecision)
        .join(Document, col(Document.id) == StatementDecision.document_id)
        .where(
            Document.engagement_id == document.engagement_id,
            Document.kind == DocumentKind.time_statement,
            Document.period_start == document.period_start,
            Document.period_end == document.period_end,
            Document.fingerprint == document.fingerprint,
            # The version itself, or the same time stated in the other language and not replaced
            # since (a version sent again in the same language, after an objection, is answered
            # anew, and so is its translation).
            or_(
                col(Document.id) == document.id,
                (col(Document.language) != document.language) & ~exists(_newer_in_its_language()),
            ),
        )
        .order_by(col(StatementDecision.id))
    )
    if besides is not None:
        stmt = stmt.where(col(StatementDecision.id) != besides)
    return (await session.exec(stmt)).first()


def _newer_in_its_language() -> Any:
    """A later version sent of the same statement (period) in the same language."""
    newer = aliased(Document)
    return select(newer.id).where(
        newer.engagement_id == Document.engagement_id,
        newer.kind == Document.kind,
        newer.period_start == Document.period_start,
        newer.period_end == Document.period_end,
        newer.language == Document.language,
        col(newer.number) > Document.number,
        col(newer.sent_at).is_not(None),
    )


async def decisions_of(session: AsyncSession, engagement_id: int) -> dict[int, StatementDecision]:
    """Every decision on an engagement's statements, by document."""
    stmt = select(StatementDecision).where(StatementDecision.engagement_id == engagement_id)
    return {d.document_id: d for d in (await session.exec(stmt)).all()}


async def approve_statement(
    session: AsyncSession,
    user: Principal,
    document_id: int,
    data: ApprovalRequest,
    *,
    settings: Settings,
    signer: Signer,
) -> StatementDecision:
    document = await _open_statement(session, user, document_id, settings)
    decision = await _decide(session, user, document, APPROVED, signer, typed_name=data.typed_name.strip())
    # Each entry is locked only at the version stated and only if nothing else locked it: an
    # edit, or another statement's approval, at the same moment undoes this whole approval.
    if not await entries.approve(session, held_entries(document.data_snapshot or {}), document.id, decision.decided_at):
        raise Conflict(
            "Some of the time stated changed while you approved it: we will send you the current version.",
            key="refused_statement_changed",
            n=document.number,
        )
    await _only_answer(session, document, decision)
    await _audit(session, user, "approve_statement", decision)
    return decision


async def dispute_statement(
    session: AsyncSession,
    user: Principal,
    document_id: int,
    data: DisputeRequest,
    *,
    settings: Settings,
    signer: Signer,
) -> StatementDecision:
    document = await _open_statement(session, user, document_id, settings)
    lines = stated_lines(document.data_snapshot or {})
    disputed: list[dict[str, Any]] = []
    for i, line in enumerate(data.lines):
        if line.position > len(lines):
            raise Invalid.field(
                f"body.lines.{i}.position",
                f"the statement has {len(lines)} lines; there is no position {line.position}",
                key="refused_no_such_line",
                n=len(lines),
            )
        stated = lines[line.position - 1]
        disputed.append({"position": line.position, "entry_id": stated["entry_id"], "reason": line.reason})
    typed = data.typed_name.strip() if data.typed_name else None
    decision = await _decide(session, user, document, DISPUTED, signer, typed_name=typed, disputed=disputed)
    await _only_answer(session, document, decision)
    await _audit(session, user, "dispute_statement", decision)
    return decision


async def _open_statement(session: AsyncSession, user: Principal, document_id: int, settings: Settings) -> Document:
    """A sent statement version that still awaits the client's answer and still states the time
    as recorded (or the refusal why not)."""
    document = await document_service.get(session, user, document_id)
    if document.kind != DocumentKind.time_statement or document.sha256 is None or document.sent_at is None:
        raise Conflict("Only a sent time statement can be approved or disputed.", key="refused_not_statement")
    await _refuse_if_decided(session, document)
    await refuse_replaced(session, document, what="time statement", answer="answer", key="refused_statement_superseded")
    if not await still_stated(session, settings, document):
        raise Conflict(
            f"The time stated has changed since version {document.number} was written (an entry was changed, "
            "added, or approved in another statement): we will send you the current version.",
            key="refused_statement_changed",
            n=document.number,
        )
    return document


async def still_stated(session: AsyncSession, settings: Settings, document: Document) -> bool:
    """Whether the version still states the time as recorded now (no entry changed, none added)."""
    now = await builders.fingerprint(
        session,
        None,
        engagement_id=document.engagement_id,
        kind=DocumentKind.time_statement,
        settings=settings,
        now=utcnow(),
        period=document.period,
    )
    return now == document.fingerprint


async def _decide(
    session: AsyncSession,
    user: Principal,
    document: Document,
    decision: str,
    signer: Signer,
    *,
    typed_name: str | None,
    disputed: list[dict[str, Any]] | None = None,
) -> StatementDecision:
    """Writes the answer; of two answers to one version at the same moment one is written (the
    unique key decides) and the other is told who answered first."""
    assert document.sha256 is not None  # an open statement is rendered
    lead = await lead_email(session, document.engagement_id)
    row = StatementDecision(
        document_id=document.id,
        engagement_id=document.engagement_id,
        decision=decision,
        document_number=document.number,
        document_sha256=document.sha256,
        contact_id=user.contact_id,
        user_id=user.id,
        typed_name=typed_name,
        disputed=disputed,
        ip_address=signer.ip,
        user_agent=(signer.user_agent or "")[:500] or None,
        decided_at=utcnow(),
        email=lead,
        status=DeliveryStatus.pending if lead else DeliveryStatus.bounced,
        last_error=None if lead else "the engagement has no lead consultant to tell",
    )
    stored = await add_unless_taken(session, row)
    if stored is None:
        await _refuse_if_decided(session, document)
        raise Conflict("This time statement was answered at the same moment.", key="refused_statement_decided")
    if lead:
        # Job ids live on after their rows (a week in the outbox): one of its own, never an id again.
        job_id = f"statement-answer:{stored.id}:{secrets.token_hex(4)}"
        await plan(session, "mail_statement_answer", stored.id, job_id=job_id)
    return stored


async def _only_answer(session: AsyncSession, document: Document, decision: StatementDecision) -> None:
    """The unique key covers one version; its translation is another row. Answers to one
    engagement's statements are checked one after the other from here on (its row is held, after
    any entry an approval locks, in the order time written takes them too), so the later one sees
    the earlier and is refused."""
    await hold(session, Engagement, [document.engagement_id])
    if (other := await answer_to(session, document, besides=decision.id)) is not None:
        raise Conflict(
            f"This time statement was already {other.decision} (version {other.document_number}).",
            key=f"refused_already_{other.decision}",
            name=other.typed_name or "",
            when=other.decided_at,
            n=other.document_number,
        )


async def _refuse_if_decided(session: AsyncSession, document: Document) -> None:
    done = await answer_to(session, document)
    if done is None:
        return
    who = done.typed_name or "the client"
    raise Conflict(
        f"This time statement was already {done.decision} on {done.decided_at:%d.%m.%Y} by {who} "
        f"(version {done.document_number}).",
        key=f"refused_already_{done.decision}",
        name=who,
        when=done.decided_at,
        n=done.document_number,
    )


async def _audit(session: AsyncSession, user: Principal, action: str, decision: StatementDecision) -> None:
    await record(
        session,
        actor=user,
        action=action,
        entity_type="document",
        entity_id=decision.document_id,
        after=snapshot(decision),
    )


async def refuse_outdated(session: AsyncSession, settings: Settings, document: Document) -> None:
    """A statement is sent only while it states the time as recorded: one the client could not
    approve stays with the team."""
    if document.kind != DocumentKind.time_statement:
        return
    if not held_entries(document.data_snapshot or {}):
        raise Conflict(
            f"Version {document.number} states no time: there is nothing for the client to approve.",
            key="refused_statement_empty",
            n=document.number,
        )
    if not await still_stated(session, settings, document):
        raise Conflict(
            f"Version {document.number} no longer states the time as recorded (changed, added to, or approved "
            "in another statement): generate a new version.",
            key="refused_statement_outdated",
            n=document.number,
        )


@dataclass(frozen=True)
class StatementState:
    """How a statement version stands for the team: answered (by itself or by its translation),
    or outdated (it no longer states the time as recorded)."""

    answer: StatementDecision | None
    outdated: bool


async def statement_states(
    session: AsyncSession, settings: Settings, documents: list[Document]
) -> dict[int, StatementState]:
    states = {}
    for document in documents:
        if document.kind != DocumentKind.time_statement or document.sha256 is None:
            continue
        answer = await answer_to(session, document)
        outdated = answer is None and not await still_stated(session, settings, document)
        states[document.id] = StatementState(answer, outdated)
    return states
