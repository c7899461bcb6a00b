"""The funnel from ideas to production: how many ideas each workshop brought, how many became
pilots, how many of those run in production — per engagement and across engagements, for the
consultancy's own reporting. An idea counts once, in the stage its pilot has reached."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, computed_field
from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.engagements.models import Engagement
from backend.domains.pilots.models import Pilot, PilotStage, UseCaseIdea
from backend.domains.workshops.models import Workshop

COUNTS = ("ideas", "pilots", "production", "stopped")


def _share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


class Stage(BaseModel):
    """Counts of one slice (a workshop, an engagement, all of them)."""

    ideas: int
    pilots: int  # ideas promoted to a pilot
    production: int  # of those, pilots in production now
    stopped: int  # of those, pilots stopped

    @computed_field  # type: ignore[prop-decorator]
    @property
    def idea_to_pilot_percent(self) -> Decimal | None:
        return _share(self.pilots, self.ideas)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pilot_to_production_percent(self) -> Decimal | None:
        return _share(self.production, self.pilots)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def idea_to_production_percent(self) -> Decimal | None:
        return _share(self.production, self.ideas)

    def __add__(self, other: Stage) -> Stage:
        return Stage(**{name: getattr(self, name) + getattr(other, name) for name in COUNTS})

    def __radd__(self, other: Stage) -> Stage:
        return self + other


EMPTY = Stage(ideas=0, pilots=0, production=0, stopped=0)


class WorkshopFunnel(Stage):
    workshop_id: int | None  # None: ideas not from a workshop
    title: str | None


class EngagementFunnel(Stage):
    engagement_id: int
    title: str
    workshops: list[WorkshopFunnel] = []
    # Pilots started without an idea behind them (not in the funnel's counts).
    pilots_without_idea: int = 0


class Funnel(BaseModel):
    engagements: list[EngagementFunnel]
    total: Stage
    # Pilots started without an idea behind them, in all (beside the funnel, not in it).
    pilots_without_idea: int = 0


def _counts() -> list[Any]:
    promoted = col(UseCaseIdea.pilot_id).is_not(None)
    return [
        func.count(col(UseCaseIdea.id)),
        func.count(case((promoted, 1))),
        func.count(case((col(Pilot.stage) == PilotStage.production, 1))),
        func.count(case((col(Pilot.stage) == PilotStage.stopped, 1))),
    ]


async def funnel(session: AsyncSession, engagement_ids: list[int] | None = None) -> Funnel:
    """Per engagement (the ones given, else every one with ideas or pilots) and per workshop."""
    stmt = (
        select(UseCaseIdea.engagement_id, UseCaseIdea.workshop_id, *_counts())
        .outerjoin(Pilot, col(Pilot.id) == col(UseCaseIdea.pilot_id))
        .group_by(col(UseCaseIdea.engagement_id), col(UseCaseIdea.workshop_id))
    )
    promoted = select(col(UseCaseIdea.pilot_id)).where(col(UseCaseIdea.pilot_id).is_not(None))
    direct_stmt = (
        select(Pilot.engagement_id, func.count())
        .where(col(Pilot.id).not_in(promoted))
        .group_by(col(Pilot.engagement_id))
    )
    if engagement_ids is not None:
        stmt = stmt.where(col(UseCaseIdea.engagement_id).in_(engagement_ids))
        direct_stmt = direct_stmt.where(col(Pilot.engagement_id).in_(engagement_ids))
    counted = (await session.exec(stmt)).all()
    direct: dict[int, int] = dict((await session.exec(direct_stmt)).all())
    shown = set(engagement_ids) if engagement_ids is not None else {row[0] for row in counted} | set(direct)
    titles = await _titles(session, Engagement, shown)
    workshop_titles = await _titles(session, Workshop, {row[1] for row in counted if row[1] is not None})
    slices: dict[int, list[WorkshopFunnel]] = {i: [] for i in titles}
    for engagement_id, workshop_id, ideas, pilots, production, stopped in counted:
        if engagement_id in slices:
            slices[engagement_id].append(
                WorkshopFunnel(
                    workshop_id=workshop_id,
                    title=workshop_titles.get(workshop_id),
                    ideas=ideas,
                    pilots=pilots,
                    production=production,
                    stopped=stopped,
                )
            )
    rows = []
    for engagement_id in sorted(titles):
        parts = sorted(slices[engagement_id], key=lambda w: (w.workshop_id is None, w.workshop_id or 0))
        summed = sum(parts, EMPTY)
        rows.append(
            EngagementFunnel(
                engagement_id=engagement_id,
                title=titles[engagement_id],
                workshops=parts,
                pilots_without_idea=direct.get(engagement_id, 0),
                **summed.model_dump(include=set(COUNTS)),
            )
        )
    return Funnel(
        engagements=rows, total=sum(rows, EMPTY), pilots_without_idea=sum(r.pilots_without_idea for r in rows)
    )


async def _titles(session: AsyncSession, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await session.exec(select(model.id, model.title).where(col(model.id).in_(ids)))).all())
