"""How the API sees erasures and legal holds: read-only, for admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import CrudService, Resource
from backend.flows.privacy.models import Basis, Erasure, ErasureRead, LegalHold, LegalHoldCreate, LegalHoldRead
from backend.kernel.enums import Role
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.time import today

ADMIN = frozenset({Role.admin})


# Tables of the machinery, not of records a dispute or an authority could need kept.
NOT_RECORDS = frozenset({"legal_holds", "erasures", "job_outbox", "auth_sessions"})


async def _placed_by_hand(session: AsyncSession, values: dict[str, Any], row: LegalHold | None) -> dict[str, Any]:
    """A hold an admin places names a record that exists, in a table the product keeps, for a
    day not yet past; it is a manual hold."""
    table = SQLModel.metadata.tables.get(values["entity_type"])
    if table is None or table.name in NOT_RECORDS or "id" not in table.c:
        raise Invalid.field("body.entity_type", "not a table of records (e.g. invoices, documents, engagements)")
    found = await session.exec(core_select(table.c.id).where(table.c.id == values["entity_id"]))  # type: ignore[call-overload]
    if found.first() is None:
        raise Invalid.field("body.entity_id", f"no {values['entity_type']} row {values['entity_id']}")
    if values["kept_until"] < today():
        raise Invalid.field("body.kept_until", "a day already past keeps nothing")
    placed = select(col(LegalHold.id), col(LegalHold.kept_until)).where(
        LegalHold.entity_type == table.name, LegalHold.entity_id == values["entity_id"], LegalHold.basis == Basis.manual
    )
    if (earlier := (await session.exec(placed)).first()) is not None:
        raise Conflict(
            f"this record has a hold placed by hand already (legal hold {earlier[0]}, until {earlier[1]}): "
            "lift it first to place another",
            key="hold_placed_already",
        )
    return {**values, "basis": Basis.manual}


def _lifted_by_hand(row: LegalHold) -> str | None:
    if row.basis != Basis.manual:
        return "a hold the law requires (placed by an erasure) stays until its day"
    return None


legal_holds = Resource(
    name="legal-holds",
    entity="legal_hold",
    model=LegalHold,
    read=LegalHoldRead,
    create=LegalHoldCreate,
    updatable=False,
    prepare=_placed_by_hand,
    actor_field="placed_by_id",
    delete_guard=_lifted_by_hand,
    write_roles=ADMIN,
    example={
        "entity_type": "invoices",
        "entity_id": 1,
        "reason": "Rechtsstreit mit dem Kunden",
        "kept_until": "2030-12-31",
    },
    filters={
        "entity_type": (str, LegalHold.entity_type),
        "entity_id": (int, LegalHold.entity_id),
        "erasure_id": (int, LegalHold.erasure_id),
    },
    sortable=("id", "kept_until"),
    default_sort="id",
    read_roles=ADMIN,
)
legal_hold_service = CrudService(legal_holds)

erasures = Resource(
    name="erasures",
    entity="erasure",
    model=Erasure,
    read=ErasureRead,
    filters={"client_id": (int, Erasure.client_id), "subject_kind": (str, Erasure.subject_kind)},
    sortable=("id", "erased_at"),
    default_sort="-id",
    read_roles=ADMIN,
    writable=False,
)
erasure_service = CrudService(erasures)
