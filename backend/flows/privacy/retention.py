"""Keeping personal data no longer than needed (GDPR Art. 5 (1)(e)): retention policies, applied
by a nightly job, with a dry run that says what would go.

Each policy is one or more steps, a step one statement over one table: the rows older than the
policy's period (a legal period runs from the end of the record's year), not under a live legal
hold — on the row itself or on what it belongs to — and not already done, are deleted or
stripped of their personal columns. Running it again finds nothing to do; a crash between steps
leaves each step whole (every step is its own transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, not_, null, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.flows.privacy.inventory import LAWS
from backend.flows.privacy.models import Basis
from backend.kernel.config import Settings
from backend.kernel.db import unit_of_work
from backend.kernel.time import BERLIN


def _t(name: str) -> Table:
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True)
class Cutoff:
    """Rows older than this go: `before` for timestamps, `before_day` for days."""

    before: datetime

    @property
    def before_day(self) -> date:
        return self.before.astimezone(BERLIN).date()


def _midnight(day: date) -> Cutoff:
    return Cutoff(datetime.combine(day, time(), BERLIN).astimezone(UTC))


def days_ago(days: int) -> Callable[[date], Cutoff]:
    return lambda today: _midnight(today - timedelta(days=days))


def years_ago(years: int) -> Callable[[date], Cutoff]:
    """The same day `years` earlier (29 February: the 28th)."""
    return lambda today: _midnight(
        today.replace(year=today.year - years, day=min(today.day, 28 if today.month == 2 else 31))
    )


def legal_years(years: int) -> Callable[[date], Cutoff]:
    """Kept for `years` after the end of the record's year (§ 257 Abs. 5 HGB, § 147 Abs. 4 AO):
    a record of 2019 kept six years goes in 2026, so the cutoff is the first of January of
    (this year − years)."""
    return lambda today: Cutoff(datetime(today.year - years, 1, 1, tzinfo=BERLIN).astimezone(UTC))


@dataclass(frozen=True)
class Step:
    table: str
    # The row's age: its timestamp or day column (None: `where` says which rows are old).
    age: str | None
    # Further conditions a row must meet (a kind, a state), given the cutoff.
    where: Callable[[Cutoff], list[ColumnElement[bool]]] = lambda _: []
    # None: delete the row; else set these columns to NULL (its detail), while any is set.
    strip: tuple[str, ...] | None = None
    # Holds that keep the row besides one on itself: (held table, this table's column naming it).
    held_via: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Policy:
    key: str
    what: str
    law: str | None
    period: Callable[[Settings], str]
    cutoff: Callable[[Settings, date], Cutoff]
    steps: tuple[Step, ...] = field(default_factory=tuple)


def _older(table: Table, age: str, cutoff: Cutoff) -> ColumnElement[bool]:
    column = table.c[age]
    return column < (cutoff.before_day if column.type.python_type is date else cutoff.before)


def _not_held(step: Step, today: date) -> ColumnElement[bool]:
    holds = _t("legal_holds")
    table = _t(step.table)
    key = list(table.primary_key.columns)[0]
    live = holds.c.kept_until >= today
    named = [and_(holds.c.entity_type == step.table, holds.c.entity_id == key)]
    named += [and_(holds.c.entity_type == held, holds.c.entity_id == table.c[column]) for held, column in step.held_via]
    return not_(exists().where(live, or_(*named)))


def _old_invoice(cutoff: Cutoff) -> Any:
    """Issued invoices from before the cutoff's year, none of them still corrected by a younger one."""
    invoices = _t("invoices")
    younger = invoices.alias("younger")
    return select(invoices.c.id).where(
        invoices.c.issue_date < cutoff.before_day,
        not_(exists().where(younger.c.corrects_id == invoices.c.id, younger.c.issue_date >= cutoff.before_day)),
    )


def _invoice_part(table: str) -> Step:
    return Step(
        table,
        age=None,
        where=lambda c: [_t(table).c.invoice_id.in_(_old_invoice(c))],
        held_via=(("invoices", "invoice_id"),),
    )


