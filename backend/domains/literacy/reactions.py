"""What the literacy domain does when a workshop or a pilot below it changes (connected in
backend/server/wiring.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.engagements.service import client_id_of
from backend.domains.literacy.models import AISystem
from backend.domains.pilots.models import Pilot, PilotStage
from backend.kernel.db import add_unless_taken
from backend.kernel.errors import Invalid
from backend.kernel.time import today


async def ai_system_of_client(session: AsyncSession, client_id: int, values: dict[str, Any]) -> None:
    """A tool-specific training names one of the engagement's client's AI systems."""
    system_id = values.get("ai_system_id")
    if system_id is None:
        return
    owner = (await session.exec(select(AISystem.client_id).where(AISystem.id == system_id))).first()
    if owner != client_id:
        raise Invalid.field("body.ai_system_id", f"AI system {system_id} is not one of this client's AI systems")


async def pilot_in_production(session: AsyncSession, pilot: Pilot, actor: Actor, before: str) -> None:
    """A pilot gone to production is an AI system in use from today: its users need tool-specific
    training (the register counts them due until they had it). The system is made if the team
    had not named it yet."""
    if pilot.stage != PilotStage.production:
        return
    client_id = await client_id_of(session, pilot.engagement_id)
    if client_id is None:
        return
    moved = await session.exec(
        update(AISystem)
        .where(col(AISystem.pilot_id) == pilot.id)
        .values(in_use=True, production_since=today(), version=AISystem.version + 1)
    )
    if moved.rowcount:
        return
    name = pilot.title[:200]
    taken = (
        await session.exec(select(AISystem.id).where(AISystem.client_id == client_id, AISystem.name == name))
    ).first()
    await add_unless_taken(
        session,
        AISystem(
            client_id=client_id,
            name=name if taken is None else f"{name[:190]} (Pilot {pilot.id})",
            pilot_id=pilot.id,
            production_since=today(),
        ),
    )
