"""Document versions: request one (queued), generate it (render + store), hand out the PDF.

`generate_document` is the job body: it opens its own sessions, is idempotent (a ready
document is left alone) and records any failure on the document instead of losing it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import sys
import unicodedata
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import defer
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.engagements.resources import engagement_service
from backend.domains.engagements.service import refuse_week_before_start
from backend.domains.timesheets.statements import awaiting_approval
from backend.flows.documents import builders
from backend.flows.documents import data as document_data
from backend.flows.documents.dpa import refuse_nothing_to_agree
from backend.flows.documents.models import (
    Document,
    DocumentKind,
    DocumentRequest,
    DocumentStatus,
    Period,
    replaces,
)
from backend.flows.documents.resources import document_service
from backend.kernel.config import Settings
from backend.kernel.db import compare_and_set, unit_of_work, utcnow
from backend.kernel.errors import Conflict, Invalid, NotReady
from backend.kernel.outbox import plan
from backend.kernel.queue import Renderer
from backend.kernel.time import current_week

log = logging.getLogger(__name__)


async def request_document(
    session: AsyncSession, user: Actor, engagement_id: int, request: DocumentRequest
) -> Document:
    # Every request gets the next version number, however many arrive at once. The number is
    # computed inside the INSERT, which on SQLite runs under the database's single write lock;
    # on PostgreSQL the engagement's row lock serialises the requests per engagement.
    engagement = await engagement_service.get(session, user, engagement_id, lock=True)
    next_number = (
        select(func.coalesce(func.max(Document.number), 0) + 1)
        .where(Document.engagement_id == engagement_id, Document.kind == request.kind)
        .scalar_subquery()
    )
    iso_week = request.iso_week or current_week() if request.kind == DocumentKind.status_report else None
    refuse_week_before_start(engagement, iso_week, given=request.iso_week is not None)
    period = statement_period(request)
    if period is not None:
        await refuse_nothing_to_state(session, engagement_id, period)
    if request.kind == DocumentKind.dpa:
        await refuse_nothing_to_agree(session, engagement_id)
    document = Document(
        engagement_id=engagement_id,
        kind=request.kind,
        language=request.language,
        number=next_number,  # type: ignore[arg-type]  # a subquery: the number is computed in the INSERT
        template=request.kind.value,
        created_by_id=getattr(user, "id", None),
        iso_week=iso_week,
        period_start=period.start if period else None,
        period_end=period.end if period else None,
    )
    session.add(document)
    await session.flush()
    await session.refresh(document)
    await record(
        session,
        actor=user,
        action="create",
        entity_type="document",
        entity_id=document.id,
        after=snapshot(document),
    )
    return document


def statement_period(request: DocumentRequest) -> Period | None:
    """The period a time statement states (none for other kinds), or the refusal why not."""
    custom = request.period_start is not None or request.period_end is not None
    if request.kind != DocumentKind.time_statement:
        if custom or request.month is not None:
            field = "body.month" if request.month is not None else "body.period_start"
            raise Invalid.field(
                field, "a month or period is given for time statements only", key="period_for_statements"
            )
        return None
    if request.iso_week is not None:
        raise Invalid.field("body.iso_week", "a week is given for status reports only", key="week_for_status_reports")
    if request.month is not None and custom:
        raise Invalid.field("body.month", "give either a month or a period, not both", key="period_not_both")
    period = request.period
    if period is None:
        missing = "body.period_end" if request.period_start is not None else "body.period_start"
        if request.period_start is None and request.period_end is None:
            missing = "body.month"
        raise Invalid.field(
            missing, "a time statement needs a month (2026-11) or a first and a last day", key="period_needed"
        )
    if period.end < period.start:
        raise Invalid.field("body.period_end", "the last day is before the first", key="period_reversed")
    if period.end >= _a_year_after(period.start):
        raise Invalid.field("body.period_end", "a time statement covers at most a year", key="period_too_long")
    return period


def _a_year_after(day: date) -> date:
    """The same day a year later (29 February: 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


async def refuse_nothing_to_state(session: AsyncSession, engagement_id: int, period: Period) -> None:
    if not await awaiting_approval(session, engagement_id, period.start, period.end):
        raise Conflict(
            f"No billable time awaits approval from {period.start} to {period.end}: there is nothing to state.",
            key="refused_nothing_to_state",
            start=period.start,
            end=period.end,
        )


def document_job_id(document_id: int) -> str:
    # Unique per request: job ids are global in Redis, and rendering is idempotent anyway.
    return f"document:{document_id}:{secrets.token_hex(4)}"


async def order_document(
    session: AsyncSession, user: Actor, engagement_id: int, request: DocumentRequest
) -> tuple[Document, str]:
    """A new version, and its rendering planned in the same transaction; returns the job id."""
    document = await request_document(session, user, engagement_id, request)
    return document, await plan(session, "render_document", document.id, job_id=document_job_id(document.id))


async def render_again(session: AsyncSession, user: Actor, document_id: int) -> tuple[Document, str]:
    """Plan another rendering of a version that is not ready (stuck queued or rendering, or
    failed); rendering is idempotent, so a job that is still running does no harm."""
    document = await document_service.get(session, user, document_id)
    if document.status == DocumentStatus.ready:
        raise Conflict(f"Document {document_id} is already rendered; generate a new version to change it.")
    job_id = await plan(session, "render_document", document.id, job_id=document_job_id(document.id))
    await record(
        session,
        actor=user,
        action="render_again",
        entity_type="document",
        entity_id=document.id,
        after={"status": document.status, "job_id": job_id},
    )
    return document, job_id


def _ascii_slug(text: str) -> str:
    folded = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    folded = folded.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")[:60] or "Dokument"


def filename_for(data: dict[str, Any]) -> str:
    """ "Angebot_Mueller-GmbH_ANG-0003-1.pdf": the document number tells two engagements' and
    two weeks' files apart."""
    doc = data["document"]
    return "_".join(_ascii_slug(p) for p in (doc["title"], data["client"]["name"], doc["number"])) + ".pdf"


# Failures worth another try: the database or a connection was briefly unavailable.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


async def generate_document(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    renderer: Renderer,
    document_id: int,
    *,
    last_try: bool = True,
) -> str:
    """Render one queued document; safe to run twice. Returns its final status.

    A transient failure is re-raised for the job queue to retry, unless this is the last try;
    anything else, or the last try, marks the document failed with the error.
    """
    done = await render_version(maker, settings, renderer, document_id, last_try=last_try)
    return done if isinstance(done, str) else done.status


async def render_version(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    renderer: Renderer,
    document_id: int,
    *,
    last_try: bool = True,
) -> Document | str:
    """As `generate_document`, but gives the ready version itself (with its PDF), so a caller
    that sends it need not read it again; otherwise its status."""
    try:
        async with unit_of_work(maker) as session:
            document = await session.get(Document, document_id)
            if document is None:
                return "missing"
            if document.status == DocumentStatus.ready:
                return document
            if document.data_snapshot is not None:
                # A version rendered before keeps what it said: an erasure redacted its snapshot
                # (privacy/erasure.py), and it is drawn again from that, not from today's data.
                pdf = await renderer.render(document.template, document.data_snapshot)
                values: dict[str, Any] = {"content": pdf, "sha256": hashlib.sha256(pdf).hexdigest()}
            else:
                values = await _first_rendering(session, settings, renderer, document)
            stored = await compare_and_set(
                session,
                document,
                {**values, "status": DocumentStatus.ready, "error": None},
                expect={"status": document.status},
            )
            if not stored:
                # Another job rendered this version meanwhile; its PDF stands (versions are immutable).
                await session.refresh(document)
                return document if document.status == DocumentStatus.ready else document.status
            return document
    except TRANSIENT:
        if not last_try:
            log.warning("document %s: transient failure, will retry", document_id, exc_info=True)
            raise
        return await _record_failure(maker, document_id)
    except Exception:
        return await _record_failure(maker, document_id)


async def _first_rendering(
    session: AsyncSession, settings: Settings, renderer: Renderer, document: Document
) -> dict[str, Any]:
    """A new version's data from today's records, its PDF and what is stored with it."""
    now = utcnow()
    data = await builders.build(
        session,
        now=now,
        engagement_id=document.engagement_id,
        kind=document.kind,
        lang=document.language,
        number=document.number,
        settings=settings,
        iso_week=document.iso_week,
        period=document.period,
    )
    said = await builders.fingerprint(
        session,
        data,
        engagement_id=document.engagement_id,
        kind=document.kind,
        settings=settings,
        now=now,
        iso_week=document.iso_week,
        period=document.period,
    )
    pdf = await renderer.render(document.template, data)
    return {
        "content": pdf,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "data_snapshot": data,
        "fingerprint": said,
        "valid_until": document_data.valid_until(settings, now) if document.kind == DocumentKind.proposal else None,
        "filename": filename_for(data),
    }


async def _move(
    maker: async_sessionmaker[AsyncSession],
    document_id: int,
    to: DocumentStatus,
    came_from: tuple[DocumentStatus, ...],
    error: str | None = None,
) -> bool:
    """Change a document's status only from one of the states it may come from, in the statement."""
    async with unit_of_work(maker) as session:
        moved = await session.exec(
            update(Document)
            .where(col(Document.id) == document_id, col(Document.status).in_(came_from))
            .values(status=to, error=error, updated_at=utcnow(), version=Document.version + 1)
        )
        return moved.rowcount == 1


async def _record_failure(maker: async_sessionmaker[AsyncSession], document_id: int) -> str:
    log.exception("document %s failed", document_id)
    exc = sys.exc_info()[1]
    # Never over a version another job has finished.
    failed = await _move(
        maker,
        document_id,
        DocumentStatus.failed,
        (DocumentStatus.queued, DocumentStatus.rendering),
        f"{type(exc).__name__}: {exc}"[:4000],
    )
    return DocumentStatus.failed if failed else DocumentStatus.ready


async def mark_rendering(maker: async_sessionmaker[AsyncSession], document_id: int) -> None:
    """Shows progress while a job works on the document (a ready one stays ready)."""
    await _move(maker, document_id, DocumentStatus.rendering, (DocumentStatus.queued, DocumentStatus.failed))


async def pdf_of(session: AsyncSession, user: Actor, document_id: int) -> Document:
    document = await document_service.get(session, user, document_id)
    if document.status in (DocumentStatus.queued, DocumentStatus.rendering):
        raise NotReady(
            f"Document {document_id} is still rendering; ask again in a moment.",
            retry_after=1,
            key="document_rendering",
        )
    if document.status != DocumentStatus.ready:
        raise Conflict(
            f"Document {document_id} could not be rendered (its error is on the document); generate it again.",
            key="document_failed",
        )
    return document


# What a proposal must say before a client gets it, by the catalog word naming the gap.
_PROPOSAL_NEEDS = {
    "missing_goals": lambda data: data.get("proposal", {}).get("goals"),
    "missing_scope": lambda data: data.get("proposal", {}).get("scope"),
    "missing_lead": lambda data: (data.get("engagement", {}).get("lead") or {}).get("name"),
}


def refuse_if_incomplete(document: Document) -> None:
    """A proposal without goals, without its weeks' scope or without a lead consultant reads
    "none" and "—" where the client expects the offer: it is not sent (generate it again once
    the engagement has them)."""
    if document.kind != DocumentKind.proposal:
        return
    data = document.data_snapshot or {}
    missing = [key for key, present in _PROPOSAL_NEEDS.items() if not present(data)]
    if missing:
        names = {
            "missing_goals": "goals",
            "missing_scope": "scope of work by week",
            "missing_lead": "lead consultant",
        }
        raise Invalid(
            f"This proposal cannot be sent: it has no {', no '.join(names[k] for k in missing)}. "
            "Add them to the engagement and generate the proposal again.",
            errors=[{"message": f"missing {names[k]}"} for k in missing],
            key="refused_incomplete",
            missing=tuple(missing),
        )


async def documents_of(session: AsyncSession, engagement_id: int) -> list[Document]:
    """An engagement's document versions, newest first, without their PDF bytes and snapshots
    (the team's page polls them every second while one renders)."""
    stmt = select(Document).where(Document.engagement_id == engagement_id).order_by(col(Document.id).desc())
    stmt = stmt.options(defer(Document.content), defer(Document.data_snapshot))  # type: ignore[arg-type]
    return list((await session.exec(stmt)).all())


async def sent_documents(session: AsyncSession, engagement_id: int) -> list[Document]:
    """Every version sent to the client, newest first per kind, without the PDF bytes."""
    stmt = (
        select(Document)
        .options(defer(Document.content))  # type: ignore[arg-type]
        .where(Document.engagement_id == engagement_id, col(Document.sent_at).is_not(None))
        .order_by(Document.kind, col(Document.number).desc())
    )
    return list((await session.exec(stmt)).all())


async def refuse_replaced(
    session: AsyncSession, document: Document, *, what: str, answer: str, key: str = "refused_superseded"
) -> None:
    """A version the client answers is the current one: a newer version sent in its place is the one to answer."""
    if (current := await replacement_of(session, document)) is not None:
        raise Conflict(
            f"Version {document.number} of this {what} has been replaced by version {current.number}. "
            f"Please read the current version and {answer} that one.",
            key=key,
            n=document.number,
            current=current.number,
        )


async def replacement_of(session: AsyncSession, document: Document) -> Document | None:
    """The newest version sent to the client that replaces this one for its readers, if any."""
    return next((d for d in await sent_documents(session, document.engagement_id) if replaces(d, document)), None)