POLICIES: tuple[Policy, ...] = (
    Policy(
        "sign_in_links",
        "portal sign-in link records",
        None,
        lambda s: f"{s.retention_sign_in_link_days} days",
        lambda s, today: days_ago(s.retention_sign_in_link_days)(today),
        (Step("portal_login_links", age="created_at"),),
    ),
    Policy(
        "digest_deliveries",
        "weekly digest delivery rows",
        None,
        lambda s: f"{s.retention_digest_delivery_days} days",
        lambda s, today: days_ago(s.retention_digest_delivery_days)(today),
        (Step("digest_deliveries", age="created_at", held_via=(("engagements", "engagement_id"),)),),
    ),
    Policy(
        "audit_detail",
        "the before/after detail of audit events (who did what when stays)",
        None,
        lambda s: f"{s.retention_audit_detail_years} years",
        lambda s, today: years_ago(s.retention_audit_detail_years)(today),
        (Step("audit_events", age="at", strip=("before", "after", "actor_email")),),
    ),
    Policy(
        "proposals",
        "proposal and AVV versions, their acceptances and declines",
        LAWS[Basis.hgb_257].cites,
        lambda s: f"{s.retention_proposal_years} years after the end of the year",
        lambda s, today: legal_years(s.retention_proposal_years)(today),
        (
            Step(
                "proposal_acceptances",
                age="accepted_at",
                held_via=(("documents", "document_id"), ("engagements", "engagement_id")),
            ),
            Step(
                "dpa_acceptances",
                age="accepted_at",
                held_via=(("documents", "document_id"), ("engagements", "engagement_id")),
            ),
            Step(
                "documents",
                age="created_at",
                where=lambda _: [
                    _t("documents").c.kind.in_(("proposal", "dpa")),
                    not_(exists().where(_t("proposal_acceptances").c.document_id == _t("documents").c.id)),
                    not_(exists().where(_t("dpa_acceptances").c.document_id == _t("documents").c.id)),
                ],
                held_via=(("engagements", "engagement_id"),),
            ),
        ),
    ),
    Policy(
        "invoices",
        "issued invoices with their lines, files, mailings and payments",
        LAWS[Basis.ao_147].cites,
        lambda s: f"{s.retention_invoice_years} years after the end of the year",
        lambda s, today: legal_years(s.retention_invoice_years)(today),
        (
            _invoice_part("invoice_payments"),
            _invoice_part("invoice_mailings"),
            _invoice_part("invoice_files"),
            Step(
                "invoices",
                age="issue_date",
                where=lambda c: [
                    _t("invoices").c.id.in_(_old_invoice(c)),
                    not_(exists().where(_t("invoice_payments").c.invoice_id == _t("invoices").c.id)),
                    not_(exists().where(_t("invoice_mailings").c.invoice_id == _t("invoices").c.id)),
                    not_(exists().where(_t("invoice_files").c.invoice_id == _t("invoices").c.id)),
                ],
                held_via=(("engagements", "engagement_id"),),
            ),
        ),
    ),
    Policy(
        "privacy_requests",
        "answered privacy requests (the register's proof of the answer)",
        None,
        lambda s: f"{s.retention_privacy_request_years} years after the answer",
        lambda s, today: years_ago(s.retention_privacy_request_years)(today),
        (Step("privacy_requests", age="answered_at"),),
    ),
)


class StepReport(BaseModel):
    table: str
    action: str
    rows: int
    held: int


class PolicyReport(BaseModel):
    key: str
    what: str
    law: str | None
    period: str
    cutoff: date
    steps: list[StepReport]


class RetentionReport(BaseModel):
    day: date
    dry_run: bool
    policies: list[PolicyReport]

    @property
    def rows(self) -> int:
        return sum(step.rows for policy in self.policies for step in policy.steps)


def _due(step: Step, cutoff: Cutoff) -> list[ColumnElement[bool]]:
    table = _t(step.table)
    conditions = [*step.where(cutoff)]
    if step.age is not None:
        conditions.append(_older(table, step.age, cutoff))
    if step.strip is not None:
        conditions.append(or_(*(table.c[c].is_not(None) for c in step.strip)))
    return conditions


async def _apply(session: AsyncSession, step: Step, cutoff: Cutoff, today: date) -> StepReport:
    table = _t(step.table)
    due, free = _due(step, cutoff), _not_held(step, today)
    held = select(func.count()).select_from(table).where(*due, not_(free))
    kept = int((await session.exec(held)).one()[0])  # type: ignore[call-overload]
    if step.strip is None:
        done = await session.exec(delete(table).where(*due, free))
    else:
        # SQL NULL, not JSON's null: the row then no longer matches `is_not(None)`.
        done = await session.exec(update(table).where(*due, free).values(dict.fromkeys(step.strip, null())))
    action = "deleted" if step.strip is None else "stripped"
    return StepReport(table=step.table, action=action, rows=done.rowcount, held=kept)


async def apply_retention(
    maker: async_sessionmaker[AsyncSession], settings: Settings, today: date, *, dry_run: bool
) -> RetentionReport:
    """Apply every policy, each step in a transaction of its own. A dry run makes the same
    statements in one transaction and rolls it back: its figures are what a run would do,
    later steps counting what earlier ones free."""
    if dry_run:
        async with maker() as trial:
            report = await _policies(settings, today, dry_run, lambda step, cutoff: _apply(trial, step, cutoff, today))
            await trial.rollback()
        return report

    async def committed(step: Step, cutoff: Cutoff) -> StepReport:
        async with unit_of_work(maker) as session:
            return await _apply(session, step, cutoff, today)

    return await _policies(settings, today, dry_run, committed)


async def _policies(
    settings: Settings, today: date, dry_run: bool, run: Callable[[Step, Cutoff], Awaitable[StepReport]]
) -> RetentionReport:
    policies = []
    for policy in POLICIES:
        cutoff = policy.cutoff(settings, today)
        steps = [await run(step, cutoff) for step in policy.steps]
        policies.append(
            PolicyReport(
                key=policy.key,
                what=policy.what,
                law=policy.law,
                period=policy.period(settings),
                cutoff=cutoff.before_day,
                steps=steps,
            )
        )
    return RetentionReport(day=today, dry_run=dry_run, policies=policies)
