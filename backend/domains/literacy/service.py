"""What other packages and the pages ask of the literacy domain."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.crud import CrudService
from backend.domains.literacy.models import AISystem, AISystemUser, AISystemUserCreate, Participant


async def participants_of(session: AsyncSession, client_id: int) -> list[Participant]:
    """A client's participants by name."""
    found = await session.exec(
        select(Participant)
        .where(Participant.client_id == client_id)
        .order_by(col(Participant.name), col(Participant.id))
    )
    return list(found.all())


async def literacy_of_client(session: AsyncSession, client_id: int) -> tuple[list[Participant], list[AISystem]]:
    """A client's participants by name and its AI systems by name."""
    systems = await session.exec(
        select(AISystem).where(AISystem.client_id == client_id).order_by(col(AISystem.name), col(AISystem.id))
    )
    return await participants_of(session, client_id), list(systems.all())


async def users_of(session: AsyncSession, system_ids: list[int]) -> dict[int, set[int]]:
    found = await session.exec(
        select(AISystemUser.ai_system_id, AISystemUser.participant_id).where(
            col(AISystemUser.ai_system_id).in_(system_ids)
        )
    )
    users: dict[int, set[int]] = {i: set() for i in system_ids}
    for system_id, participant_id in found.all():
        users[system_id].add(participant_id)
    return users


async def set_system_users(
    session: AsyncSession, user: Actor, service: CrudService, system_id: int, wanted: set[int]
) -> None:
    """Name exactly these participants as the system's users (each change audited)."""
    rows = {
        row.participant_id: row
        for row in (await session.exec(select(AISystemUser).where(AISystemUser.ai_system_id == system_id))).all()
    }
    for participant_id in sorted(wanted - rows.keys()):
        await service.create(session, user, AISystemUserCreate(ai_system_id=system_id, participant_id=participant_id))
    for participant_id in sorted(rows.keys() - wanted):
        await service.delete(session, user, rows[participant_id].id or 0, None)
