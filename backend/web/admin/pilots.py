"""The pilot page: stage, KPIs with a chart and computed savings, measurements and corrections."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, MediaType, get, post
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import STAFF
from backend.domains.engagements.resources import engagement_service
from backend.domains.pilots import timing
from backend.domains.pilots.aftercare import sustained
from backend.domains.pilots.aftercare_models import RunCostCreate
from backend.domains.pilots.models import (
    Direction,
    Kpi,
    KpiCreate,
    KpiUnit,
    MeasurementCorrection,
    MeasurementCreate,
    PilotStage,
    ProcessArea,
    SubProcessorCreate,
    SubProcessorRead,
    TransferMechanism,
)
from backend.domains.pilots.resources import (
    PILOT_FLOW,
    kpi_service,
    kpis,
    measurement_service,
    pilot_service,
    pilots,
    run_cost_service,
    sub_processor_service,
    sub_processors,
    timing_round_service,
)
from backend.domains.pilots.service import (
    correct_measurement,
    kpis_of,
    pilot_results,
    processors_of_pilot,
)
from backend.domains.pilots.timing_models import SECONDS_PER, TimingPurpose, TimingRoundCreate, TimingStatus
from backend.kernel.db import utcnow
from backend.kernel.qr import qr_svg
from backend.kernel.time import today
from backend.web.admin.engagements import context
from backend.web.admin.pages import Form
from backend.web.charts import kpi_chart
from backend.web.forms import (
    Failure,
    attempt,
    checked,
    decimals,
    done,
    edit_defaults,
    edit_values,
    int_or_none,
    move,
    parse,
    save_edit,
)
from backend.web.handlers import AppRequest, DbSession, RowId, role_guard

PROCESSOR_EDIT = (
    "provider",
    "service",
    "model",
    "hosting_region",
    "hosting_country",
    "data_categories",
    "personal_data",
    "dpa_signed_on",
    "transfer_mechanism",
)


def processor_form(data: dict[str, Any]) -> dict[str, Any]:
    """The form's comma-separated categories as a list, its box as a truth value."""
    text = str(data.get("data_categories") or "")
    return {
        **data,
        "data_categories": [c.strip() for c in text.split(",") if c.strip()],
        "personal_data": checked(data, "personal_data"),
    }


def processor_defaults(row: SubProcessorRead) -> dict[str, Any]:
    values = edit_defaults(row, PROCESSOR_EDIT)
    return {**values, "data_categories": ", ".join(row.data_categories)}


KPI_DECIMALS = (
    "baseline_value",
    "baseline_std_dev",
    "target_value",
    "monthly_volume",
    "hourly_cost",
    "run_cost_monthly",
)
PILOT_EDIT = ("title", "process_area", "hypothesis", "start_week", "end_week", "processes_personal_data")
KPI_EDIT = (
    "name",
    "unit",
    "direction",
    "baseline_value",
    "baseline_method",
    "baseline_sample_size",
    "baseline_std_dev",
    "baseline_date",
    "target_value",
    "monthly_volume",
    "hourly_cost",
    "run_cost_monthly",
    "slip_alert_percent",
)


# A new timing round's default span: two working weeks.
ROUND_DAYS = timedelta(days=14)


# --- controller --------------------------------------------------------------------------------


