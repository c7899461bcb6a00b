from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import computed_field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, String, Text
from sqlmodel import Field, SQLModel

from backend.kernel.db import Row
from backend.kernel.glyphs import refuse_unprintable
from backend.kernel.schema import RowRead, Strict, update_model
from backend.kernel.tax_ids import valid_country
from backend.kernel.time import today


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


class TransferMechanism(StrEnum):
    """How personal data may leave the EEA (GDPR Art. 44–49)."""

    adequacy = "adequacy"  # an adequacy decision for the country (Art. 45), e.g. CH, UK, JP
    eu_us_dpf = "eu_us_dpf"  # a US company certified under the EU-US Data Privacy Framework
    sccs = "sccs"  # the Commission's standard contractual clauses (Art. 46 (2)(c))
    bcrs = "bcrs"  # binding corporate rules (Art. 47)


# Countries with an adequacy decision of the Commission (Art. 45 GDPR); the US has one only for
# companies certified under the EU-US Data Privacy Framework (transfer_mechanism eu_us_dpf).
ADEQUATE = frozenset("AD AR CA CH FO GB GG IL IM JE JP KR NZ UY".split())

# The EU's 27 and Iceland, Liechtenstein and Norway: within them personal data moves freely.
EEA = frozenset("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK".split())


class SubProcessorBase(SQLModel):
    """A provider a pilot sends the client's data to (a model's API, a hosting service): what a
    data processing agreement names as a sub-processor (Art. 28 (2), (4) GDPR)."""

    pilot_id: int = Field(foreign_key="pilots.id", ondelete="CASCADE", index=True)
    provider: str = Field(
        min_length=1, max_length=200, description="The company, e.g. Microsoft Ireland Operations Ltd."
    )
    service: str | None = Field(default=None, max_length=200, description="e.g. Azure OpenAI Service")
    model: str | None = Field(default=None, max_length=200, description="The AI model, e.g. GPT-4o")
    hosting_region: str = Field(
        min_length=1, max_length=200, description="Where it runs, e.g. EU Data Boundary, Schweden"
    )
    hosting_country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2, e.g. SE, DE, US")
    data_categories: list[str] = Field(
        default_factory=list,
        sa_type=JSON,
        description="What data it receives, e.g. Kundenanfragen, Angebotstexte, Kontaktdaten",
    )
    personal_data: bool = Field(default=False, description="It receives personal data")
    dpa_signed_on: date | None = Field(
        default=None, description="The day the AVV with the provider was signed; empty: none"
    )
    transfer_mechanism: TransferMechanism | None = Field(
        default=None,
        sa_type=String(20),
        description="Outside the EEA with personal data: adequacy, eu_us_dpf, sccs or bcrs",
    )


class SubProcessor(Row, SubProcessorBase, table=True):
    __tablename__ = "sub_processors"


