"""Erasing a person (GDPR Art. 17): everywhere it is allowed, in one transaction, once.

The person's own records (contact, portal account, participant) stay as rows, for the records
that point at them, with a placeholder for name and address; what only served them (sign-in
links, sessions, digest and reminder rows, certificates) is deleted; every other text naming
them — notes, agendas, audit snapshots, document snapshots — is redacted. Records the law
requires keeping (inventory.HOLDS) are left as they are, each under a legal hold that says why
and until when. Document versions whose snapshot named the person are rendered again from the
redacted snapshot."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import User
from backend.domains.auth.passwords import hash_password
from backend.domains.auth.principals import Actor
from backend.domains.engagements.models import Engagement
from backend.domains.pilots.models import Pilot, SubProcessor
from backend.flows.acceptance.models import DeliverableAcceptanceRequest, RequestOutcome
from backend.flows.acceptance.requests import close_requests
from backend.flows.documents.models import DocumentStatus
from backend.flows.documents.service import document_job_id
from backend.flows.privacy import inventory
from backend.flows.privacy.inventory import ANONYMISED, ON_ERASE, PEOPLE, TABLE_OF, Action, holds_for
from backend.flows.privacy.models import (
    ErasedPart,
    Erasure,
    ErasurePlan,
    ErasureReport,
    ErasureRequest,
    KeptPart,
    LegalHold,
    Recipient,
    SubjectKind,
)
from backend.flows.privacy.requests import answer_erasure_requests
from backend.flows.privacy.search import Hit, Hits, Person, person_of, rows_naming, searched_tables
from backend.kernel.db import add_unless_taken, hold, utcnow
from backend.kernel.errors import Conflict
from backend.kernel.outbox import plan as plan_job
from backend.kernel.redaction import ERASED_NAME, Redactor, erased_email
from backend.kernel.time import today as berlin_today


def _placeholders(kind: SubjectKind, row_id: int, now: datetime) -> dict[str, Any]:
    """What an erased person's own row says from then on."""
    if kind == SubjectKind.contact:
        return {
            "name": ERASED_NAME,
            "email": erased_email("contact", row_id),
            "phone": None,
            "position": None,
            "is_ai_owner": False,
            "receives_digest": False,
            "portal_access": False,
            "erased_at": now,
        }
    if kind == SubjectKind.participant:
        return {"name": ERASED_NAME, "email": None, "department": None, "erased_at": now}
    return {
        "full_name": ERASED_NAME,
        "email": erased_email("user", row_id),
        "is_active": False,
        "deactivated_by": "admin",
        # No password anyone knows, and every session it had ends (sessions.py counts epochs).
        "password_hash": hash_password(secrets.token_urlsafe(32)),
        "last_login_at": None,
        "session_epoch": User.__table__.c.session_epoch + 1,  # type: ignore[attr-defined]
        "erased_at": now,
    }


@dataclass
class _Plan:
    """What erasing a person does, found before anything is written: the preview shows it, the
    erasure does it."""

    person: Person
    redactor: Redactor
    hits: Hits
    due: list[KeptPart]  # holds the law requires, to be placed
    kept: list[KeptPart]  # those and the holds an admin placed
    recipients: list[Recipient]

    @cached_property
    def records(self) -> list[tuple[SubjectKind, Any]]:
        """The person's own records that get a placeholder: all but those a hold keeps."""
        held = {(k.table, k.id) for k in self.kept}
        return [(kind, row) for kind, row in self.person.rows() if (TABLE_OF[kind], row.id) not in held]

    @cached_property
    def rows(self) -> list[tuple[Any, Any, Hit, set[Action]]]:
        """Each other row found that the erasure changes, with what it does; rows that depend on
        others first, so a deleted row never waits on its dependants."""
        skip = {(k.table, k.id) for k in self.kept} | {(TABLE_OF[k], row.id) for k, row in self.person.rows()}
        return [
            (table, row_id, hit, actions)
            for table in reversed(searched_tables())
            for row_id, hit in self.hits.get(table.name, {}).items()
            if (table.name, row_id) not in skip and (actions := _actions(table.name, hit))
        ]

    def summary(self) -> ErasurePlan:
        erased: Counter[tuple[str, str]] = Counter((TABLE_OF[kind], Action.anonymise) for kind, _ in self.records)
        rendered = []
        for table, row_id, hit, actions in self.rows:
            erased.update((table.name, action) for action in actions)
            if _renders_again(table.name, hit, actions):
                rendered.append(row_id)
        return ErasurePlan(
            subject_kind=self.person.kind,
            subject_id=self.person.id,
            client_id=self.person.client_id,
            people=[{"kind": k, "id": row.id} for k, row in self.person.rows()],
            erased=[ErasedPart(table=t, action=a, rows=n) for (t, a), n in sorted(erased.items())],
            kept=self.kept,
            documents_rendered_again=sorted(rendered),
            recipients=self.recipients,
        )


