"""Pilot actions beyond plain CRUD: promoting ideas and correcting measurements."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.audit.service import record, snapshot
from backend.crud import CrudService
from backend.errors import Conflict
from backend.pilots.models import (
    Measurement,
    MeasurementCorrection,
    Pilot,
    PilotCreate,
    PromoteIdea,
    UseCaseIdea,
)
from backend.pilots.resources import ideas, measurements, pilots

idea_service = CrudService(ideas)
pilot_service = CrudService(pilots)
measurement_service = CrudService(measurements)


async def promote_idea(
    session: AsyncSession, user: Any, idea_id: int, data: PromoteIdea
) -> tuple[UseCaseIdea, Pilot]:
    idea = await idea_service.get(session, user, idea_id, lock=True)
    idea_service.check_version(idea, data.version)
    if idea.pilot_id is not None:
        raise Conflict(f"Idea {idea.id} was already promoted to pilot {idea.pilot_id}.")
    overrides = data.model_dump(exclude_unset=True, exclude={"version"})
    pilot = await pilot_service.create(
        session,
        user,
        PilotCreate.model_validate({
            "engagement_id": idea.engagement_id,
            "title": idea.title,
            "process_area": idea.process_area,
            "hypothesis": idea.description,
            **overrides,
        }),
    )
    before = snapshot(idea)
    idea.pilot_id = pilot.id
    await idea_service.touch(session, idea)
    await record(
        session, actor=user, action="promote", entity_type="use_case_idea",
        entity_id=idea.id, before=before, after=snapshot(idea),
    )
    return idea, pilot


async def correct_measurement(
    session: AsyncSession, user: Any, measurement_id: int, data: MeasurementCorrection
) -> Measurement:
    original = await measurement_service.get(session, user, measurement_id, lock=True)
    measurement_service.check_version(original, data.version)
    if original.superseded:
        raise Conflict(
            f"Measurement {original.id} was already corrected; correct the newest value instead."
        )
    correction = Measurement(
        kpi_id=original.kpi_id,
        measured_on=data.measured_on or original.measured_on,
        value=data.value,
        sample_size=data.sample_size if data.sample_size is not None else original.sample_size,
        note=data.note,
        corrects_id=original.id,
        recorded_by_id=getattr(user, "id", None),
    )
    session.add(correction)
    before = snapshot(original)
    original.superseded = True
    await measurement_service.touch(session, original)
    await session.refresh(correction)
    await record(
        session, actor=user, action="correct", entity_type="measurement",
        entity_id=original.id, before=before, after=snapshot(correction),
    )
    return correction
