"""Anonymous timing rounds: employees time one task with a stopwatch on their phone, by one link
per round that everyone shares (never one per person). See pilots/timing.py for the rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from backend.domains.pilots.models import KpiUnit
from backend.kernel.db import DateTimeUTC, Row
from backend.kernel.glyphs import refuse_unprintable
from backend.kernel.schema import RowRead, Strict, trimmed, update_model
from backend.kernel.time import today

# A works council's usual floor: below five people an average points at someone.
DEFAULT_MIN_CONTRIBUTORS = 5
LEAST_MIN_CONTRIBUTORS = 3
LONGEST_ROUND = timedelta(days=120)
# One-time participation codes a round may have (slips the works council hands out).
MOST_CODES = 500
# The KPI units a stopwatch can measure, in seconds.
SECONDS_PER = {KpiUnit.minutes: Decimal(60), KpiUnit.hours: Decimal(3600)}


class TimingPurpose(StrEnum):
    baseline = "baseline"  # the round becomes the KPI's baseline (before the pilot)
    measurement = "measurement"  # the round becomes a measurement (with the pilot)


class TimingStatus(StrEnum):
    open = "open"
    released = "released"  # enough people took part: the figures became the baseline or a measurement
    lapsed = "lapsed"  # ended with too few people: nothing was released, the times were deleted
    cancelled = "cancelled"  # ended by the team: the times were deleted


class TimingRoundBase(SQLModel):
    kpi_id: int = Field(foreign_key="kpis.id", ondelete="CASCADE", index=True)
    purpose: TimingPurpose = Field(default=TimingPurpose.measurement, sa_type=String(20))
    task: str = Field(
        min_length=1,
        max_length=300,
        description="What one timing covers, as the stopwatch page says it, e.g. 'ein Angebot bis zum Versand'",
    )
    closes_on: date = Field(description="The last day times are taken; then the round is released or lapses")


class TimingRound(Row, TimingRoundBase, table=True):
    __tablename__ = "timing_rounds"
    # Never an id twice: a round's link and codes are made from its id, so a deleted round's
    # slips would otherwise let their holders into the next round given that id (SQLite).
    __table_args__ = {"sqlite_autoincrement": True}
    min_contributors: int = Field(default=DEFAULT_MIN_CONTRIBUTORS)
    status: TimingStatus = Field(default=TimingStatus.open, sa_type=String(20), index=True)
    # Counters only: how many devices and times, never whose.
    contributors: int = 0
    samples: int = 0
    ended_at: datetime | None = Field(default=None, sa_type=DateTimeUTC)
    measurement_id: int | None = Field(default=None, foreign_key="measurements.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # After go-live: the day after the engagement's end it checks (30, 60, 90), else None.
    checkpoint_days: int | None = None
    # 0: everyone times by the link and a device counts as a person; N: the round has N one-time
    # participation codes and a code counts as a person (pilots/timing.py).
    codes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class TimingRoundCreate(TimingRoundBase, Strict):
    min_contributors: int = Field(
        default=DEFAULT_MIN_CONTRIBUTORS,
        ge=LEAST_MIN_CONTRIBUTORS,
        le=100,
        description="Figures are released only once this many people took part (at least 3; fixed for good)",
    )
    codes: int = Field(
        default=0,
        ge=0,
        le=MOST_CODES,
        description="One-time participation codes to hand out (slips, e.g. by the works council): each code "
        "counts as one person, whatever devices it is used on. 0: a device counts as a person. Fixed for good",
    )

    _task = field_validator("task")(trimmed)
    # The task is printed in the Messkonzept, a PDF/A: what its fonts lack is refused here.
    _printable = field_validator("task")(refuse_unprintable)

    @field_validator("closes_on")
    @classmethod
    def _closes(cls, value: date) -> date:
        if value < today():
            raise ValueError("a round cannot close on a day already past")
        if value > today() + LONGEST_ROUND:
            raise ValueError(f"a round runs at most {LONGEST_ROUND.days} days")
        return value

    @model_validator(mode="after")
    def _enough_codes(self) -> TimingRoundCreate:
        if self.codes and self.codes < self.min_contributors:
            raise PydanticCustomError(
                "codes_too_few",
                "hand out at least as many codes as people needed ({k})",
                {"k": self.min_contributors},
            )
        return self


# PATCH body: the task and the closing day; the KPI, purpose, threshold and codes are fixed for
# good (lowering the threshold after seeing who took part would undo the promise the link made).
TimingRoundUpdate = update_model(TimingRoundCreate, fixed=("kpi_id", "purpose", "min_contributors", "codes"))


class TimingRoundRead(TimingRoundBase, RowRead):
    min_contributors: int
    status: TimingStatus
    contributors: int
    samples: int
    ended_at: datetime | None = None
    measurement_id: int | None = None
    checkpoint_days: int | None = None
    codes: int = 0


class TimingContributor(SQLModel, table=True):
    """That a device (or a participation code) took part in a round, and how many times it sent:
    its key is the SHA-256 of the round and a random value only the device's cookie holds (or
    the code). No time names it."""

    __tablename__ = "timing_contributors"
    __table_args__ = {"sqlite_with_rowid": False}  # kept in key order: no order of arrival
    key: str = Field(primary_key=True, max_length=64)
    round_id: int = Field(foreign_key="timing_rounds.id", ondelete="CASCADE", index=True)
    samples: int = 0


class TimingSample(SQLModel, table=True):
    """One timed task: a random id, the day, the seconds. It names neither a device nor a person,
    and is deleted once the round is released or ends."""

    __tablename__ = "timing_samples"
    __table_args__ = {"sqlite_with_rowid": False}
    id: str = Field(primary_key=True, max_length=32)
    round_id: int = Field(foreign_key="timing_rounds.id", ondelete="CASCADE", index=True)
    seconds: int = Field(ge=1)
    taken_on: date
