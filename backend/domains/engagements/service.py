"""What other domains may ask of engagements: which belong to a client, whose client one is,
which status updates a client may read."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement, EngagementStatus, StatusUpdate
from backend.kernel.db import select_all
from backend.kernel.errors import Invalid
from backend.kernel.time import iso_week


def shown_to_client(client_id: int) -> ColumnElement[bool]:
    """The engagements a client's users see, in the API and the portal: theirs, once proposed
    (a draft is the team's work in progress, and neither it nor anything hanging off it is
    shown or decided on by the client)."""
    return (col(Engagement.client_id) == client_id) & (col(Engagement.status) != EngagementStatus.draft)


def engagement_ids_of_client(client_id: int) -> Select:
    return select(Engagement.id).where(shown_to_client(client_id))


def in_client(engagement_id_column: object, client_id: int) -> ColumnElement[bool]:
    """Scope condition for any table that hangs off an engagement."""
    return engagement_id_column.in_(engagement_ids_of_client(client_id))  # type: ignore[attr-defined]


def status_released() -> ColumnElement[bool]:
    """Status updates a client may read: approved ones, and every one of an engagement whose
    updates go out without review. The portal and the API apply the same rule."""
    unreviewed = select(Engagement.id).where(col(Engagement.review_before_send).is_(False))
    return col(StatusUpdate.approved_at).is_not(None) | col(StatusUpdate.engagement_id).in_(unreviewed)


async def client_id_of(session: AsyncSession, engagement_id: int) -> int | None:
    stmt = select(Engagement.client_id).where(Engagement.id == engagement_id)
    return (await session.exec(stmt)).first()


async def refuse_other_clients_engagement(session: AsyncSession, engagement_id: int, client_id: int) -> None:
    """An assessment (or anything of one client) may name only that client's engagements."""
    if await client_id_of(session, engagement_id) != client_id:
        raise Invalid.field("body.engagement_id", f"engagement {engagement_id} is not for client {client_id}")


async def engagements_of_client(session: AsyncSession, client_id: int) -> list[Engagement]:
    return await select_all(
        session, Engagement, Engagement.client_id == client_id, order_by=[col(Engagement.start_date).desc()]
    )


async def engagements_with_clients(
    session: AsyncSession, status: EngagementStatus | None = None, *, limit: int = 300
) -> list[tuple[Engagement, str]]:
    """Engagements, newest start first, each with its client's name."""
    stmt = select(Engagement, Client.name).join(Client, col(Client.id) == Engagement.client_id)
    if status is not None:
        stmt = stmt.where(Engagement.status == status)
    return list((await session.exec(stmt.order_by(col(Engagement.start_date).desc()).limit(limit))).all())


async def status_update_of(session: AsyncSession, engagement_id: int, iso_week: str) -> StatusUpdate | None:
    stmt = select(StatusUpdate).where(StatusUpdate.engagement_id == engagement_id, StatusUpdate.iso_week == iso_week)
    return (await session.exec(stmt)).first()


def refuse_week_before_start(engagement: Engagement, week: str | None, *, given: bool = True) -> None:
    """A week's status (an update, a status report, a digest) tells how the engagement went that
    week: there is none before it starts. `given`: the week was in the request, not the default."""
    if week and engagement.before_start(week):
        raise Invalid.field(
            "body.iso_week" if given else "body",
            f"the engagement starts on {engagement.start_date.isoformat()}, in week {iso_week(engagement.start_date)}: "
            "its weekly status begins then",
            key="week_before_start",
            start=engagement.start_date,
            week=iso_week(engagement.start_date),
        )


async def lead_email(session: AsyncSession, engagement_id: int) -> str | None:
    """Where the engagement's lead consultant is mailed, when there is an active one."""
    stmt = (
        select(User.email)
        .join(Engagement, col(Engagement.lead_consultant_id) == User.id)
        .where(Engagement.id == engagement_id, col(User.is_active).is_(True))
    )
    return (await session.exec(stmt)).first()


async def with_lead(session: AsyncSession, engagement_id: int | None) -> tuple[Engagement, Client, str] | None:
    """An engagement, its client and its lead consultant's name ("" without one), for the notices
    the team gets about it; None when the engagement is gone."""
    engagement = await session.get(Engagement, engagement_id) if engagement_id else None
    if engagement is None:
        return None
    client = await session.get(Client, engagement.client_id)
    lead = await session.get(User, engagement.lead_consultant_id) if engagement.lead_consultant_id else None
    return (engagement, client, lead.full_name if lead else "") if client else None


async def engagement_ids_started(session: AsyncSession, start: date | None, end: date | None) -> list[int] | None:
    """The engagements starting within [start, end] (either open); None when neither is given: all."""
    if start is None and end is None:
        return None
    stmt = select(Engagement.id)
    if start is not None:
        stmt = stmt.where(col(Engagement.start_date) >= start)
    if end is not None:
        stmt = stmt.where(col(Engagement.start_date) <= end)
    return list((await session.exec(stmt)).all())
