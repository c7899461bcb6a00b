"""What the team sees first: this week across all engagements, in a handful of queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.domains.deliverables.models import Deliverable
from backend.domains.engagements.models import Engagement, EngagementStatus, StatusUpdate
from backend.domains.pilots.funnel import EMPTY, Stage, funnel
from backend.domains.pilots.models import Pilot
from backend.domains.timesheets.reading import burns
from backend.domains.workshops.models import Workshop
from backend.flows.digests.models import DigestDelivery
from backend.flows.documents.data import OPEN
from backend.kernel.time import BERLIN, current_week, monday_of
from backend.kernel.time import today as berlin_today


@dataclass
class Dashboard:
    iso_week: str
    engagements: list[dict[str, Any]] = field(default_factory=list)
    workshops: list[tuple[Workshop, Engagement]] = field(default_factory=list)
    deliverables: list[tuple[Deliverable, Engagement, bool]] = field(default_factory=list)
    pilot_stages: Counter[str] = field(default_factory=Counter)
    digests: Counter[str] = field(default_factory=Counter)
    # Ideas → pilots → production across every engagement (domains/pilots/funnel.py).
    funnel: Stage = field(default_factory=lambda: EMPTY)
    pilots_without_idea: int = 0


async def load(session: AsyncSession, now: datetime | None = None) -> Dashboard:
    now = now or datetime.now(UTC)
    week = current_week(now)
    today = berlin_today(now)
    board = Dashboard(iso_week=week)
    # The active engagements as a subquery: an id list as bound values would grow with them
    # (and PostgreSQL takes at most 32,767 values in one statement).
    active_ids = select(Engagement.id).where(Engagement.status == EngagementStatus.active)
    active = (
        await session.exec(
            select(Engagement, Client.name)
            .join(Client, col(Client.id) == Engagement.client_id)
            .where(Engagement.status == EngagementStatus.active)
            .order_by(col(Engagement.start_date))
        )
    ).all()
    by_id = {e.id: e for e, _ in active}
    rags = dict(
        (
            await session.exec(
                select(StatusUpdate.engagement_id, StatusUpdate.rag).where(
                    col(StatusUpdate.engagement_id).in_(active_ids), StatusUpdate.iso_week == week
                )
            )
        ).all()
    )
    burn = await burns(session, [e for e, _ in active], among=active_ids, today=today)
    board.engagements = [
        {"engagement": e, "client": name, "rag": rags.get(e.id), "burn": burn[e.id]} for e, name in active
    ]
    monday = monday_of(week)
    start = datetime.combine(monday, datetime.min.time(), BERLIN)
    board.workshops = list(
        (
            await session.exec(
                select(Workshop, Engagement)
                .join(Engagement, col(Engagement.id) == Workshop.engagement_id)
                .where(Workshop.starts_at >= start, Workshop.starts_at < start + timedelta(days=7))
                .order_by(col(Workshop.starts_at))
            )
        ).all()
    )
    open_items = (
        await session.exec(
            select(Deliverable)
            .where(col(Deliverable.engagement_id).in_(active_ids), col(Deliverable.status).in_(list(OPEN)))
            .order_by(col(Deliverable.due_week))
        )
    ).all()
    for item in open_items:
        current = by_id[item.engagement_id].week_number(today)  # 0 or less before the start
        if item.due_week <= current + 1:
            board.deliverables.append((item, by_id[item.engagement_id], item.due_week < current))
    stages = await session.exec(
        select(Pilot.stage, func.count()).where(col(Pilot.engagement_id).in_(active_ids)).group_by(Pilot.stage)
    )
    board.pilot_stages = Counter(dict(stages.all()))
    found = await funnel(session)
    board.funnel, board.pilots_without_idea = found.total, found.pilots_without_idea
    sent = await session.exec(
        select(DigestDelivery.status, func.count())
        .where(DigestDelivery.iso_week == week)
        .group_by(DigestDelivery.status)
    )
    board.digests = Counter(dict(sent.all()))
    return board
