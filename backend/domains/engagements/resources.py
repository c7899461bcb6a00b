"""How the API sees engagements and their weekly status updates."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.crud import CrudService, Resource, StateMachine
from backend.domains.engagements.models import (
    Engagement,
    EngagementCreate,
    EngagementRead,
    EngagementStatus,
    EngagementUpdate,
    PricingModel,
    Rag,
    StatusUpdate,
    StatusUpdateCreate,
    StatusUpdateRead,
    StatusUpdateUpdate,
)
from backend.domains.engagements.offer import ProposalItemsWrite, base_total
from backend.domains.engagements.service import in_client, refuse_week_before_start, shown_to_client, status_released
from backend.kernel.db import utcnow
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.events import Hook
from backend.kernel.time import week_ends_before

S = EngagementStatus


def _stamp_status(target: str, reason: str | None) -> dict[str, Any]:
    return {"status_changed_at": utcnow()} | ({"cancel_reason": reason} if target == S.cancelled else {})


ENGAGEMENT_FLOW = StateMachine(
    field="status",
    moves={
        S.draft: frozenset({S.proposed, S.cancelled}),
        S.proposed: frozenset({S.active, S.draft, S.cancelled}),
        S.active: frozenset({S.completed, S.cancelled}),
        S.completed: frozenset(),
        S.cancelled: frozenset(),
    },
    needs_reason=frozenset({S.cancelled}),
    on_enter=_stamp_status,
)


def _only_drafts(row: Engagement) -> str | None:
    if row.status != S.draft:
        return f"Only draft engagements can be deleted; this one is {row.status}. Cancel it instead."
    return None


def _fee_from_items(values: dict[str, Any], row: Engagement | None) -> None:
    """An offer made of items has the fee they sum up to: typed beside them it would say two things."""
    if row is None or not row.proposal_items:
        return
    if "pricing_model" in values:
        raise Invalid.field(
            "body.pricing_model",
            "this engagement is priced by its proposal items: remove them first",
            key="priced_by_items",
        )
    if "fixed_fee" in values:
        raise Invalid.field(
            "body.fixed_fee",
            "the fee is the sum of the proposal items: change the items (PUT /engagements/{id}/proposal-items)",
            key="fee_from_items",
        )


async def _weeks_kept(session: AsyncSession, values: dict[str, Any], row: Engagement | None) -> dict[str, Any]:
    _fee_from_items(values, row)
    # A later start would leave weekly status behind it, told to the client as weeks of work.
    start = values.get("start_date")
    if row is not None and start is not None and start > row.start_date:
        first = (
            await session.exec(select(func.min(StatusUpdate.iso_week)).where(StatusUpdate.engagement_id == row.id))
        ).one()
        if first is not None and week_ends_before(first, start):
            raise Invalid.field(
                "body.start_date",
                f"the weekly status of {first} lies before this start: delete it first, or keep the start",
                key="start_after_status",
                week=first,
            )
    return values


# An engagement moved to another state (given the one it left): the Abnahme lets requests lapse
# that the client can no longer answer.
engagement_moved: Hook[[AsyncSession, Engagement, Actor, str]] = Hook("engagement moved", required=True)


async def _moved(session: AsyncSession, row: Engagement, actor: Actor, before: str) -> None:
    await engagement_moved(session, row, actor, before)


engagements = Resource(
    name="engagements",
    entity="engagement",
    model=Engagement,
    read=EngagementRead,
    create=EngagementCreate,
    update=EngagementUpdate,
    filters={
        "client_id": (int, Engagement.client_id),
        "status": (EngagementStatus, Engagement.status),
        "lead_consultant_id": (int, Engagement.lead_consultant_id),
    },
    sortable=("id", "title", "start_date", "status", "created_at"),
    default_sort="-start_date",
    client_scope=shown_to_client,
    machine=ENGAGEMENT_FLOW,
    internal=("budget", "burn_alerts"),
    delete_guard=_only_drafts,
    prepare=_weeks_kept,
    after_move=_moved,
    example={
        "client_id": 1,
        "title": "KI-Einführung: Angebotserstellung und Support",
        "goals": "Angebotserstellung um 50 % beschleunigen; KI-Leitlinie einführen",
        "start_date": "2026-11-02",
        "duration_weeks": 8,
        "pricing_model": "fixed_fee",
        "fixed_fee": "24000.00",
        "vat_rate": "19.00",
    },
)


async def _within_engagement(session: AsyncSession, values: dict[str, Any], row: StatusUpdate | None) -> dict[str, Any]:
    week = values.get("iso_week", row.iso_week if row else None)
    engagement_id = values.get("engagement_id", row.engagement_id if row else None)
    engagement = await session.get(Engagement, engagement_id) if engagement_id is not None else None
    if engagement is not None:
        refuse_week_before_start(engagement, week)
    return values


status_updates = Resource(
    name="status-updates",
    entity="status_update",
    model=StatusUpdate,
    read=StatusUpdateRead,
    create=StatusUpdateCreate,
    update=StatusUpdateUpdate,
    filters={
        "engagement_id": (int, StatusUpdate.engagement_id),
        "iso_week": (str, StatusUpdate.iso_week),
        "rag": (Rag, StatusUpdate.rag),
    },
    sortable=("id", "iso_week", "created_at"),
    default_sort="-iso_week",
    # Clients read an update once it is released (approved, or the engagement needs no review).
    client_scope=lambda client_id: in_client(StatusUpdate.engagement_id, client_id) & status_released(),
    actor_field="author_id",
    prepare=_within_engagement,
    example={
        "engagement_id": 1,
        "iso_week": "2026-W48",
        "rag": "green",
        "summary": "Pilot Angebotsassistent läuft; erste Messungen zeigen 55 % Zeitersparnis.",
        "done": "Enablement-Workshop mit 12 Teilnehmenden",
        "next": "KI-Leitlinie abstimmen",
        "risks": "Datenexport aus dem ERP verzögert sich",
    },
)

engagement_service = CrudService(engagements)
status_update_service = CrudService(status_updates)


# Items are the offer: they change while it is drafted or awaiting an answer, not once agreed.
ITEMS_OPEN = frozenset({S.draft, S.proposed})


async def set_proposal_items(
    session: AsyncSession, user: Actor, engagement_id: int, data: ProposalItemsWrite
) -> Engagement:
    """Replace the offer's items; the fixed fee becomes their base sum in the same write. An
    offer already sent then no longer says what the engagement offers: the team sends a new
    version (acceptance refuses the old one)."""
    row = await engagement_service.get(session, user, engagement_id)
    engagement_service.check_version(row, data.version)
    if row.status not in ITEMS_OPEN:
        raise Conflict(
            f"engagement {row.id} is {row.status}: its offer was agreed or ended and its items stay as they are",
            key="items_closed",
            status=row.status,
        )
    items = [i.model_dump(mode="json") for i in data.items]
    values: dict[str, Any] = {"proposal_items": items}
    if data.items:
        if row.pricing_model != PricingModel.fixed_fee:
            raise Invalid.field(
                "body.items", "proposal items price a fixed fee: switch the engagement to fixed_fee first"
            )
        values["fixed_fee"] = base_total(data.items)
    before = snapshot(row)
    await engagement_service.write(session, row, values, expect={"status": row.status})
    await record(
        session,
        actor=user,
        action="set_proposal_items",
        entity_type="engagement",
        entity_id=row.id,
        before=before,
        after=snapshot(row),
    )
    return row


async def approve_status_update(session: AsyncSession, user: Actor, row_id: int, version: int) -> StatusUpdate:
    row = await status_update_service.get(session, user, row_id)
    status_update_service.check_version(row, version)
    await status_update_service.stamp(session, user, row, "approved_at", "approve")
    return row
