from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from backend.kernel.db import utcnow


class AuditEventBase(SQLModel):
    at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, index=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    actor_email: str | None = Field(default=None, max_length=254)
    action: str = Field(max_length=40)
    entity_type: str = Field(max_length=40, sa_type=String(40))
    entity_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class AuditEvent(AuditEventBase, table=True):
    """Append-only: who changed what, when, with the row before and after."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)


class AuditEventRead(AuditEventBase):
    id: int
