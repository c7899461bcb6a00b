"""After go-live: the checkpoints 30, 60 and 90 days after an engagement's end that ask for a
new measurement, the alerts when a KPI slips back, and the pilots' actual run costs by month."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import computed_field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.delivery import Delivered
from backend.kernel.schema import MONTH_PATTERN, RowRead, Strict, update_model
from backend.kernel.time import today

CHECKPOINT_DAYS = (30, 60, 90)


class Checkpoint(Row, Delivered, table=True):
    """A production pilot's measurement request N days after its engagement ended: made once
    (the unique key) with a timing round per timed KPI, and mailed once to the client's owner
    of the pilot (kernel/delivery.py)."""

    __tablename__ = "pilot_checkpoints"
    __table_args__ = (UniqueConstraint("pilot_id", "days"),)
    pilot_id: int = Field(foreign_key="pilots.id", ondelete="CASCADE", index=True)
    days: int
    due_on: date
    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    language: str = Field(default="de", max_length=2)


class SlipAlert(Row, Delivered, table=True):
    """A KPI measured after go-live that kept less of its improvement than the threshold allows:
    recorded once per measurement, mailed once to the lead consultant."""

    __tablename__ = "kpi_slip_alerts"
    kpi_id: int = Field(foreign_key="kpis.id", ondelete="CASCADE", index=True)
    measurement_id: int = Field(foreign_key="measurements.id", ondelete="CASCADE", unique=True)
    # The improvements then and now: the difference of two values of up to 10 digits each.
    at_go_live: Decimal = Field(max_digits=16, decimal_places=4)
    now: Decimal = Field(max_digits=16, decimal_places=4)
    kept_percent: Decimal = Field(max_digits=8, decimal_places=1)
    email: str | None = Field(default=None, max_length=254)


class RunCostBase(SQLModel):
    pilot_id: int = Field(foreign_key="pilots.id", ondelete="CASCADE", index=True)
    month: str = Field(min_length=7, max_length=7, schema_extra={"pattern": MONTH_PATTERN}, description="YYYY-MM")
    amount: Decimal = Field(
        ge=0, max_digits=12, decimal_places=2, description="What running the pilot cost that month, EUR net"
    )
    note: str | None = Field(default=None, max_length=300, description="e.g. Azure OpenAI, Rechnung 11/2026")


class RunCost(Row, RunCostBase, table=True):
    __tablename__ = "pilot_run_costs"
    __table_args__ = (UniqueConstraint("pilot_id", "month"),)


class RunCostCreate(RunCostBase, Strict):
    @field_validator("month")
    @classmethod
    def _past_or_now(cls, value: str) -> str:
        # A bill for a month still to come would count among "the last three" and skew the figures.
        if value > today().strftime("%Y-%m"):
            raise PydanticCustomError("month_ahead", "a run cost is recorded for this month or one before it")
        return value


RunCostUpdate = update_model(RunCostCreate, fixed=("pilot_id", "month"))


class RunCostRead(RunCostBase, RowRead):
    pass


class CheckpointValue(SQLModel):
    """A measurement after go-live against the value at go-live."""

    measurement_id: int
    measured_on: date
    days_after_end: int
    checkpoint: int | None  # 30, 60 or 90 when it answers that checkpoint's request
    value: Decimal
    improvement: Decimal
    kept_percent: Decimal | None  # the improvement now as a share of the one at go-live
    slipped: bool


class KpiSustained(SQLModel):
    kpi_id: int
    name: str
    unit: str
    baseline_value: Decimal | None
    go_live_value: Decimal | None
    go_live_on: date | None
    go_live_improvement: Decimal | None
    slip_alert_percent: int  # an improvement kept below 100 − this % is a slip
    after: list[CheckpointValue]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def state(self) -> str:
        """holding, slipped, waiting (no measurement after go-live yet) or unknown (no go-live value)."""
        if self.go_live_improvement is None:
            return "unknown"
        if not self.after:
            return "waiting"
        return "slipped" if self.after[-1].slipped else "holding"


class PilotSustained(SQLModel):
    pilot_id: int
    title: str
    stage: str
    engagement_end: date
    checkpoints: list[dict[str, object]]  # days, due_on, status of the request mail
    kpis: list[KpiSustained]
    run_costs: list[RunCostRead]
