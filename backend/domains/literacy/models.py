"""The people a client's AI literacy is built with (EU AI Act Art. 4): its employees who attend
the workshops. They need neither a portal account nor to be one of the client's contacts, and
the product keeps as little about them as the evidence needs."""

from __future__ import annotations

from pydantic import field_validator
from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.schema import Email, RowRead, Strict, trimmed, update_model


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


class ParticipantCreate(ParticipantBase, Strict):
    _name = field_validator("name")(trimmed)


# PATCH body: every field of the create body optional, `version` required; client_id fixed
# for good (a person never moves to another client).
ParticipantUpdate = update_model(ParticipantCreate, fixed=("client_id",))


class ParticipantRead(ParticipantBase, RowRead):
    pass