class SubProcessorCreate(SubProcessorBase, Strict):
    @field_validator("hosting_country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if not valid_country(value):
            raise ValueError("not a country code (ISO 3166-1 alpha-2, e.g. DE, IE, US)")
        return value

    @field_validator("data_categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        cleaned = [" ".join(v.split()) for v in value]
        if len(cleaned) > 20 or any(not v or len(v) > 100 for v in cleaned):
            raise ValueError("up to 20 categories, each 1 to 100 characters")
        for category in cleaned:
            # Printed in the AVV and the record of processing: no control characters, no
            # direction overrides, nothing the fonts cannot draw.
            if not category.isprintable():
                raise ValueError("a category must not contain control characters or direction overrides")
            refuse_unprintable(category)
        return list(dict.fromkeys(cleaned))

    @field_validator("dpa_signed_on")
    @classmethod
    def _signed(cls, value: date | None) -> date | None:
        if value is not None and value > today():
            raise PydanticCustomError("date_ahead", "an AVV cannot have been signed on a day still to come")
        return value

    @model_validator(mode="after")
    def _transfer(self) -> SubProcessorCreate:
        # Error types of their own: the pages say them in German (the catalog's `validation`).
        outside = self.hosting_country not in EEA
        if outside and self.personal_data and self.transfer_mechanism is None:
            raise PydanticCustomError(
                "transfer_missing",
                "personal data leaving the EEA needs its transfer mechanism (Art. 44–49 GDPR): "
                "set transfer_mechanism to adequacy, eu_us_dpf, sccs or bcrs",
            )
        if not outside and self.transfer_mechanism is not None:
            raise PydanticCustomError(
                "transfer_in_eea", "within the EEA no transfer mechanism applies: leave transfer_mechanism empty"
            )
        if self.transfer_mechanism == TransferMechanism.eu_us_dpf and self.hosting_country != "US":
            raise PydanticCustomError(
                "transfer_dpf_us_only", "the EU-US Data Privacy Framework covers companies in the United States only"
            )
        if self.transfer_mechanism == TransferMechanism.adequacy and self.hosting_country not in ADEQUATE:
            raise PydanticCustomError(
                "transfer_no_adequacy",
                "{country} has no adequacy decision (Art. 45 GDPR): use standard contractual clauses (sccs) or "
                "binding corporate rules (bcrs){dpf}",
                {
                    "country": self.hosting_country,
                    "dpf": "; a US company certified under the Data Privacy Framework: eu_us_dpf"
                    if self.hosting_country == "US"
                    else "",
                },
            )
        if self.personal_data and not self.data_categories:
            raise PydanticCustomError(
                "categories_missing", "name the categories of personal data it receives (data_categories)"
            )
        return self


# PATCH body: every field of the create body optional, `version` required; pilot_id fixed.
SubProcessorUpdate = update_model(SubProcessorCreate, fixed=("pilot_id",))


class SubProcessorRead(SubProcessorBase, RowRead):
    @computed_field  # type: ignore[prop-decorator]
    @property
    def outside_eea(self) -> bool:
        """Hosted outside the EU, Iceland, Liechtenstein and Norway."""
        return self.hosting_country not in EEA

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dpa_missing(self) -> bool:
        """It receives personal data, and no AVV with the provider is recorded."""
        return self.personal_data and self.dpa_signed_on is None


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
    baseline_std_dev: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=14,
        decimal_places=4,
        description="The baseline's standard deviation over its cases (with the sample size: the confidence)",
    )
    baseline_date: date | None = None
    target_value: Decimal | None = Field(default=None, max_digits=14, decimal_places=4)
    monthly_volume: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    hourly_cost: Decimal | None = Field(default=None, ge=0, max_digits=10, decimal_places=2)
    run_cost_monthly: Decimal = Field(default=Decimal("0"), ge=0, max_digits=12, decimal_places=2)
    slip_alert_percent: int = Field(
        default=25,
        ge=5,
        le=90,
        sa_column_kwargs={"server_default": "25"},
        description="After go-live, a measurement keeping less than 100 minus this % of the improvement at go-live "
        "alerts the lead consultant",
    )


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
    std_dev: Decimal | None = Field(
        default=None,
        ge=0,
        max_digits=14,
        decimal_places=4,
        description="Standard deviation over the sample_size cases the value is the mean of",
    )
    note: str | None = Field(default=None, max_length=2000)


class Measurement(Row, MeasurementBase, table=True):
    __tablename__ = "measurements"
    # A correction is a new row pointing at the one it replaces; the old value stays readable.
    corrects_id: int | None = Field(default=None, foreign_key="measurements.id", ondelete="SET NULL")
    superseded: bool = False
    recorded_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


def not_ahead(value: date | None) -> date | None:
    """A value measured on a day still to come would be taken as the latest and move the figures."""
    if value is not None and value > today():
        raise PydanticCustomError("date_ahead", "a measurement cannot be dated on a day still to come")
    return value


class MeasurementCreate(MeasurementBase, Strict):
    _measured_on = field_validator("measured_on")(not_ahead)


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
    std_dev: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)

    _measured_on = field_validator("measured_on")(not_ahead)


class IdeaPromotion(SQLModel):
    idea: IdeaRead
    pilot: PilotRead