async def _plan(session: AsyncSession, kind: SubjectKind, subject: Any, now: datetime, held: bool = False) -> _Plan:
    person = await person_of(session, kind, subject)
    if held:
        # Every record of the person is held before the search: a change they make at the same
        # moment (audit.service holds their account too) lands before it, or is refused after it.
        for kind_, rows in person.records.items():
            await hold(session, PEOPLE[kind_], [row.id for row in rows])  # type: ignore[arg-type]
    redactor = person.redactor()
    hits = await rows_naming(session, person, redactor)
    due = await _holds_due(session, hits, now)
    kept = due + await _held_by_hand(session, hits, person, now, {(k.table, k.id) for k in due}, redactor)
    # The report outlives the person: a provider's entry that names them is redacted there too.
    recipients = [
        Recipient(provider=redactor.text(r.provider), service=r.service and redactor.text(r.service))
        for r in await _recipients(session, person.client_id)
    ]
    return _Plan(person, redactor, hits, due, kept, recipients)


async def preview(session: AsyncSession, kind: SubjectKind, subject: Any) -> ErasurePlan:
    """What an erasure of this person would do, table by table, and what it would keep and why;
    nothing is written."""
    if subject.erased_at is not None:
        raise Conflict("this person has been erased already", key="erased_already")
    return (await _plan(session, kind, subject, utcnow())).summary()


