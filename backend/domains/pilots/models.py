from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import model_validator
from sqlalchemy import String, Text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.schema import RowRead, Strict, update_model


class ProcessArea(StrEnum):
    routine_automation = "routine_automation"
    document_creation = "document_creation"
    support = "support"
    other = "other"


class PilotStage(StrEnum):
    idea = "idea"
    prototype = "prototype"
    pilot = "pilot"
    production = "production"
    stopped = "stopped"


class IdeaBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    workshop_id: int | None = Field(default=None, foreign_key="workshops.id", ondelete="SET NULL")
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    process_area: ProcessArea = Field(default=ProcessArea.other, sa_type=String(30))
    impact: int = Field(ge=1, le=5)
    effort: int = Field(ge=1, le=5)
    data_readiness: int = Field(ge=1, le=5)


class UseCaseIdea(Row, IdeaBase, table=True):
    __tablename__ = "use_case_ideas"
    pilot_id: int | None = Field(default=None, foreign_key="pilots.id", ondelete="SET NULL")
    # Derived from the three scores on every write (pilots/scoring.py); stored to sort by it.
    score: int = Field(default=0, index=True)


class IdeaCreate(IdeaBase, Strict):
    pass


# PATCH body: every field of the create body optional, `version` required; engagement_id fixed
# for good (a row never moves to another parent).
IdeaUpdate = update_model(IdeaCreate, fixed=("engagement_id",))


class IdeaRead(IdeaBase, RowRead):
    pilot_id: int | None = None
    score: int


class PromoteIdea(Strict):
    """Turn an idea into a pilot; fields left out are taken from the idea."""

    version: int
    title: str | None = Field(default=None, min_length=1, max_length=200)
    hypothesis: str | None = Field(default=None, max_length=20_000)
    owner_contact_id: int | None = None
    start_week: int | None = Field(default=None, ge=1, le=104)
    end_week: int | None = Field(default=None, ge=1, le=104)


class PilotBase(SQLModel):
    engagement_id: int = Field(foreign_key="engagements.id", ondelete="CASCADE", index=True)
    title: str = Field(min_length=1, max_length=200)
    process_area: ProcessArea = Field(default=ProcessArea.other, sa_type=String(30))
    hypothesis: str | None = Field(default=None, max_length=20_000, sa_type=Text)
    owner_contact_id: int | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    start_week: int | None = Field(default=None, ge=1, le=104)
    end_week: int | None = Field(default=None, ge=1, le=104)
    processes_personal_data: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": "false"},
        description="The pilot processes personal data for the client: its proposal includes the AVV (Art. 28 GDPR)",
    )


class Pilot(Row, PilotBase, table=True):
    __tablename__ = "pilots"
    stage: PilotStage = Field(default=PilotStage.idea, sa_type=String(20), index=True)
    stop_reason: str | None = Field(default=None, max_length=2000)


class PilotCreate(PilotBase, Strict):
    @model_validator(mode="after")
    def _weeks(self) -> PilotCreate:
        if self.start_week and self.end_week and self.end_week < self.start_week:
            raise ValueError("end_week must not be before start_week")
        return self


# PATCH body: every field of the create body optional, `version` required; engagement_id fixed
# for good (a row never moves to another parent).
PilotUpdate = update_model(PilotCreate, fixed=("engagement_id",))


class PilotRead(PilotBase, RowRead):
    stage: PilotStage
    stop_reason: str | None = None


class KpiUnit(StrEnum):
    minutes = "minutes"
    hours = "hours"
    eur = "eur"
    count = "count"  # type: ignore[assignment]  # the unit; it hides str.count, never called here
    percent = "percent"


class Direction(StrEnum):
    lower_is_better = "lower_is_better"
    higher_is_better = "higher_is_better"


class KpiBase(SQLModel):
    pilot_id: int = Field(foreign_key="pilots.id", ondelete="CASCADE", index=True)
    name: str = Field(min_length=1, max_length=200)
    unit: KpiUnit = Field(sa_type=String(20))
    direction: Direction = Field(default=Direction.lower_is_better, sa_type=String(20))
    baseline_value: Decimal | None = Field(default=None, max_digits=14, decimal_places=4)
    baseline_method: str | None = Field(default=None, max_length=2000)
    baseline_sample_size: int | None = Field(default=None, ge=1, le=1_000_000)
    baseline_date: date | None = None
    target_value: Decimal | None = Field(default=None, max_digits=14, decimal_places=4)
    monthly_volume: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    hourly_cost: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    run_cost_monthly: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)


class Kpi(Row, KpiBase, table=True):
    __tablename__ = "kpis"


class KpiCreate(KpiBase, Strict):
    pass


# PATCH body: every field of the create body optional, `version` required; pilot_id fixed
# for good (a row never moves to another parent).
KpiUpdate = update_model(KpiCreate, fixed=("pilot_id",))


class KpiRead(KpiBase, RowRead):
    pass


class MeasurementBase(SQLModel):
    kpi_id: int = Field(foreign_key="kpis.id", ondelete="CASCADE", index=True)
    measured_on: date
    value: Decimal = Field(max_digits=14, decimal_places=4)
    sample_size: int | None = Field(default=None, ge=1, le=1_000_000)
    note: str | None = Field(default=None, max_length=2000)


class Measurement(Row, MeasurementBase, table=True):
    __tablename__ = "measurements"
    # A correction is a new row pointing at the one it replaces; the old value stays readable.
    corrects_id: int | None = Field(default=None, foreign_key="measurements.id", ondelete="SET NULL")
    superseded: bool = False
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class MeasurementCreate(MeasurementBase, Strict):
    pass


class MeasurementRead(MeasurementBase, RowRead):
    corrects_id: int | None = None
    superseded: bool
    recorded_by_id: int | None = None


class MeasurementCorrection(Strict):
    """A corrected value; the original stays, marked superseded, and points to this one."""

    version: int
    value: Decimal = Field(max_digits=14, decimal_places=4)
    note: str = Field(min_length=3, max_length=2000, description="Why the value was corrected")
    measured_on: date | None = None
    sample_size: int | None = Field(default=None, ge=1, le=1_000_000)


class IdeaPromotion(SQLModel):
    idea: IdeaRead
    pilot: PilotRead
