"""What a client contact sees of an engagement: where it stands, what comes next, what to decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Principal
from backend.domains.deliverables.artefacts import SHOWN_TO_CLIENT
from backend.domains.deliverables.models import Deliverable
from backend.domains.engagements.models import Engagement, EngagementRead, EngagementStatus, StatusUpdate
from backend.domains.engagements.resources import engagement_service
from backend.domains.engagements.service import shown_to_client, status_released
from backend.domains.pilots.results_read import EngagementResultRead
from backend.domains.pilots.service import PilotEvidence, engagement_evidence, results_of
from backend.domains.workshops.models import Workshop
from backend.flows.acceptance.overview import DeliverableContracts, deliverable_contracts
from backend.flows.documents.models import Document, DocumentKind, replaces
from backend.flows.documents.service import sent_documents
from backend.flows.invoicing.models import Invoice
from backend.flows.portal.decisions import acceptance_of
from backend.flows.portal.dpa import answer_to_dpa, changes_since, dpa_acceptances_of, dpa_objections_of
from backend.flows.portal.models import AcceptanceRead, DpaAcceptanceRead, DpaObjection, StatementDecision
from backend.flows.portal.shown import one_shown
from backend.flows.portal.statements import decisions_of
from backend.kernel.db import select_all
from backend.kernel.time import iso_week
from backend.kernel.time import today as berlin_today

UPCOMING_WORKSHOPS = 5


@dataclass
class Overview:
    engagement: Engagement
    status: StatusUpdate | None
    workshops: list[Workshop]
    deliverables: list[Deliverable]
    documents: list[Document]
    acceptance: AcceptanceRead | None
    # Saved so far: every pilot with its KPIs and measurements, and the same figures the API and
    # the result report show (domains/pilots/service.results_of).
    evidence: list[PilotEvidence]
    results: EngagementResultRead
    # The proposal version that can be accepted now, if any.
    open_proposal: Document | None = None
    superseded: set[int] = field(default_factory=set)
    # Time statements: the client's answers by document, and the versions awaiting one.
    decisions: dict[int, StatementDecision] = field(default_factory=dict)
    open_statements: list[Document] = field(default_factory=list)
    # Invoices and credit notes mailed to the client, newest first.
    invoices: list[Invoice] = field(default_factory=list)
    # The deliverables' artefacts (of those handed over), open acceptance requests, acceptances.
    contracts: DeliverableContracts | None = None
    # Data processing agreement: the current version awaiting acceptance, and the acceptances.
    open_dpa: Document | None = None
    dpa_acceptances: list[DpaAcceptanceRead] = field(default_factory=list)
    dpa_objections: list[DpaObjection] = field(default_factory=list)
    dpa_added: list[dict[str, Any]] = field(default_factory=list)
    dpa_removed: list[dict[str, Any]] = field(default_factory=list)

    def answer_to(self, document: Document) -> StatementDecision | None:
        """The answer to a statement version, or to its translation (one answer covers both)."""
        return self.decisions.get(document.id) or next(
            (
                decision
                for other in self.documents
                if (decision := self.decisions.get(other.id)) is not None and _same_statement(other, document)
            ),
            None,
        )


def _same_statement(a: Document, b: Document) -> bool:
    """Translations of one statement (see statements.answer_to)."""
    same = a.kind == b.kind == DocumentKind.time_statement and (a.period, a.fingerprint) == (b.period, b.fingerprint)
    return same and a.language != b.language


async def engagements_of(session: AsyncSession, user: Principal) -> list[Engagement]:
    """The client's engagements the portal shows (drafts stay with the team)."""
    if user.client_id is None:
        return []
    return await select_all(
        session,
        Engagement,
        shown_to_client(user.client_id),
        order_by=col(Engagement.start_date).desc(),
    )


