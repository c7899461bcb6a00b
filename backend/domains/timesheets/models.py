"""Effort: time entries against an engagement, and each consultant's internal cost rate.

An entry is the consultancy's record of work done; once the client approved it (in a time
statement) or it was invoiced it is locked, and a mistake in it is set right by a correction: a
new entry that names the locked one and carries the difference in minutes (negative to take
time off). Nothing recorded is ever overwritten.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from advanced_alchemy.types import DateTimeUTC
from pydantic import model_validator
from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.schema import RowRead, Strict, update_model

MINUTES_PER_DAY = 24 * 60


class LockReason(StrEnum):
    approved = "approved"  # the client approved a time statement that holds it
    invoiced = "invoiced"


class TimeEntryBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE")
    day: date
    minutes: int = Field(
        ge=-MINUTES_PER_DAY,
        le=MINUTES_PER_DAY,
        description="Time spent, in minutes; negative only in a correction that takes time off",
    )
    description: str = Field(min_length=1, max_length=2000, sa_type=Text)
    billable: bool = True
    # What the time went into, at most one of them, within the same engagement.
    workshop_id: int | None = Field(default=None, foreign_key="workshops.id", ondelete="SET NULL")
    pilot_id: int | None = Field(default=None, foreign_key="pilots.id", ondelete="SET NULL")
    deliverable_id: int | None = Field(default=None, foreign_key="deliverables.id", ondelete="SET NULL")


class TimeEntry(Row, TimeEntryBase, table=True):
    __tablename__ = "time_entries"
    # Burn and statements read an engagement's entries by day; a consultant's week by user and day;
    # the list, newest first, all entries by day.
    __table_args__ = (
        Index("ix_time_entries_engagement_id_day_id", "engagement_id", "day", "id"),
        Index("ix_time_entries_user_id_day_id", "user_id", "day", "id"),
        Index("ix_time_entries_day_id", "day", "id"),
    )
    user_id: int = Field(foreign_key="users.id", ondelete="RESTRICT")
    corrects_id: int | None = Field(default=None, foreign_key="time_entries.id", ondelete="CASCADE", index=True)
    locked_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    lock_reason: LockReason | None = Field(default=None, sa_type=String(20))
    # The time statement (a document version) in which the client approved it. No reference in
    # the database (see migration 0016): a statement goes only with its engagement, and the
    # engagement's entries with it.
    statement_id: int | None = Field(default=None, index=True)


class TimeEntryCreate(TimeEntryBase, Strict):
    user_id: int | None = Field(
        default=None, description="The consultant whose time it is; yours when left out (only admins name another)"
    )
    corrects_id: int | None = Field(
        default=None, description="A locked entry this one corrects; `minutes` is then the difference"
    )

    @model_validator(mode="after")
    def _one_link_and_real_time(self) -> TimeEntryCreate:
        links = [name for name in ("workshop_id", "pilot_id", "deliverable_id") if getattr(self, name) is not None]
        if len(links) > 1:
            raise ValueError(f"an entry is linked to at most one of workshop, pilot and deliverable, not {links}")
        if self.corrects_id is None and self.minutes < 1:
            raise ValueError("minutes must be at least 1 (a negative amount only corrects a locked entry)")
        if self.corrects_id is not None and self.minutes == 0:
            raise ValueError("a correction changes the time by at least one minute")
        return self


# PATCH body: the owner and what a correction corrects are fixed for good.
TimeEntryUpdate = update_model(TimeEntryCreate, fixed=("user_id", "corrects_id"))


class TimeEntryRead(TimeEntryBase, RowRead):
    user_id: int
    corrects_id: int | None = None
    locked_at: datetime | None = None
    lock_reason: LockReason | None = None
    statement_id: int | None = Field(default=None, description="The time statement the client approved it in")


class BurnAlert(Row, Delivered, table=True):
    """An engagement crossing one of its budget thresholds: recorded once (the unique key), and
    mailed once to its lead consultant (kernel/delivery.py)."""

    __tablename__ = "burn_alerts"
    __table_args__ = (UniqueConstraint("engagement_id", "threshold"),)
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    threshold: int
    used_pct: Decimal = Field(max_digits=8, decimal_places=1)
    email: str | None = Field(default=None, max_length=254)


class CostRateBase(SQLModel):
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    valid_from: date = Field(description="The rate holds from this day until the next rate of the same user")
    hourly_cost: Decimal = Field(ge=0, max_digits=10, decimal_places=2, description="Internal cost per hour, EUR")


class CostRate(Row, CostRateBase, table=True):
    __tablename__ = "cost_rates"
    __table_args__ = (UniqueConstraint("user_id", "valid_from"),)


class CostRateCreate(CostRateBase, Strict):
    pass


CostRateUpdate = update_model(CostRateCreate, fixed=("user_id",))


class CostRateRead(CostRateBase, RowRead):
    pass
