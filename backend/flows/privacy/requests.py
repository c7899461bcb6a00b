"""The register of data subjects' requests (Art. 12 GDPR): what each person asked, when it
arrived, the day it must be answered by, and the answer. The team records requests that came by
mail or phone; a client's own request from the portal records itself. An erasure answers the
person's open erasure requests."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor, Principal
from backend.domains.crud import STAFF, CrudService, Resource, StateMachine
from backend.flows.privacy.inventory import PEOPLE
from backend.flows.privacy.models import (
    Channel,
    PrivacyRequest,
    PrivacyRequestCreate,
    PrivacyRequestRead,
    PrivacyRequestUpdate,
    RequestState,
    Right,
    SubjectKind,
)
from backend.kernel.db import utcnow
from backend.kernel.errors import Conflict, Invalid
from backend.kernel.schema import Strict
from backend.kernel.time import today

# Art. 12 (3): one month; "where necessary" two further months.
MONTHS_TO_ANSWER = 1
MONTHS_AT_MOST = 3


def months_after(day: date, months: int) -> date:
    """The same day `months` later; the month's last day where it has fewer (31 Jan → 28 Feb),
    as § 188 (3) BGB counts a period of months."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class PrivacyRequestChange(Strict):
    """What a PATCH may change (checked on the merged row)."""

    due_on: date
    extension_reason: str | None = None
    note: str | None = None


async def _subject_client(session: AsyncSession, kind: SubjectKind, subject_id: int) -> int | None:
    person = await session.get(PEOPLE[kind], subject_id)
    if person is None:
        raise Invalid.field("body.subject_id", f"no {kind.value} {subject_id}", key="privacy_no_subject")
    return getattr(person, "client_id", None)


async def _prepare(session: AsyncSession, values: dict[str, Any], row: PrivacyRequest | None) -> dict[str, Any]:
    if row is None:
        received = values.get("received_on") or today()
        if received > today():
            raise Invalid.field("body.received_on", "a request cannot arrive in the future", key="privacy_future")
        client_id = await _subject_client(session, SubjectKind(values["subject_kind"]), values["subject_id"])
        return {
            **values,
            "received_on": received,
            "client_id": client_id,
            "due_on": months_after(received, MONTHS_TO_ANSWER),
        }
    first_month = months_after(row.received_on, MONTHS_TO_ANSWER)
    if "due_on" in values:
        due = values["due_on"]
        if due < row.due_on:
            raise Invalid.field("body.due_on", "a deadline is extended, never brought forward", key="privacy_earlier")
        if today() > first_month:
            raise Invalid.field(
                "body.due_on",
                f"an extension is told within the first month (Art. 12 (3) GDPR), by {first_month.isoformat()}",
                key="privacy_extend_first_month",
                by=first_month,
            )
        latest = months_after(row.received_on, MONTHS_AT_MOST)
        if due > latest:
            raise Invalid.field(
                "body.due_on",
                f"at most three months from receipt (Art. 12 (3) GDPR): {latest.isoformat()}",
                key="privacy_too_late",
                latest=latest,
            )
        if not (values.get("extension_reason") or row.extension_reason):
            raise Invalid.field(
                "body.extension_reason",
                "an extended deadline needs the reason the person is told",
                key="privacy_extension_reason",
            )
    if "extension_reason" in values and values["extension_reason"] != row.extension_reason:
        # What the person was told stands: no rewording after the first month, and an extended
        # deadline never loses its reason.
        extended = (values.get("due_on") or row.due_on) > first_month
        if today() > first_month or (extended and not values["extension_reason"]):
            raise Invalid.field(
                "body.extension_reason",
                "an extended deadline keeps the reason the person was told",
                key="privacy_reason_kept",
            )
    return values


def _answered(target: str, reason: str | None) -> dict[str, Any]:
    return {"answer": reason, "answered_at": utcnow()}


def _final(row: PrivacyRequest) -> str | None:
    if row.status != RequestState.open:
        return "the request is answered: the register keeps the answer as it was given"
    return None