async def load(
    session: AsyncSession, user: Principal, engagement_id: int, lang: str, now: datetime | None = None
) -> Overview:
    engagement = await engagement_service.get(session, user, engagement_id)  # a draft: 404
    now = now or datetime.now(UTC)
    today = berlin_today(now)
    status = (
        await session.exec(
            select(StatusUpdate)
            .where(
                StatusUpdate.engagement_id == engagement.id,
                status_released(),
                StatusUpdate.iso_week <= iso_week(today),
            )
            .order_by(col(StatusUpdate.iso_week).desc())
            .limit(1)
        )
    ).first()
    workshops = await select_all(
        session,
        Workshop,
        Workshop.engagement_id == engagement.id,
        Workshop.ends_at >= now,
        order_by=Workshop.starts_at,
        limit=UPCOMING_WORKSHOPS,
    )
    deliverables = await select_all(
        session,
        Deliverable,
        Deliverable.engagement_id == engagement.id,
        order_by=[Deliverable.due_week, Deliverable.id],
    )
    documents = await sent_documents(session, engagement.id)
    evidence = await engagement_evidence(session, engagement.id)
    fee = EngagementRead.model_validate(engagement).fee_net
    overview = Overview(
        engagement=engagement,
        evidence=evidence,
        results=results_of(engagement.id, evidence, fee),
        status=status,
        workshops=workshops,
        deliverables=deliverables,
        documents=documents,
        acceptance=await one_shown(session, await acceptance_of(session, engagement.id), AcceptanceRead),
    )
    # Newest first per kind: a version is marked when a newer one of its kind (and week) replaces it.
    for i, document in enumerate(documents):
        if any(replaces(newer, document) for newer in documents[:i]):
            overview.superseded.add(document.id)
    current = [d for d in documents if d.kind == DocumentKind.proposal and d.id not in overview.superseded]
    # Of one offer in several languages, the reader's own.
    proposal = next((d for d in current if d.language == lang), current[0] if current else None)
    if proposal is not None and overview.acceptance is None and engagement.status == EngagementStatus.proposed:
        overview.open_proposal = proposal
    overview.decisions = await decisions_of(session, engagement.id)
    # An approved statement stays what the client approved, whatever was stated after it.
    overview.superseded -= {i for i, d in overview.decisions.items() if d.decision == "approved"}
    overview.open_statements = _open_statements(overview, lang)
    overview.invoices = await select_all(
        session,
        Invoice,
        Invoice.engagement_id == engagement.id,
        col(Invoice.sent_at).is_not(None),
        order_by=col(Invoice.id).desc(),
    )
    overview.dpa_acceptances = await dpa_acceptances_of(session, engagement.id)
    agreements = [d for d in documents if d.kind == DocumentKind.dpa and d.id not in overview.superseded]
    agreement = next((d for d in agreements if d.language == lang), agreements[0] if agreements else None)
    overview.dpa_objections = await dpa_objections_of(session, engagement.id)
    if agreement is not None and await answer_to_dpa(session, agreement) is None:
        overview.open_dpa = agreement
        # Art. 28 (2): what changed against the version accepted before, for the client to weigh.
        rows = (agreement.data_snapshot or {}).get("dpa", {}).get("processors", [])
        overview.dpa_added, overview.dpa_removed = await changes_since(session, overview.dpa_acceptances, rows)
    contracts = await deliverable_contracts(session, engagement.id, [d.id for d in deliverables])
    handed_over = {d.id for d in deliverables if d.status in SHOWN_TO_CLIENT}
    contracts.artefacts = {i: rows for i, rows in contracts.artefacts.items() if i in handed_over}
    overview.contracts = contracts
    return overview


def _open_statements(overview: Overview, lang: str) -> list[Document]:
    """Current statement versions without an answer, oldest period first; of one statement in
    two languages, the reader's."""
    waiting = [
        d
        for d in overview.documents
        if d.kind == DocumentKind.time_statement and d.id not in overview.superseded and overview.answer_to(d) is None
    ]
    chosen: dict[tuple[Any, ...], Document] = {}
    for document in waiting:
        key = (document.period, document.fingerprint)
        if key not in chosen or (document.language == lang and chosen[key].language != lang):
            chosen[key] = document
    return sorted(chosen.values(), key=lambda d: (d.period_start or date.min, d.number))
