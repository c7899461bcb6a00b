"""Where personal data lives and what an erasure does with it: one map for the whole schema.

Rows point at a person by a key (a column referring to contacts, users or participants) or name
them in text. What erasure does with a row that points at the person is set here per column;
text that names the person is redacted wherever it is, except in records the law requires
keeping (HOLDS). tests/flows/test_privacy_inventory.py holds the map to the schema: a new column
that points at a person fails it until it is placed here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, LargeBinary, String, Table, Text, TypeDecorator, select
from sqlmodel import SQLModel, col

from backend.domains.auth.models import User
from backend.domains.clients.models import Contact
from backend.domains.literacy.models import Participant
from backend.flows.acceptance.models import DeliverableAcceptance, DeliverableAcceptanceFile
from backend.flows.invoicing.models import Invoice, InvoiceFile, InvoiceLine, InvoiceMailing, InvoiceStatus
from backend.flows.portal.models import DpaAcceptance, ProposalAcceptance, StatementDecision
from backend.flows.privacy.models import Basis, SubjectKind

PEOPLE: dict[SubjectKind, type[SQLModel]] = {
    SubjectKind.contact: Contact,
    SubjectKind.participant: Participant,
    SubjectKind.user: User,
}
TABLE_OF: dict[SubjectKind, str] = {kind: str(model.__tablename__) for kind, model in PEOPLE.items()}
PERSON_TABLES = {table: kind for kind, table in TABLE_OF.items()}


class Action(StrEnum):
    delete = "deleted"
    unlink = "unlinked"  # the key set to NULL, the row stays
    anonymise = "anonymised"  # the columns in ANONYMISED blanked, the row stays
    keep = "kept"  # the key stays: it points at a row without name or address from then on
    redact = "redacted"  # (for the report) text naming the person replaced


# What erasure does with a row pointing at an erased person, by (table, column).
ON_ERASE: dict[tuple[str, str], Action] = {
    # The person's own account: erased as a person of its own (erasure.py).
    ("users", "contact_id"): Action.keep,
    # Access and mailing: gone with the person.
    ("auth_sessions", "user_id"): Action.delete,
    ("portal_login_links", "contact_id"): Action.delete,
    ("share_links", "contact_id"): Action.delete,
    ("digest_deliveries", "contact_id"): Action.delete,
    ("literacy_reminders", "contact_id"): Action.delete,
    ("guideline_invitations", "participant_id"): Action.delete,
    ("workshop_attendees", "contact_id"): Action.delete,
    ("ai_system_users", "participant_id"): Action.delete,
    # A certificate is the person's own paper; nobody else needs it kept.
    ("certificates", "participant_id"): Action.delete,
    ("pilots", "owner_contact_id"): Action.unlink,
    # Answers given in the portal: who and from where goes, what was answered stays.
    ("proposal_declines", "contact_id"): Action.anonymise,
    ("proposal_declines", "user_id"): Action.anonymise,
    ("dpa_objections", "contact_id"): Action.anonymise,
    ("dpa_objections", "user_id"): Action.anonymise,
    ("statement_decisions", "contact_id"): Action.anonymise,
    ("statement_decisions", "user_id"): Action.anonymise,
    # Records that stay: evidence counted without the name (attendance, a guideline read, a
    # sign-off), or records the law requires keeping (HOLDS keep their text as it is).
    ("attendances", "participant_id"): Action.keep,
    ("guideline_acknowledgements", "participant_id"): Action.keep,
    ("deliverables", "signed_off_by_contact_id"): Action.keep,
    ("deliverable_acceptance_requests", "contact_id"): Action.keep,
    ("deliverable_acceptances", "contact_id"): Action.keep,
    ("deliverable_acceptances", "user_id"): Action.keep,
    ("proposal_acceptances", "contact_id"): Action.keep,
    ("proposal_acceptances", "user_id"): Action.keep,
    ("dpa_acceptances", "contact_id"): Action.keep,
    ("dpa_acceptances", "user_id"): Action.keep,
    ("audit_events", "actor_id"): Action.keep,
    # The register of requests: proof the person's request was answered (Art. 5 (2)).
    ("privacy_requests", "subject_id"): Action.keep,
    # The team's columns (who made, recorded, leads): a client's contact or participant is
    # never there, and the team's own accounts are not erased here.
    ("attendances", "recorded_by"): Action.keep,
    ("cost_rates", "user_id"): Action.keep,
    ("deliverable_acceptance_requests", "requested_by_id"): Action.keep,
    ("deliverable_artefacts", "created_by_id"): Action.keep,
    ("documents", "created_by_id"): Action.keep,
    ("engagements", "lead_consultant_id"): Action.keep,
    ("erasures", "requested_by_id"): Action.keep,
    ("invoice_payments", "recorded_by_id"): Action.keep,
    ("invoices", "created_by_id"): Action.keep,
    ("invoices", "issued_by_id"): Action.keep,
    ("legal_holds", "placed_by_id"): Action.keep,
    ("privacy_requests", "recorded_by_id"): Action.keep,
    ("measurements", "recorded_by_id"): Action.keep,
    ("share_links", "created_by_id"): Action.keep,
    ("timing_rounds", "created_by_id"): Action.keep,
    ("webhook_subscriptions", "created_by_id"): Action.keep,
    ("status_updates", "author_id"): Action.keep,
    ("time_entries", "user_id"): Action.keep,
    ("workshops", "facilitator_id"): Action.keep,
}

# Columns blanked in a row whose action is `anonymise` (unless a hold keeps the row).
ANONYMISED: dict[str, dict[str, Any]] = {
    "proposal_declines": {"ip_address": None, "user_agent": None},
    "dpa_objections": {"ip_address": None, "user_agent": None},
    "statement_decisions": {"ip_address": None, "user_agent": None, "typed_name": None},
}

# Never in an export: what would let its reader sign in as the person, or act as the system.
SECRETS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    "portal_login_links": frozenset({"token_hash"}),
    "auth_sessions": frozenset({"id"}),
    # A webhook's signing key: whoever holds it can sign events the receiver trusts.
    "webhook_subscriptions": frozenset({"secret"}),
}

# Columns that name a person by kind and id together (no foreign key can): (kind, id) columns.
SUBJECT_COLUMNS: dict[str, tuple[str, str]] = {"privacy_requests": ("subject_kind", "subject_id")}

# Not searched for names: the erasures themselves (ids and counts; the reason is stored redacted).
UNSEARCHED = frozenset({"erasures"})


@dataclass(frozen=True)
class Law:
    years: int
    cites: str

    def kept_until(self, since: date | datetime) -> date:
        """The last day kept: periods run from the end of the calendar year the record is of
        (§ 257 Abs. 5 HGB, § 147 Abs. 4 AO)."""
        return date(since.year + self.years, 12, 31)


LAWS: dict[Basis, Law] = {
    Basis.hgb_257: Law(6, "§ 257 Abs. 1 Nr. 2, 3 und Abs. 4 HGB"),
    Basis.ao_147: Law(8, "§ 147 Abs. 1 Nr. 4 und Abs. 3 AO, § 14b UStG"),
}


@dataclass(frozen=True)
class HoldRule:
    """Rows of `table` the law requires keeping: `records()` selects (row id, the record's day)."""

    table: str
    key: str  # what the record is, for the pages' words (hold_<key>)
    basis: Basis
    what: str
    records: Callable[[], Any]  # a SELECT of (row id, the record's day)

    def reason(self) -> str:
        law = LAWS[self.basis]
        return f"{self.what}: {law.cites}, {law.years} years"


_issued = col(Invoice.status) != InvoiceStatus.draft
_approved = col(StatementDecision.decision) == "approved"


def _of_issued_invoice(key: Any, invoice_key: Any) -> Callable[[], Any]:
    """Rows of an issued invoice's parts, with the invoice's day."""
    return lambda: (
        select(col(key), col(Invoice.issue_date)).join(Invoice, col(Invoice.id) == col(invoice_key)).where(_issued)
    )


HOLDS: tuple[HoldRule, ...] = (
    HoldRule(
        "proposal_acceptances",
        "proposal_acceptance",
        Basis.hgb_257,
        "accepted proposal (contract)",
        lambda: select(col(ProposalAcceptance.id), col(ProposalAcceptance.accepted_at)),
    ),
    HoldRule(
        "documents",
        "proposal_version",
        Basis.hgb_257,
        "the proposal version accepted (contract)",
        lambda: select(col(ProposalAcceptance.document_id), col(ProposalAcceptance.accepted_at)),
    ),
    HoldRule(
        "dpa_acceptances",
        "dpa_acceptance",
        Basis.hgb_257,
        "accepted data processing agreement (AVV, Art. 28 GDPR)",
        lambda: select(col(DpaAcceptance.id), col(DpaAcceptance.accepted_at)),
    ),
    HoldRule(
        "documents",
        "dpa_version",
        Basis.hgb_257,
        "the AVV version accepted (contract)",
        lambda: select(col(DpaAcceptance.document_id), col(DpaAcceptance.accepted_at)),
    ),
    HoldRule(
        "deliverable_acceptances",
        "deliverable_acceptance",
        Basis.hgb_257,
        "acceptance of a deliverable (Abnahme, § 640 BGB)",
        lambda: select(col(DeliverableAcceptance.id), col(DeliverableAcceptance.accepted_at)),
    ),
    HoldRule(
        "deliverable_acceptance_files",
        "acceptance_protocol",
        Basis.hgb_257,
        "acceptance protocol (Abnahmeprotokoll)",
        lambda: select(col(DeliverableAcceptanceFile.acceptance_id), col(DeliverableAcceptance.accepted_at)).join(
            DeliverableAcceptance, col(DeliverableAcceptance.id) == col(DeliverableAcceptanceFile.acceptance_id)
        ),
    ),
    HoldRule(
        "statement_decisions",
        "approved_statement",
        Basis.ao_147,
        "approved time statement (what invoices are booked on)",
        lambda: select(col(StatementDecision.id), col(StatementDecision.decided_at)).where(_approved),
    ),
    HoldRule(
        "documents",
        "statement_version",
        Basis.ao_147,
        "the time statement version approved (what invoices are booked on)",
        lambda: select(col(StatementDecision.document_id), col(StatementDecision.decided_at)).where(_approved),
    ),
    HoldRule(
        "invoices",
        "invoice",
        Basis.ao_147,
        "issued invoice",
        lambda: select(col(Invoice.id), col(Invoice.issue_date)).where(_issued),
    ),
    *(
        HoldRule(str(model.__tablename__), name, Basis.ao_147, what, _of_issued_invoice(key, fk))
        for model, key, fk, name, what in (
            (InvoiceLine, InvoiceLine.id, InvoiceLine.invoice_id, "invoice_line", "line of an issued invoice"),
            (
                InvoiceFile,
                InvoiceFile.invoice_id,
                InvoiceFile.invoice_id,
                "invoice_files",
                "issued invoice (PDF and XML)",
            ),
            (
                InvoiceMailing,
                InvoiceMailing.id,
                InvoiceMailing.invoice_id,
                "invoice_mailing",
                "dispatch of an issued invoice",
            ),
        )
    ),
)


def holds_for(table: str) -> list[HoldRule]:
    return [rule for rule in HOLDS if rule.table == table]


# A string column this short holds a code, a state or a kind ("support", "2026-W48", "de"),
# never a person's name or address: it is neither searched nor ever rewritten.
CODE_LENGTH = 30


def text_columns(table: Table) -> list[Any]:
    """Columns that can hold a name or an address: texts, JSON and strings longer than a code."""
    found = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):
            kind = kind.impl_instance
        if isinstance(kind, LargeBinary):
            continue
        if isinstance(kind, Text | JSON) or (
            isinstance(kind, String) and (kind.length or CODE_LENGTH + 1) > CODE_LENGTH
        ):
            found.append(column)
    return found


def binary_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, LargeBinary)]


def person_keys(table: Table) -> list[tuple[Any, SubjectKind]]:
    """The columns of `table` that point at a person, and at which kind."""
    found = []
    for column in table.columns:
        for fk in column.foreign_keys:
            kind = PERSON_TABLES.get(fk.column.table.name)
            if kind is not None:
                found.append((column, kind))
    return found


def row_id(table: Table, row: Any) -> Any:
    """The key a report and a hold name a row by (a number; a session's is a string)."""
    return row[list(table.primary_key.columns)[0].name]