async def erase(
    session: AsyncSession, actor: Actor, kind: SubjectKind, subject: Any, request: ErasureRequest
) -> ErasureReport:
    """Erase the person `subject` is; a person erased before gets the first erasure's report."""
    # Erasures of one person go one after the other (row lock; SQLite: its write lock).
    await hold(session, PEOPLE[kind], [subject.id])  # type: ignore[arg-type]
    done = await _erasure_of(session, kind, subject.id)
    if done is not None:
        return ErasureReport.model_validate(done.report)
    await session.refresh(subject)
    if subject.erased_at is not None:  # erased with another record of the same person
        if (earlier := await _erasure_including(session, kind, subject)) is not None:
            return ErasureReport.model_validate(earlier.report)
    now = utcnow()
    plan = await _plan(session, kind, subject, now, held=True)
    erasure = await add_unless_taken(
        session,
        Erasure(
            subject_kind=kind,
            subject_id=subject.id,
            client_id=plan.person.client_id,
            requested_by_id=getattr(actor, "id", None),
            reason=plan.redactor.text(request.reason),
            erased_at=now,
        ),
    )
    if erasure is None:  # lost a race the lock should have prevented: the winner's report stands
        done = await _erasure_of(session, kind, subject.id)
        assert done is not None
        return ErasureReport.model_validate(done.report)
    summary = plan.summary()  # before the writes change what the rows say
    for part in plan.due:
        await add_unless_taken(
            session,
            LegalHold(
                entity_type=part.table,
                entity_id=part.id,
                basis=part.basis,
                reason=part.reason,
                kept_until=part.kept_until,
                erasure_id=erasure.id,
                created_at=now,
                updated_at=now,
            ),
        )
    for kind_, row in plan.records:
        await _write(session, SQLModel.metadata.tables[TABLE_OF[kind_]], row.id, _placeholders(kind_, row.id, now))
    for table, row_id, hit, actions in plan.rows:
        await _erase_row(session, table, row_id, hit, actions, plan.redactor)
    for document_id in summary.documents_rendered_again:
        await plan_job(session, "render_document", document_id, job_id=document_job_id(document_id))
    subjects = {k: plan.person.ids(k) for k in SubjectKind}
    await answer_erasure_requests(session, subjects, erasure.id, erasure.reason)
    # An Abnahme asked of the person can no longer be answered by them: it lapses (no deemed
    # acceptance runs against someone erased; the team asks someone else).
    if contacts := subjects[SubjectKind.contact]:
        await close_requests(session, col(DeliverableAcceptanceRequest.contact_id).in_(contacts), RequestOutcome.lapsed)
    report = ErasureReport(**summary.model_dump(), erasure_id=erasure.id, erased_at=now)
    erasure.report = report.model_dump(mode="json")
    await session.flush()
    await record(
        session,
        actor=actor,
        action="erase",
        entity_type=kind.value,
        entity_id=subject.id,
        after={"erasure_id": erasure.id, "erased": len(report.erased), "kept": len(report.kept)},
    )
    return report


async def _recipients(session: AsyncSession, client_id: int | None) -> list[Recipient]:
    """Who the client's data was disclosed to: the providers its pilots send personal data to,
    each to be told of the erasure (Art. 19 GDPR)."""
    if client_id is None:
        return []
    stmt = (
        select(SubProcessor.provider, SubProcessor.service)
        .join(Pilot, col(Pilot.id) == col(SubProcessor.pilot_id))
        .join(Engagement, col(Engagement.id) == col(Pilot.engagement_id))
        .where(Engagement.client_id == client_id, col(SubProcessor.personal_data).is_(True))
        .distinct()
        .order_by(col(SubProcessor.provider), col(SubProcessor.service))
    )
    return [Recipient(provider=p, service=s) for p, s in (await session.exec(stmt)).all()]


async def erasure_of_person(session: AsyncSession, kind: SubjectKind, subject: Any) -> Erasure | None:
    """The erasure that took this record: its own, or another record's of the same person."""
    return await _erasure_of(session, kind, subject.id) or await _erasure_including(session, kind, subject)


async def _erasure_of(session: AsyncSession, kind: SubjectKind, subject_id: int) -> Erasure | None:
    stmt = select(Erasure).where(Erasure.subject_kind == kind, Erasure.subject_id == subject_id)
    return (await session.exec(stmt)).first()


async def _erasure_including(session: AsyncSession, kind: SubjectKind, subject: Any) -> Erasure | None:
    """The erasure that took this record with another record of the same person."""
    stmt = select(Erasure).where(Erasure.client_id == getattr(subject, "client_id", None))
    for erasure in (await session.exec(stmt.order_by(col(Erasure.id)))).all():
        if {"kind": kind.value, "id": subject.id} in erasure.report.get("people", []):
            return erasure
    return None


async def _held_by_hand(
    session: AsyncSession, hits: Hits, person: Any, now: datetime, already: set[tuple[str, Any]], redactor: Redactor
) -> list[KeptPart]:
    """Rows an admin placed a hold on (a dispute, an authority's request) stay as they are while
    it lasts, the person's own records among them."""
    named = {table: set(rows) for table, rows in hits.items()}
    for kind, row in person.rows():
        named.setdefault(TABLE_OF[kind], set()).add(row.id)
    kept = []
    for table, ids in named.items():
        stmt = select(LegalHold).where(
            LegalHold.entity_type == table,
            col(LegalHold.entity_id).in_([i for i in ids if isinstance(i, int)]),
            LegalHold.kept_until >= berlin_today(now),
        )
        for hold_ in (await session.exec(stmt)).all():
            if (table, hold_.entity_id) not in already:
                already.add((table, hold_.entity_id))
                kept.append(
                    KeptPart(
                        table=table,
                        id=hold_.entity_id,
                        basis=hold_.basis,
                        reason=redactor.text(hold_.reason),  # an admin's words may name the person
                        kept_until=hold_.kept_until,
                    )
                )
    return kept


