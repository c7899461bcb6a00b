"""The people a client's AI literacy is built with (EU AI Act Art. 4): its employees who attend
the workshops. They need neither a portal account nor to be one of the client's contacts, and
the product keeps as little about them as the evidence needs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from pydantic import field_validator
from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.glyphs import refuse_unprintable
from backend.kernel.schema import Email, RowRead, Strict, real_address, trimmed, update_model


class ParticipantBase(SQLModel):
    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    name: str = Field(min_length=1, max_length=200)
    role_group: str | None = Field(
        default=None, max_length=100, description="The group the training is planned by, e.g. Vertrieb, Führungskräfte"
    )
    department: str | None = Field(default=None, max_length=100)
    email: Email | None = Field(
        default=None, max_length=254, sa_type=String(254), description="Optional: for the certificate by mail"
    )


class Participant(Row, ParticipantBase, table=True):
    __tablename__ = "participants"
    # One person per address within a client (people without one may share a name).
    __table_args__ = (
        UniqueConstraint("client_id", "email"),
        Index("ix_participants_client_id_name_id", "client_id", "name", "id"),
    )
    # Set by an erasure (GDPR Art. 17): attendance and guideline records still count, nameless.
    erased_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)


def person_text(value: str | None) -> str | None:
    """A name as certificates and the register print it: spaces collapsed (a non-breaking or
    double space would make a second person who looks the same), nothing the fonts cannot draw."""
    if value is None:
        return None
    return refuse_unprintable(" ".join(value.split()))


class ParticipantCreate(ParticipantBase, Strict):
    _name = field_validator("name")(trimmed)
    _real = field_validator("email")(real_address)
    _printed = field_validator("name", "department", "role_group")(person_text)


# PATCH body: every field of the create body optional, `version` required; client_id fixed
# for good (a person never moves to another client).
ParticipantUpdate = update_model(ParticipantCreate, fixed=("client_id",))


class ParticipantRead(ParticipantBase, RowRead):
    erased_at: datetime | None = None


class AISystemBase(SQLModel):
    """An AI system the client lets its staff use (ChatGPT Team, Copilot, a pilot's assistant):
    the anchor that training records, coverage and refresher duties are counted against."""

    client_id: int = Field(foreign_key="clients.id", ondelete="CASCADE", index=True)
    name: str = Field(min_length=1, max_length=200)
    provider: str | None = Field(default=None, max_length=200)
    purpose: str | None = Field(default=None, max_length=1000)
    pilot_id: int | None = Field(
        default=None,
        foreign_key="pilots.id",
        ondelete="SET NULL",
        unique=True,
        description="The pilot this system is; when it goes to production its users need tool-specific training",
    )
    in_use: bool = True
    refresh_months: int | None = Field(
        default=None, ge=1, le=60, description="Months after which its users need a refresher (empty: the default)"
    )


class AISystem(Row, AISystemBase, table=True):
    __tablename__ = "ai_systems"
    __table_args__ = (UniqueConstraint("client_id", "name"),)
    production_since: date | None = None


class AISystemCreate(AISystemBase, Strict):
    _name = field_validator("name")(trimmed)
    _printed = field_validator("name", "provider")(person_text)


AISystemUpdate = update_model(AISystemCreate, fixed=("client_id",))


class AISystemRead(AISystemBase, RowRead):
    production_since: date | None = None


class AISystemUserBase(SQLModel):
    """A named person who uses an AI system: the staff its coverage is the share of."""

    ai_system_id: int = Field(foreign_key="ai_systems.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(foreign_key="participants.id", ondelete="CASCADE", index=True)


class AISystemUser(Row, AISystemUserBase, table=True):
    __tablename__ = "ai_system_users"
    __table_args__ = (UniqueConstraint("ai_system_id", "participant_id"),)


class AISystemUserCreate(AISystemUserBase, Strict):
    pass


class AISystemUserRead(AISystemUserBase, RowRead):
    pass


class AttendanceStatus(StrEnum):
    present = "present"
    late = "late"
    partial = "partial"  # left early or came for a part: the minutes say how much
    absent = "absent"


ATTENDED = (AttendanceStatus.present, AttendanceStatus.late, AttendanceStatus.partial)


class AttendanceSource(StrEnum):
    self_check_in = "self_check_in"
    team = "team"


class Attendance(Row, table=True):
    """Who was at a workshop, how long, and how it is known. One per participant and workshop;
    a correction changes the row (absent included) rather than deleting it, so the feedback
    ballot issued with it is issued once."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("workshop_id", "participant_id"),)
    workshop_id: int = Field(foreign_key="workshops.id", ondelete="CASCADE", index=True)
    participant_id: int = Field(foreign_key="participants.id", ondelete="CASCADE", index=True)
    status: AttendanceStatus = Field(sa_type=String(10))
    minutes: int | None = None
    checked_in_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    source: AttendanceSource = Field(sa_type=String(15))
    recorded_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # Whether this attendance has had its one feedback ballot (never which ballot, nor its answer).
    ballot_issued: bool = False


class AttendanceRead(RowRead):
    workshop_id: int
    participant_id: int
    participant_name: str
    status: AttendanceStatus
    minutes: int
    checked_in_at: datetime | None
    source: AttendanceSource


class FeedbackBallot(SQLModel, table=True):
    """The right to answer a workshop's feedback form once. It names neither the participant
    nor when it was issued (its key is the SHA-256 of a secret only the link carries) and is
    deleted as the answer is stored, so no row ties an answer to a person."""

    __tablename__ = "feedback_ballots"
    # Rows kept in key order, not insertion order (SQLite's hidden row number would tell which
    # ballot was issued when).
    __table_args__ = {"sqlite_with_rowid": False}
    key: str = Field(primary_key=True, max_length=64)
    workshop_id: int = Field(foreign_key="workshops.id", ondelete="CASCADE", index=True)


class FeedbackAnswer(SQLModel, table=True):
    """One anonymous answer: a random id, the day only, no reference to a ballot or a person."""

    __tablename__ = "feedback_answers"
    # Kept in the order of their random ids: SQLite's row number would tell the order of answers.
    __table_args__ = {"sqlite_with_rowid": False}
    id: str = Field(primary_key=True, max_length=32)
    workshop_id: int = Field(foreign_key="workshops.id", ondelete="CASCADE", index=True)
    relevance: int = Field(ge=1, le=5)
    clarity: int = Field(ge=1, le=5)
    applicability: int = Field(ge=1, le=5)
    overall: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000, sa_type=Text)
    submitted_on: date


class GuidelineAcknowledgement(Row, table=True):
    """A participant's confirmation that they read the client's AI guideline, pinned to the
    files they were shown (their digest) and the deliverable's version then."""

    __tablename__ = "guideline_acknowledgements"
    __table_args__ = (UniqueConstraint("participant_id", "deliverable_id", "digest"),)
    participant_id: int = Field(foreign_key="participants.id", ondelete="CASCADE", index=True)
    deliverable_id: int = Field(foreign_key="deliverables.id", ondelete="CASCADE", index=True)
    deliverable_version: int
    digest: str = Field(max_length=64)
    acknowledged_at: datetime = Field(sa_type=DateTimeUTC)
