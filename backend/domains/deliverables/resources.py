"""How the API sees deliverables and their way to the client's sign-off."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.crud import CrudService, Resource, StateMachine
from backend.domains.deliverables.models import (
    ARTEFACTS_LOCKED,
    Deliverable,
    DeliverableCreate,
    DeliverableKind,
    DeliverableRead,
    DeliverableStatus,
    DeliverableUpdate,
)
from backend.domains.engagements.service import in_client
from backend.kernel.db import utcnow
from backend.kernel.errors import Conflict
from backend.kernel.events import Hook

D = DeliverableStatus

# A deliverable moved to another state (given the one it left): the acceptance flow records an
# Abnahme, or closes the request for one, in the same transaction.
deliverable_moved: Hook[[AsyncSession, Deliverable, Actor, str]] = Hook("deliverable moved", required=True)


async def _moved(session: AsyncSession, row: Deliverable, actor: Actor, before: str) -> None:
    await deliverable_moved(session, row, actor, before)


def _stamp(target: str, reason: str | None) -> dict[str, Any]:
    if target == D.delivered:
        return {"delivered_at": utcnow()}
    if target == D.accepted:
        return {"signed_off_at": utcnow(), "rejection_reason": None}
    if target == D.rejected:
        return {"rejection_reason": reason}
    return {}


DELIVERABLE_FLOW = StateMachine(
    field="status",
    moves={
        D.planned: frozenset({D.in_progress}),
        D.in_progress: frozenset({D.in_review, D.planned}),
        D.in_review: frozenset({D.delivered, D.in_progress}),
        D.delivered: frozenset({D.accepted, D.rejected}),
        D.accepted: frozenset(),
        D.rejected: frozenset({D.in_progress}),
    },
    needs_reason=frozenset({D.rejected}),
    on_enter=_stamp,
)


def _handed_over(row: Deliverable) -> str | None:
    """Delivered or accepted work is what the client examines or accepted: it stays."""
    if row.status in ARTEFACTS_LOCKED:
        return f"“{row.title}” is {row.status}: it stays as it was handed over"
    return None


async def _unchanged_once_handed_over(
    session: AsyncSession, values: dict[str, Any], row: Deliverable | None
) -> dict[str, Any]:
    if row is not None and (reason := _handed_over(row)):
        raise Conflict(reason, key="deliverable_handed_over", title=row.title, status=row.status)
    return values


deliverables = Resource(
    name="deliverables",
    entity="deliverable",
    model=Deliverable,
    read=DeliverableRead,
    create=DeliverableCreate,
    update=DeliverableUpdate,
    filters={
        "engagement_id": (int, Deliverable.engagement_id),
        "status": (DeliverableStatus, Deliverable.status),
        "due_week": (int, Deliverable.due_week),
        "kind": (DeliverableKind, Deliverable.kind),
    },
    sortable=("id", "due_week", "title", "status", "created_at"),
    default_sort="due_week",
    client_scope=lambda client_id: in_client(Deliverable.engagement_id, client_id),
    machine=DELIVERABLE_FLOW,
    after_move=_moved,
    prepare=_unchanged_once_handed_over,
    delete_guard=_handed_over,
    example={
        "engagement_id": 1,
        "title": "KI-Leitlinie für Mitarbeitende",
        "kind": "guideline",
        "due_week": 4,
    },
)

deliverable_service = CrudService(deliverables)
