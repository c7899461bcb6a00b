"""What a deliverable hands over: files and links, each with its SHA-256, changed only while the
deliverable is worked on. A client sees them once the deliverable is delivered to it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.deliverables.files import checked_type, clean_name
from backend.domains.deliverables.models import (
    ARTEFACTS_LOCKED,
    ArtefactKind,
    ArtefactLink,
    Deliverable,
    DeliverableArtefact,
    DeliverableArtefactFile,
    DeliverableStatus,
)
from backend.domains.deliverables.resources import deliverable_service
from backend.kernel.db import select_all
from backend.kernel.enums import Role
from backend.kernel.errors import Conflict, NotFound

MAX_ARTEFACTS = 50
# What a client may see of a deliverable's artefacts: those handed over to it.
SHOWN_TO_CLIENT = frozenset({DeliverableStatus.delivered, DeliverableStatus.accepted, DeliverableStatus.rejected})


async def artefacts_of(session: AsyncSession, deliverable_id: int) -> list[DeliverableArtefact]:
    return await select_all(session, DeliverableArtefact, DeliverableArtefact.deliverable_id == deliverable_id)


async def artefacts_by_deliverable(
    session: AsyncSession, deliverable_ids: list[int]
) -> dict[int, list[DeliverableArtefact]]:
    """Several deliverables' artefacts in one query (pages list them per deliverable)."""
    found: dict[int, list[DeliverableArtefact]] = {i: [] for i in deliverable_ids}
    if not deliverable_ids:
        return found
    rows = await session.exec(
        select(DeliverableArtefact)
        .where(col(DeliverableArtefact.deliverable_id).in_(deliverable_ids))
        .order_by(col(DeliverableArtefact.id))
    )
    for row in rows:
        found[row.deliverable_id].append(row)
    return found


def pinned(artefacts: list[DeliverableArtefact]) -> list[dict[str, Any]]:
    """The artefacts as an acceptance records them."""
    return [
        {
            "id": a.id,
            "kind": a.kind,
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "url": a.url,
            "sha256": a.sha256,
        }
        for a in artefacts
    ]


def digest(artefacts: list[DeliverableArtefact]) -> str:
    """One SHA-256 for a set of artefacts: what a client saw, compared with what it signs."""
    said = [[a.id, a.kind, a.name, a.sha256] for a in artefacts]
    return hashlib.sha256(json.dumps(said).encode()).hexdigest()


async def visible_artefacts(session: AsyncSession, user: Actor, deliverable_id: int) -> list[DeliverableArtefact]:
    deliverable = await deliverable_service.get(session, user, deliverable_id)
    if _client(user) and deliverable.status not in SHOWN_TO_CLIENT:
        return []
    return await artefacts_of(session, deliverable_id)


async def add_file(
    session: AsyncSession, user: Actor, deliverable_id: int, *, filename: str | None, content: bytes, limit: int
) -> DeliverableArtefact:
    name = clean_name(filename)
    # Reading an Office file's parts takes its time: not on the event loop.
    content_type = await asyncio.to_thread(checked_type, name, content, limit)
    artefact = DeliverableArtefact(
        deliverable_id=deliverable_id,
        kind=ArtefactKind.file,
        name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    await _add(session, user, artefact)
    session.add(DeliverableArtefactFile(artefact_id=artefact.id, content=content))
    await session.flush()
    return artefact


async def add_link(session: AsyncSession, user: Actor, deliverable_id: int, data: ArtefactLink) -> DeliverableArtefact:
    artefact = DeliverableArtefact(
        deliverable_id=deliverable_id,
        kind=ArtefactKind.link,
        name=data.name,
        url=data.url,
        sha256=hashlib.sha256(data.url.encode()).hexdigest(),
    )
    await _add(session, user, artefact)
    return artefact


async def remove(session: AsyncSession, user: Actor, artefact_id: int, *, deliverable_id: int | None = None) -> None:
    artefact = await session.get(DeliverableArtefact, artefact_id)
    if artefact is None or deliverable_id not in (None, artefact.deliverable_id):
        raise NotFound(f"artefact {artefact_id} not found")
    await _while_open(session, user, artefact.deliverable_id)
    before = snapshot(artefact)
    await session.delete(artefact)
    await session.flush()
    await record(session, actor=user, action="delete", entity_type="artefact", entity_id=artefact_id, before=before)


async def file_of(
    session: AsyncSession, user: Actor, artefact_id: int, *, deliverable_id: int | None = None
) -> tuple[DeliverableArtefact, bytes]:
    """An artefact's file, if `user` may see it (and it is `deliverable_id`'s, when given)."""
    artefact = await session.get(DeliverableArtefact, artefact_id)
    if artefact is None or artefact.kind != ArtefactKind.file or deliverable_id not in (None, artefact.deliverable_id):
        raise NotFound(f"artefact {artefact_id} not found")
    shown = await visible_artefacts(session, user, artefact.deliverable_id)  # 404 for another client's
    if artefact.id not in {a.id for a in shown}:
        raise NotFound(f"artefact {artefact_id} not found")
    stored = await session.get(DeliverableArtefactFile, artefact.id)
    assert stored is not None  # written with the artefact, removed with it
    return artefact, stored.content


async def _add(session: AsyncSession, user: Actor, artefact: DeliverableArtefact) -> None:
    await _while_open(session, user, artefact.deliverable_id)
    if len(await artefacts_of(session, artefact.deliverable_id)) >= MAX_ARTEFACTS:
        raise Conflict(f"a deliverable carries at most {MAX_ARTEFACTS} artefacts")
    artefact.created_by_id = getattr(user, "id", None)
    session.add(artefact)
    await session.flush()
    await record(
        session, actor=user, action="create", entity_type="artefact", entity_id=artefact.id, after=snapshot(artefact)
    )


async def _while_open(session: AsyncSession, user: Actor, deliverable_id: int) -> Deliverable:
    """The deliverable, if its artefacts may still change. Its version moves with every change,
    written only while its state is still the one read: a delivery at the same moment makes one
    of the two fail (409), so a client never signs a set that changed under it."""
    deliverable = await deliverable_service.get(session, user, deliverable_id)
    if deliverable.status in ARTEFACTS_LOCKED:
        raise Conflict(
            f"“{deliverable.title}” is {deliverable.status}: its artefacts stay as they were handed over",
            key="artefacts_locked",
            title=deliverable.title,
            status=deliverable.status,
        )
    await deliverable_service.write(session, deliverable, {}, expect={"status": deliverable.status})
    return deliverable


def _client(user: Actor) -> bool:
    return getattr(user, "role", None) == Role.client
