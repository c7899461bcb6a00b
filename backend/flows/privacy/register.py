"""What the team's privacy page shows: the open requests by deadline with the person and client
they concern, the latest answers, and for admins the latest erasures and the holds in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.flows.privacy.inventory import PEOPLE
from backend.flows.privacy.models import Erasure, LegalHold, PrivacyRequest, RequestState, SubjectKind
from backend.flows.privacy.requests import MONTHS_AT_MOST, months_after
from backend.kernel.time import today

ANSWERED_SHOWN = 20
ERASURES_SHOWN = 10
# Days before its deadline a request is marked as due soon.
DUE_SOON_DAYS = 7


@dataclass
class Entry:
    request: PrivacyRequest
    person: str
    client: str | None
    days_left: int

    @property
    def latest_due(self) -> date:
        """The latest day the answer may be put off to (Art. 12 (3): three months from receipt)."""
        return months_after(self.request.received_on, MONTHS_AT_MOST)

    @property
    def overdue(self) -> bool:
        return self.request.status == RequestState.open and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        return self.request.status == RequestState.open and 0 <= self.days_left <= DUE_SOON_DAYS


@dataclass
class RegisterView:
    open: list[Entry]
    answered: list[Entry]
    erasures: list[Erasure] = field(default_factory=list)
    holds_in_force: int = 0


async def _names(session: AsyncSession, rows: list[PrivacyRequest]) -> dict[tuple[str, int], str]:
    """Each request's person by name (one query per kind of person)."""
    names: dict[tuple[str, int], str] = {}
    for kind in SubjectKind:
        ids = {r.subject_id for r in rows if r.subject_kind == kind}
        if not ids:
            continue
        model: Any = PEOPLE[kind]
        label = model.full_name if kind == SubjectKind.user else model.name
        for row_id, name in (await session.exec(select(model.id, label).where(col(model.id).in_(ids)))).all():
            names[(kind.value, row_id)] = name
    return names


async def person_name(session: AsyncSession, request: PrivacyRequest) -> str | None:
    """The name of the person a request is about (None once erased or gone)."""
    return (await _names(session, [request])).get((str(request.subject_kind), request.subject_id))


async def _entries(session: AsyncSession, rows: list[PrivacyRequest], day: date) -> list[Entry]:
    names = await _names(session, rows)
    client_ids = {r.client_id for r in rows if r.client_id is not None}
    clients: dict[int, str] = {}
    if client_ids:
        clients = dict((await session.exec(select(Client.id, Client.name).where(col(Client.id).in_(client_ids)))).all())
    return [
        Entry(
            request=r,
            person=names.get((str(r.subject_kind), r.subject_id), f"#{r.subject_id}"),
            client=clients.get(r.client_id) if r.client_id is not None else None,
            days_left=(r.due_on - day).days,
        )
        for r in rows
    ]


async def register_view(session: AsyncSession, *, admin: bool) -> RegisterView:
    day = today()
    open_rows = (
        await session.exec(
            select(PrivacyRequest)
            .where(PrivacyRequest.status == RequestState.open)
            .order_by(col(PrivacyRequest.due_on), col(PrivacyRequest.id))
        )
    ).all()
    answered_rows = (
        await session.exec(
            select(PrivacyRequest)
            .where(PrivacyRequest.status != RequestState.open)
            .order_by(col(PrivacyRequest.answered_at).desc(), col(PrivacyRequest.id).desc())
            .limit(ANSWERED_SHOWN)
        )
    ).all()
    view = RegisterView(
        open=await _entries(session, list(open_rows), day),
        answered=await _entries(session, list(answered_rows), day),
    )
    if admin:
        erasures = await session.exec(select(Erasure).order_by(col(Erasure.id).desc()).limit(ERASURES_SHOWN))
        view.erasures = list(erasures.all())
        held = await session.exec(select(func.count()).select_from(LegalHold).where(LegalHold.kept_until >= day))
        view.holds_in_force = held.one()
    return view
