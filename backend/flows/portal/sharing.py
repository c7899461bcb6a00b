"""Share links: one document for someone without a portal account, until it expires or is revoked."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client
from backend.domains.clients.service import require_contact_of_client
from backend.domains.engagements.models import Engagement
from backend.domains.engagements.service import client_id_of
from backend.flows.documents.models import Document, DocumentStatus
from backend.flows.documents.service import pdf_of
from backend.flows.portal.decisions import refuse_unsendable
from backend.flows.portal.models import ShareLink, ShareLinkCreate, ShareLinkRead
from backend.flows.portal.resources import share_link_service
from backend.flows.portal.tokens import read_share, sign_share
from backend.kernel.config import Settings
from backend.kernel.db import add_unless_taken, utcnow
from backend.kernel.errors import Gone, Unauthorized


def share_path(settings: Settings, link: ShareLink | ShareLinkRead) -> str:
    return f"/s/{sign_share(settings.secret_key, link.id, link.expires_at)}"


def share_read(settings: Settings, link: ShareLink | ShareLinkRead) -> ShareLinkRead:
    read = link if isinstance(link, ShareLinkRead) else ShareLinkRead.model_validate(link)
    read.url = settings.link(share_path(settings, link))
    return read


async def create_link(
    session: AsyncSession, settings: Settings, user: Actor, document_id: int, data: ShareLinkCreate
) -> ShareLink:
    document = await pdf_of(session, user, document_id)
    await refuse_unsendable(session, settings, document)
    await require_contact_of_client(
        session,
        contact_id=data.contact_id,
        client_id=await client_id_of(session, document.engagement_id),
        path="body.contact_id",
    )
    link = ShareLink(
        document_id=document.id,
        contact_id=data.contact_id,
        purpose="manual",
        created_by_id=getattr(user, "id", None),
        expires_at=_whole_seconds(utcnow() + timedelta(days=data.valid_days)),
    )
    session.add(link)
    await session.flush()
    await record(
        session, actor=user, action="create", entity_type="share_link", entity_id=link.id, after=snapshot(link)
    )
    return link


def _whole_seconds(moment: datetime) -> datetime:
    # The token carries the expiry in whole seconds; the row must say the same.
    return moment.replace(microsecond=0)


async def links_for(
    session: AsyncSession, document_id: int, contact_ids: list[int], purpose: str, days: int
) -> dict[int, ShareLink]:
    """One live link per recipient for a mailing; a retried job finds the ones it made before."""
    existing = (
        await session.exec(
            select(ShareLink).where(
                ShareLink.document_id == document_id,
                ShareLink.purpose == purpose,
                col(ShareLink.contact_id).in_(contact_ids),
                col(ShareLink.revoked_at).is_(None),
            )
        )
    ).all()
    links = {link.contact_id: link for link in existing if link.contact_id is not None}
    for contact_id in contact_ids:
        if contact_id in links:
            continue
        link = ShareLink(
            document_id=document_id,
            contact_id=contact_id,
            purpose=purpose,
            expires_at=_whole_seconds(utcnow() + timedelta(days=days)),
        )
        # Made at the same moment by another release (one live link per recipient): that one counts.
        if (stored := await add_unless_taken(session, link)) is not None:
            link = stored
        else:
            link = (
                await session.exec(
                    select(ShareLink).where(
                        ShareLink.document_id == document_id,
                        ShareLink.purpose == purpose,
                        ShareLink.contact_id == contact_id,
                        col(ShareLink.revoked_at).is_(None),
                    )
                )
            ).one()
        links[contact_id] = link
    return links


async def live_links(session: AsyncSession, document_ids: list[int]) -> dict[int, list[ShareLink]]:
    """Hand-made links still usable, per document, for the team's documents panel."""
    rows = (
        await session.exec(
            select(ShareLink)
            .where(
                col(ShareLink.document_id).in_(document_ids),
                ShareLink.purpose == "manual",
                col(ShareLink.revoked_at).is_(None),
                ShareLink.expires_at > utcnow(),
            )
            .order_by(col(ShareLink.id))
        )
    ).all()
    found: dict[int, list[ShareLink]] = {}
    for link in rows:
        found.setdefault(link.document_id, []).append(link)
    return found


async def _client_archived(session: AsyncSession, engagement_id: int) -> bool:
    stmt = (
        select(Client.archived_at)
        .join(Engagement, col(Engagement.client_id) == Client.id)
        .where(Engagement.id == engagement_id)
    )
    return (await session.exec(stmt)).first() is not None


async def revoke_links_of_contact(session: AsyncSession, contact_id: int) -> None:
    """A deleted contact's links stop working with the deletion."""
    await session.exec(
        update(ShareLink)
        .where(col(ShareLink.contact_id) == contact_id, col(ShareLink.revoked_at).is_(None))
        .values(revoked_at=utcnow(), version=ShareLink.version + 1, updated_at=utcnow())
    )


async def revoke(session: AsyncSession, user: Actor, link_id: int) -> ShareLink:
    link = await share_link_service.get(session, user, link_id)
    await share_link_service.stamp(session, user, link, "revoked_at", "revoke")
    return link


async def open_link(session: AsyncSession, settings: Settings, token: str, *, ip: str | None) -> Document:
    """The document behind a share token: 401 forged, 410 expired or revoked."""
    claim = read_share(settings.secret_key, token)
    if claim is None:
        raise Unauthorized("This link is not valid.", key="share_invalid")
    if claim.expires_at <= utcnow():
        raise Gone("This link has expired. Please ask your consultant for a new one.", key="share_expired")
    link = await session.get(ShareLink, claim.link_id)
    if link is None or link.revoked_at is not None:
        raise Gone("This link has been withdrawn. Please ask your consultant for a new one.", key="share_withdrawn")
    document = await session.get(Document, link.document_id)
    if document is None or document.status != DocumentStatus.ready:
        raise Gone("This document is no longer available.", key="share_withdrawn")
    if await _client_archived(session, document.engagement_id):
        # The client relationship ended: none of its documents is handed out any more.
        raise Gone("This link has been withdrawn. Please ask your consultant for a new one.", key="share_withdrawn")
    await session.exec(
        update(ShareLink)
        .where(col(ShareLink.id) == link.id)
        .values(download_count=ShareLink.download_count + 1, last_download_at=utcnow())
    )
    await record(
        session,
        actor=None,
        action="share_download",
        entity_type="share_link",
        entity_id=link.id,
        after={"document_id": document.id, "ip": ip},
    )
    return document