class PilotPages(Controller):
    path = "/pilots"
    include_in_schema = False
    guards = [role_guard(STAFF)]

    @get("/{row_id:int}")
    async def show(self, db_session: DbSession, request: AppRequest, row_id: RowId) -> Template:
        return await self._show(db_session, request, row_id, Failure())

    async def _show(self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure) -> Template:
        pilot = await pilot_service.get(db_session, request.user, row_id)
        engagement = await engagement_service.get(db_session, request.user, pilot.engagement_id)
        results = await pilot_results(db_session, request.user, row_id)
        rows, measured = await kpis_of(db_session, row_id)
        processors = [SubProcessorRead.model_validate(p) for p in await processors_of_pilot(db_session, row_id)]
        ctx = context(
            request,
            nav="engagements",
            pilot=pilot,
            engagement=engagement,
            results=results,
            kpis=rows,
            measured=measured,
            failed=failure,
            needs_reason=PILOT_FLOW.needs_reason,
            next_states=sorted(PILOT_FLOW.moves[pilot.stage], key=list(PilotStage).index),
            units=list(KpiUnit),
            directions=list(Direction),
            today=today().isoformat(),
            process_areas=list(ProcessArea),
            pilot_form=edit_defaults(pilot, PILOT_EDIT),
            kpi_forms={k.id: edit_defaults(k, KPI_EDIT) for k in rows},
            processors=processors,
            processor_forms={p.id: processor_defaults(p) for p in processors},
            transfer_mechanisms=list(TransferMechanism),
        )
        settings = request.app.state.settings
        ctx["rounds"] = await timing.rounds_of(db_session, [k.id for k in rows])
        ctx["round_links"] = {
            r.id: settings.link(timing.round_path(settings.secret_key, r))
            for found in ctx["rounds"].values()
            for r in found
        }
        # Links a phone cannot open: the server names itself by a loopback address.
        ctx["local_links"] = urlsplit(settings.link("/")).hostname in ("127.0.0.1", "localhost", "::1")
        ctx["sustained"] = await sustained(db_session, pilot, rows, measured)
        ctx["timed_units"] = set(SECONDS_PER)
        ctx["timing_purposes"] = list(TimingPurpose)
        ctx["round_closes"] = (today() + ROUND_DAYS).isoformat()
        words = {"baseline": ctx["t"]("chart_baseline"), "target": ctx["t"]("chart_target")}
        ctx["by_kpi"] = {r.kpi_id: r for r in results.kpis}
        ctx["charts"] = {k.id: kpi_chart(measured[k.id], k, ctx["fmt"], words) for k in rows}
        # Missing inputs by the labels of the KPI form, where they are filled in.
        ctx["field_names"] = lambda names: ", ".join(ctx["t"](f"f_{name}") for name in names)
        return Template("pilots/show.html", context=ctx, status_code=failure.status, media_type=MediaType.HTML)

    async def _back(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, failure: Failure | None, at: str | None = None
    ) -> Any:
        """The page again with the refusal, or back to it at the section `at`."""
        if failure:
            return await self._show(db_session, request, row_id, failure)
        return await done(db_session, f"/pilots/{row_id}" + (f"#{at}" if at else ""))

    async def _own_kpi(self, db_session: AsyncSession, request: AppRequest, row_id: int, kpi_id: int) -> Kpi:
        kpi = await kpi_service.get(db_session, request.user, kpi_id, within={"pilot_id": row_id})
        return kpi

    @post("/{row_id:int}/transition")
    async def transition(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        action = move(pilot_service, db_session, request, row_id, data)
        return await self._back(db_session, request, row_id, await attempt(db_session, request, "stage", data, action))

    @post("/{row_id:int}/edit")
    async def edit(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await pilot_service.get(db_session, request.user, row_id)
        values = edit_values(data, PILOT_EDIT)
        # An unticked box sends nothing: the form always says whether the pilot processes personal data.
        values["processes_personal_data"] = checked(data, "processes_personal_data")

        async def action() -> None:
            await save_edit(pilot_service, pilots.update, db_session, request, row_id, data, values, whole="end_week")

        return await self._back(db_session, request, row_id, await attempt(db_session, request, "edit", data, action))

    @post("/{row_id:int}/kpis/{kpi_id:int}")
    async def edit_kpi(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, kpi_id: RowId, data: Form
    ) -> Any:
        await self._own_kpi(db_session, request, row_id, kpi_id)
        values = edit_values(decimals(data, *KPI_DECIMALS), KPI_EDIT)

        async def action() -> None:
            await save_edit(kpi_service, kpis.update, db_session, request, kpi_id, data, values)

        return await self._back(
            db_session, request, row_id, await attempt(db_session, request, f"kpi-{kpi_id}", data, action)
        )

    @post("/{row_id:int}/sub-processors")
    async def add_processor(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await pilot_service.get(db_session, request.user, row_id)

        async def action() -> None:
            body = parse(SubProcessorCreate, processor_form(data), pilot_id=row_id)
            await sub_processor_service.create(db_session, request.user, body)

        failure = await attempt(db_session, request, "processor", data, action)
        return await self._back(db_session, request, row_id, failure)

    @post("/{row_id:int}/sub-processors/{processor_id:int}")
    async def edit_processor(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, processor_id: RowId, data: Form
    ) -> Any:
        await sub_processor_service.get(db_session, request.user, processor_id, within={"pilot_id": row_id})
        values = edit_values(processor_form(data), PROCESSOR_EDIT)

        async def action() -> None:
            await save_edit(
                sub_processor_service, sub_processors.update, db_session, request, processor_id, data, values
            )

        failure = await attempt(db_session, request, f"processor-{processor_id}", data, action)
        return await self._back(db_session, request, row_id, failure)

    @post("/{row_id:int}/kpis")
    async def add_kpi(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await pilot_service.get(db_session, request.user, row_id)

        async def action() -> None:
            body = parse(KpiCreate, decimals(data, *KPI_DECIMALS), pilot_id=row_id)
            await kpi_service.create(db_session, request.user, body)

        return await self._back(db_session, request, row_id, await attempt(db_session, request, "kpi", data, action))

    @post("/{row_id:int}/kpis/{kpi_id:int}/measurements")
    async def add_measurement(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, kpi_id: RowId, data: Form
    ) -> Any:
        await self._own_kpi(db_session, request, row_id, kpi_id)

        async def action() -> None:
            body = parse(MeasurementCreate, decimals(data, "value", "std_dev"), kpi_id=kpi_id)
            await measurement_service.create(db_session, request.user, body)

        failure = await attempt(db_session, request, f"measure-{kpi_id}", data, action)
        return await self._back(db_session, request, row_id, failure)

    @post("/{row_id:int}/measurements/{measurement_id:int}/correct")
    async def correct(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, measurement_id: RowId, data: Form
    ) -> Any:
        original = await measurement_service.get(db_session, request.user, measurement_id)
        await self._own_kpi(db_session, request, row_id, original.kpi_id)

        async def action() -> None:
            body = parse(MeasurementCorrection, decimals(data, "value"))
            await correct_measurement(db_session, request.user, measurement_id, body)

        failure = await attempt(db_session, request, f"correct-{measurement_id}", data, action)
        return await self._back(db_session, request, row_id, failure)

    @post("/{row_id:int}/run-costs")
    async def add_run_cost(self, db_session: DbSession, request: AppRequest, row_id: RowId, data: Form) -> Any:
        await pilot_service.get(db_session, request.user, row_id)

        async def action() -> None:
            await run_cost_service.create(
                db_session, request.user, parse(RunCostCreate, decimals(data, "amount"), pilot_id=row_id)
            )

        return await self._back(
            db_session, request, row_id, await attempt(db_session, request, "run-cost", data, action)
        )

    @post("/{row_id:int}/run-costs/{cost_id:int}/delete")
    async def delete_run_cost(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, cost_id: RowId, data: Form
    ) -> Any:
        """A bill typed wrong goes (and is typed again): they are not changed in place."""
        await run_cost_service.get(db_session, request.user, cost_id, within={"pilot_id": row_id})
        version = int_or_none(data.get("version"))

        async def action() -> None:
            await run_cost_service.delete(db_session, request.user, cost_id, version)

        return await self._back(
            db_session, request, row_id, await attempt(db_session, request, "run-cost-delete", data, action)
        )

    @post("/{row_id:int}/kpis/{kpi_id:int}/timing-rounds")
    async def start_round(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, kpi_id: RowId, data: Form
    ) -> Any:
        await self._own_kpi(db_session, request, row_id, kpi_id)

        async def action() -> None:
            await timing_round_service.create(db_session, request.user, parse(TimingRoundCreate, data, kpi_id=kpi_id))

        failure = await attempt(db_session, request, f"timing-{kpi_id}", data, action)
        return await self._back(db_session, request, row_id, failure, at=f"kpi-{kpi_id}")

    @get("/{row_id:int}/timing-rounds/{round_id:int}/codes")
    async def round_codes(self, db_session: DbSession, request: AppRequest, row_id: RowId, round_id: RowId) -> Template:
        """The round's participation codes as slips to print, cut apart and hand out at random."""
        row = await timing_round_service.get(db_session, request.user, round_id)
        await self._own_kpi(db_session, request, row_id, row.kpi_id)
        settings = request.app.state.settings
        link = settings.link(timing.round_path(settings.secret_key, row))
        kpi, task, _ = await timing.task_of(db_session, row)
        ctx = context(
            request,
            nav="engagements",
            round=row,
            kpi=kpi,
            task=task,
            link=link,
            qr=qr_svg(link, scale=3).decode(),
            codes=timing.participation_codes(settings.secret_key, row) if row.status == TimingStatus.open else [],
        )
        return Template("pilots/timing_codes.html", context=ctx, media_type=MediaType.HTML)

    @post("/{row_id:int}/timing-rounds/{round_id:int}/release")
    async def release_round(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, round_id: RowId, data: Form
    ) -> Any:
        return await self._end_round(db_session, request, row_id, round_id, data, timing.release)

    @post("/{row_id:int}/timing-rounds/{round_id:int}/cancel")
    async def cancel_round(
        self, db_session: DbSession, request: AppRequest, row_id: RowId, round_id: RowId, data: Form
    ) -> Any:
        return await self._end_round(db_session, request, row_id, round_id, data, timing.cancel)

    async def _end_round(
        self, db_session: AsyncSession, request: AppRequest, row_id: int, round_id: int, data: Any, end: Any
    ) -> Any:
        row = await timing_round_service.get(db_session, request.user, round_id)
        await self._own_kpi(db_session, request, row_id, row.kpi_id)

        async def action() -> None:
            await end(db_session, request.user, row, utcnow())

        failure = await attempt(db_session, request, f"round-{round_id}", data, action)
        return await self._back(db_session, request, row_id, failure)