REQUEST_FLOW = StateMachine(
    field="status",
    moves={
        RequestState.open: frozenset({RequestState.answered, RequestState.refused}),
        RequestState.answered: frozenset(),
        RequestState.refused: frozenset(),
    },
    needs_reason=frozenset({RequestState.refused}),
    on_enter=_answered,
)

privacy_requests = Resource(
    name="privacy-requests",
    entity="privacy_request",
    model=PrivacyRequest,
    read=PrivacyRequestRead,
    create=PrivacyRequestCreate,
    update=PrivacyRequestUpdate,
    check=PrivacyRequestChange,
    prepare=_prepare,
    actor_field="recorded_by_id",
    machine=REQUEST_FLOW,
    edit_guard=_final,
    deletable=False,
    read_roles=STAFF,
    write_roles=STAFF,
    filters={
        "status": (RequestState, PrivacyRequest.status),
        "right": (Right, PrivacyRequest.right),
        "client_id": (int, PrivacyRequest.client_id),
        "subject_kind": (SubjectKind, PrivacyRequest.subject_kind),
        "subject_id": (int, PrivacyRequest.subject_id),
    },
    sortable=("id", "due_on", "received_on"),
    default_sort="due_on",
    example={
        "subject_kind": "contact",
        "subject_id": 1,
        "right": "access",
        "channel": "email",
        "received_on": "2026-11-30",
        "note": "Auskunft nach Art. 15 DSGVO per E-Mail",
    },
)
privacy_request_service = CrudService(privacy_requests)


def subject_of(user: Principal) -> tuple[SubjectKind, int]:
    """Whom a client user's request is about: the contact their account was made for, else the
    account itself."""
    if user.contact_id is not None:
        return SubjectKind.contact, user.contact_id
    return SubjectKind.user, user.id


async def requests_of(session: AsyncSession, user: Principal) -> list[PrivacyRequest]:
    """A client user's own requests, the latest first (as their contact and as their account)."""
    kind, subject_id = subject_of(user)
    theirs = or_(
        and_(col(PrivacyRequest.subject_kind) == kind, col(PrivacyRequest.subject_id) == subject_id),
        and_(col(PrivacyRequest.subject_kind) == SubjectKind.user, col(PrivacyRequest.subject_id) == user.id),
    )
    found = await session.exec(select(PrivacyRequest).where(theirs).order_by(col(PrivacyRequest.id).desc()))
    return list(found.all())


async def ask(
    session: AsyncSession, user: Actor, kind: SubjectKind, subject_id: int, right: Right, note: str | None
) -> PrivacyRequest:
    """A request the person makes themselves in the portal. One open request per right at a
    time: asking again while one is open answers with the one there is."""
    same = select(PrivacyRequest).where(
        PrivacyRequest.subject_kind == kind,
        PrivacyRequest.subject_id == subject_id,
        PrivacyRequest.right == right,
        PrivacyRequest.status == RequestState.open,
    )
    if (open_one := (await session.exec(same)).first()) is not None:
        raise Conflict(
            f"a request of this kind is open already (due on {open_one.due_on.isoformat()})",
            key="privacy_open_already",
            due=open_one.due_on,
        )
    body = PrivacyRequestCreate(
        subject_kind=kind, subject_id=subject_id, right=right, channel=Channel.portal, note=note
    )
    row: PrivacyRequest = await privacy_request_service.create(session, user, body)
    return row


async def answer_erasure_requests(
    session: AsyncSession, subjects: dict[SubjectKind, list[int]], erasure_id: int, answer: str
) -> None:
    """The erasure done answers the person's open erasure requests, under any of their records."""
    for kind, ids in subjects.items():
        if not ids:
            continue
        await session.exec(
            update(PrivacyRequest)
            .where(
                col(PrivacyRequest.subject_kind) == kind,
                col(PrivacyRequest.subject_id).in_(ids),
                col(PrivacyRequest.right) == Right.erasure,
                col(PrivacyRequest.status) == RequestState.open,
            )
            .values(
                status=RequestState.answered,
                answer=answer,
                answered_at=utcnow(),
                erasure_id=erasure_id,
                version=PrivacyRequest.version + 1,
            )
        )
