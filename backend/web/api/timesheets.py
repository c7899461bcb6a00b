"""Time entries (with bulk entry of a week, CSV import and export) and cost rates."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Response, get, post
from litestar.params import QueryParameter
from pydantic import BaseModel, Field, field_validator

from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.domains.timesheets.csv_io import BOM
from backend.domains.timesheets.models import TimeEntryCreate, TimeEntryRead
from backend.domains.timesheets.resources import cost_rate_service, cost_rates, time_entries, time_entry_service
from backend.domains.timesheets.service import entries_between, export_csv, import_csv, record_many
from backend.kernel.errors import Invalid
from backend.kernel.schema import MAX_ID, Strict
from backend.web.api.resource import resource_controller
from backend.web.downloads import content_disposition
from backend.web.handlers import AppRequest, DbSession, example_body, role_guard

_team = [role_guard(STAFF)]
Id = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]


class Week(Strict):
    entries: list[TimeEntryCreate] = Field(min_length=1, max_length=200)


class CsvImport(Strict):
    csv: str = Field(
        min_length=1,
        max_length=2_000_000,
        description="The file's text: `;`-separated, decimal comma, a header line (see docs/time-and-budget.md)",
    )

    @field_validator("csv", mode="before")
    @classmethod
    def _without_bom(cls, value: object) -> object:
        # The mark Excel puts first (and our export too) is no text: hidden characters are refused.
        return value.removeprefix(BOM) if isinstance(value, str) else value


class Imported(BaseModel):
    created: int
    minutes: int
    ids: list[int]


WEEK_EXAMPLE = {
    "entries": [
        {"engagement_id": 1, "day": "2026-11-23", "minutes": 240, "description": "Workshop vorbereitet"},
        {"engagement_id": 1, "day": "2026-11-24", "minutes": 360, "description": "Pilot begleitet", "pilot_id": 1},
    ]
}
CSV_EXAMPLE = {
    "csv": "Datum;Engagement-ID;Stunden;Beschreibung;abrechenbar\r\n24.11.2026;1;2,5;Use-Case-Workshop;ja\r\n"
}


class TimeEntryController(resource_controller(time_entries, time_entry_service)):  # type: ignore[misc]
    @post(
        "/bulk",
        operation_id="record_time_entries",
        summary="Record several entries at once (a week): all of them, or none with every refusal listed",
        guards=_team,
        status_code=201,
        response_description="The entries recorded",
    )
    async def bulk(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(Week, WEEK_EXAMPLE),  # type: ignore[valid-type]
    ) -> list[TimeEntryRead]:
        # Paths as Litestar gives them for the body's own errors (body.entries.3.day).
        bodies = [(f"body.entries.{i}", e.model_dump(exclude_unset=True)) for i, e in enumerate(data.entries)]
        return [TimeEntryRead.model_validate(e) for e in await record_many(db_session, request.user, bodies)]

    @post(
        "/import",
        operation_id="import_time_entries",
        summary="Import a CSV as German Excel writes it: every line, or none with each refusal by line",
        guards=_team,
        status_code=201,
        response_description="How many entries were recorded, their minutes and ids",
    )
    async def import_file(
        self,
        db_session: DbSession,
        request: AppRequest,
        data: example_body(CsvImport, CSV_EXAMPLE),  # type: ignore[valid-type]
    ) -> Imported:
        created = await import_csv(db_session, request.user, data.csv)
        return Imported(created=len(created), minutes=sum(e.minutes for e in created), ids=[e.id for e in created])

    @get(
        "/export",
        operation_id="export_time_entries",
        summary="Entries as CSV for German Excel (; and decimal comma, UTF-8 with BOM), by day",
        guards=_team,
        media_type="text/csv",
    )
    async def export(
        self,
        db_session: DbSession,
        request: AppRequest,
        engagement_id: Id = None,
        user_id: Id = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Response[bytes]:
        if start is not None and end is not None and end < start:
            raise Invalid.field("query.to", "the period ends before it starts")
        if engagement_id is not None:
            await engagement_service.get(db_session, request.user, engagement_id)  # 404 for none
        entries = await entries_between(db_session, engagement_id=engagement_id, user_id=user_id, start=start, end=end)
        name = "Zeiten" + (f"_Engagement-{engagement_id}" if engagement_id else "") + ".csv"
        return Response(
            (await export_csv(db_session, entries)).encode("utf-8"),
            media_type="text/csv",
            headers={"Content-Disposition": content_disposition(name)},
        )


CostRateController = resource_controller(cost_rates, cost_rate_service)