async def _holds_due(session: AsyncSession, hits: Hits, now: datetime) -> list[KeptPart]:
    """Every row found that the law requires keeping, with the law and the last day kept."""
    kept: list[KeptPart] = []
    for table_name, rows in hits.items():
        for rule in holds_for(table_name):
            records = rule.records().subquery()
            id_column, since_column = records.c
            stmt = select(id_column, since_column).where(id_column.in_(list(rows)))
            for entity_id, since in (await session.exec(stmt)).all():
                # A record without its day (never expected) is kept as if made today.
                until = inventory.LAWS[rule.basis].kept_until(since or now)
                kept.append(
                    KeptPart(
                        table=table_name,
                        id=entity_id,
                        basis=rule.basis,
                        reason=rule.reason(),
                        record=rule.key,
                        kept_until=until,
                    )
                )
    return sorted(kept, key=lambda k: (k.table, k.id, k.basis))


def _actions(table_name: str, hit: Hit) -> set[Action]:
    """What erasure does to one row found: the map's action for the keys that point at the
    person, and redaction of its text."""
    if hit.part_of is not None:
        return set()  # a record's file goes with its record, when the law no longer keeps it
    actions = {ON_ERASE[(table_name, key)] for key in hit.keys} - {Action.keep}
    if Action.delete in actions:
        return {Action.delete}
    return actions | ({Action.redact} if hit.text else set())


def _renders_again(table_name: str, hit: Hit, actions: set[Action]) -> bool:
    """A document version whose snapshot named the person is drawn again from the redacted one."""
    return (
        table_name == "documents"
        and Action.redact in actions
        and "data_snapshot" in hit.text
        and hit.row["status"] == DocumentStatus.ready
    )


async def _erase_row(
    session: AsyncSession, table: Any, row_id: Any, hit: Hit, actions: set[Action], redactor: Redactor
) -> None:
    if Action.delete in actions:
        await session.exec(delete(table).where(list(table.primary_key.columns)[0] == row_id))
        return
    values: dict[str, Any] = {}
    if Action.unlink in actions:
        values.update({key: None for key in hit.keys if ON_ERASE[(table.name, key)] == Action.unlink})
    if Action.anonymise in actions:
        values.update(ANONYMISED[table.name])
    for name in hit.text:
        values[name] = _fit(table.c[name], redactor.value(hit.row[name]))
    if _renders_again(table.name, hit, actions):
        # Rendered again from the redacted snapshot (documents.service renders a stored
        # snapshot as it is); until then the version is not handed out.
        values.update({"status": DocumentStatus.queued, "content": None, "sha256": None})
    if values:
        await _write(session, table, row_id, values)


def _fit(column: Any, value: Any) -> Any:
    """A placeholder can be longer than what it replaces: cut to what the column holds."""
    length = getattr(column.type, "length", None)
    return value[:length] if isinstance(value, str) and length else value


async def _write(session: AsyncSession, table: Any, row_id: Any, values: dict[str, Any]) -> None:
    """Change one row; a versioned row's version moves on, so an editor holding the old text
    cannot write it back (their save is a conflict)."""
    if "version" in table.c:
        values = {**values, "version": table.c.version + 1, "updated_at": utcnow()}
    key = list(table.primary_key.columns)[0]
    await session.exec(update(table).where(key == row_id).values(**values))
