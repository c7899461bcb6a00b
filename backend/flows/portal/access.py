"""Sign-in for client contacts: an emailed single-use link instead of a password.

The link is made and mailed by a job, so the token never passes through the queue and the
request answers the same whether or not the address has portal access (no enumeration).
Redeeming consumes the row with one conditional UPDATE, so two tabs opening the same link
get one session between them.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, func, insert, literal, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record
from backend.domains.auth.models import User
from backend.domains.auth.service import ADMIN, SYSTEM
from backend.domains.clients.models import Client, Contact
from backend.flows.portal.email import Letter, login_link_message
from backend.flows.portal.models import LoginLink
from backend.flows.portal.tokens import hash_login_token, new_login_token
from backend.kernel.config import Settings
from backend.kernel.db import compare_and_set, unit_of_work, utcnow, written
from backend.kernel.enums import Role
from backend.kernel.errors import Conflict, Gone, Unauthorized
from backend.kernel.mail import Mailer

log = logging.getLogger(__name__)
# Portal users never sign in with a password; this is not a valid Argon2 hash, so none matches.
NO_PASSWORD = "!portal-sign-in-link-only"
INVALID_LINK = "This sign-in link is not valid. Please request a new one."
USED = "This sign-in link has already been used. Please request a new one."
NO_ACCESS = "This address no longer has access to the client portal."


def login_path(token: str, lang: str) -> str:
    # The mail's language goes with the link: the portal then opens in the reader's language.
    return f"/portal/login/{token}?lang={lang}"


async def _portal_contacts(session: AsyncSession, email: str) -> list[tuple[Contact, Client]]:
    stmt = (
        select(Contact, Client)
        .join(Client, col(Client.id) == Contact.client_id)
        .where(
            func.lower(Contact.email) == email.strip().lower(),
            col(Contact.portal_access).is_(True),
            col(Client.archived_at).is_(None),
        )
        .order_by(col(Contact.id))
    )
    return list((await session.exec(stmt)).all())


async def send_login_links(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    mailer: Mailer,
    email: str,
    *,
    ip: str | None = None,
    language: str | None = None,
) -> int:
    """Mail a fresh sign-in link to every portal contact with this address; returns how many."""
    sent = 0
    async with maker() as session:
        found = await _portal_contacts(session, email)
    for contact, client in found:
        token, token_hash = new_login_token()
        async with unit_of_work(maker) as session:
            if not _may_sign_in_as(await _user_with_address(session, contact.email), contact.client_id, contact.id):
                log.warning("contact %s: address belongs to another user, no sign-in link sent", contact.id)
                continue
            link_id = await _new_link(session, settings, contact.id, token_hash, ip)
            if link_id is None:
                # Enough links are in the inbox already (asked for by the owner or by a stranger):
                # the owner uses one of those; a stranger cannot flood the inbox.
                log.info(
                    "contact %s: %s unused sign-in links, no new one", contact.id, settings.login_links_outstanding
                )
                continue
            await record(
                session,
                actor=None,
                action="portal_link_sent",
                entity_type="contact",
                entity_id=contact.id,
                after={"login_link_id": link_id, "ip": ip},
            )
        lang = language or contact.language
        letter = Letter(
            lang=lang,
            brand=settings.brand_name,
            sender=settings.mail_from,
            recipient_name=contact.name,
            recipient_email=contact.email,
            message_id=f"<portal-login.{link_id}@{settings.mail_from.rsplit('@', 1)[-1]}>",
        )
        await mailer.send(
            login_link_message(
                letter,
                client=client.name,
                url=settings.link(login_path(token, lang)),
                minutes=settings.portal_link_ttl_minutes,
            )
        )
        sent += 1
    return sent


async def _new_link(
    session: AsyncSession, settings: Settings, contact_id: int, token_hash: str, ip: str | None
) -> int | None:
    """A new sign-in link for the contact, unless enough unused ones are out; None then. The count
    is part of the INSERT (SQLite runs it under its write lock) and the contact's row is locked
    first (PostgreSQL), so jobs running at once cannot each slip past it."""
    await session.exec(select(Contact.id).where(Contact.id == contact_id).with_for_update())
    now = utcnow()
    links = LoginLink.__table__  # type: ignore[attr-defined]
    unused = (
        select(func.count())
        .select_from(links)
        .where(links.c.contact_id == contact_id, links.c.used_at.is_(None), links.c.expires_at > now)
        .scalar_subquery()
    )
    expires = now + timedelta(minutes=settings.portal_link_ttl_minutes)
    row = sa_select(
        literal(contact_id),
        literal(token_hash),
        literal(ip, String()),
        literal(expires, DateTimeUTC()),
        literal(now, DateTimeUTC()),
        literal(now, DateTimeUTC()),
        literal(1),
    ).where(unused < settings.login_links_outstanding)
    made = await session.exec(
        insert(links)
        .from_select(
            ["contact_id", "token_hash", "requested_ip", "expires_at", "created_at", "updated_at", "version"], row
        )
        .returning(links.c.id)
    )
    return made.scalar_one_or_none()


async def _user_with_address(session: AsyncSession, email: str) -> User | None:
    return (await session.exec(select(User).where(User.email == email.lower()))).first()


def _foreign(user: User | None, client_id: int, contact_id: int | None) -> bool:
    """Whether an address's user is a team member or another client's (or contact's) user."""
    return user is not None and not (
        user.role == Role.client and user.client_id == client_id and user.contact_id in (None, contact_id)
    )


def _may_sign_in_as(user: User | None, client_id: int, contact_id: int | None) -> bool:
    """False when the contact's address belongs to someone else's user, or to a user an admin
    deactivated."""
    return not _foreign(user, client_id, contact_id) and (user is None or user.deactivated_by != ADMIN)


async def check_link(session: AsyncSession, token: str) -> LoginLink:
    """The link a token names, if it can still be used: 401 unknown, 410 used or expired."""
    link = (await session.exec(select(LoginLink).where(LoginLink.token_hash == hash_login_token(token)))).first()
    if link is None:
        raise Unauthorized(INVALID_LINK, key="portal_link_invalid")
    if link.used_at is not None:
        raise Gone(USED, key="portal_link_used")
    if link.expires_at <= utcnow():
        raise Gone("This sign-in link has expired. Please request a new one.", key="portal_link_expired")
    return link


async def redeem(session: AsyncSession, token: str, *, ip: str | None) -> User:
    """Use a sign-in link once and return the contact's portal user."""
    link = await check_link(session, token)
    # First, and share-locked (PostgreSQL): what grants access cannot change until this sign-in
    # is done, and archiving, deleting or taking access away (which lock the same rows first)
    # wait for it, then end its session. Locking before anything else keeps one order of locks.
    if not await _has_access(session, link.contact_id):
        raise Unauthorized(NO_ACCESS, key="portal_no_access")
    # SQLite takes no share lock: the contact may be deleted (its links with it) since the look.
    contact = await session.get(Contact, link.contact_id)
    if contact is None:
        raise Unauthorized(NO_ACCESS, key="portal_no_access")
    consumed = await session.exec(
        update(LoginLink)
        .where(col(LoginLink.id) == link.id, col(LoginLink.used_at).is_(None))
        .values(used_at=utcnow(), version=LoginLink.version + 1)
    )
    if consumed.rowcount != 1:
        if not await _has_access(session, contact.id):
            raise Unauthorized(NO_ACCESS, key="portal_no_access")
        raise Gone(USED, key="portal_link_used")
    user = await portal_user(session, contact)
    # Once more after the writes (SQLite: they hold its one write lock, and the first look ran
    # before): an archiving or a lost access committed since is seen now, the sign-in undone.
    if not await _has_access(session, contact.id):
        raise Unauthorized(NO_ACCESS, key="portal_no_access")
    user.last_login_at = utcnow()
    session.add(user)
    await record(
        session,
        actor=user,
        action="portal_login",
        entity_type="contact",
        entity_id=contact.id,
        after={"login_link_id": link.id, "ip": ip},
    )
    return user


async def _has_access(session: AsyncSession, contact_id: int) -> bool:
    stmt = (
        select(Contact.id)
        .join(Client, col(Client.id) == Contact.client_id)
        .where(Contact.id == contact_id, col(Contact.portal_access).is_(True), col(Client.archived_at).is_(None))
        .with_for_update(read=True)
    )
    return (await session.exec(stmt)).first() is not None


async def portal_user(session: AsyncSession, contact: Contact) -> User:
    """The contact's client user, made on first sign-in and kept in step with the contact."""
    user = (await session.exec(select(User).where(User.contact_id == contact.id))).first()
    if user is None:
        user = await _user_with_address(session, contact.email)
        if not _may_sign_in_as(user, contact.client_id, contact.id):
            raise Unauthorized(
                "This address cannot sign in to the client portal; please ask your consultant.", key="portal_no_access"
            )
    if user is None:
        user = User(
            email=contact.email.lower(),
            full_name=contact.name,
            role=Role.client,
            client_id=contact.client_id,
            contact_id=contact.id,
            password_hash=NO_PASSWORD,
        )
        session.add(user)
        await session.flush()
        await record(
            session,
            actor=None,
            action="create",
            entity_type="user",
            entity_id=user.id,
            after={"contact_id": contact.id, "role": "client"},
        )
        return user
    if not user.is_active and user.deactivated_by == ADMIN:
        raise Unauthorized(
            "This address cannot sign in to the client portal; please ask your consultant.", key="portal_no_access"
        )
    restored = not user.is_active
    # Only if nobody changed the user since it was read: an archiving or a deactivation that
    # commits meanwhile wins, and this sign-in fails.
    values = {"contact_id": contact.id, "client_id": contact.client_id, "is_active": True, "deactivated_by": None}
    if not await compare_and_set(session, user, values):
        raise Conflict(
            "Your access changed while signing in; please request a new sign-in link.", key="portal_no_access"
        )
    if restored:
        # Access had ended with the contact's portal access or the client; both are back.
        await record(
            session,
            actor=None,
            action="portal_access_restored",
            entity_type="user",
            entity_id=user.id,
            after={"contact_id": contact.id},
        )
    return user


async def end_portal_access(session: AsyncSession, contact: Contact, actor: Any) -> None:
    """A contact lost portal access (or is being deleted): their user is deactivated, so open
    sessions end at once — the user linked to the contact, and a client user with the contact's
    address not linked yet (made by an admin; its first portal sign-in would link it)."""
    # The contact's row first, as sign-ins do (see redeem): one order of locks, no deadlock.
    await session.exec(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    # Links already mailed do not sign anyone in later (not even after access is given back).
    await session.exec(
        update(LoginLink)
        .where(col(LoginLink.contact_id) == contact.id, col(LoginLink.used_at).is_(None))
        .values(expires_at=utcnow(), version=LoginLink.version + 1)
    )
    await _deactivate(
        session,
        actor,
        or_(
            col(User.contact_id) == contact.id,
            (col(User.contact_id).is_(None))
            & (User.email == contact.email.lower())
            & (User.role == Role.client)
            & (User.client_id == contact.client_id),
        ),
    )


async def end_holder(session: AsyncSession, contact: Contact, actor: Any) -> None:
    """The contact's address changed: the old address's holder loses access and sessions, and
    its user is no longer the contact's (the new address's holder gets their own on sign-in)."""
    await end_portal_access(session, contact, actor)
    await session.exec(
        update(User)
        .where(col(User.contact_id) == contact.id)
        .values(contact_id=None, version=User.version + 1, updated_at=utcnow())
    )


async def refuse_foreign_address(session: AsyncSession, contact_id: int | None, client_id: int, email: str) -> None:
    """A contact with portal access needs an address that can sign in there."""
    # (A user an admin deactivated is theirs still: the contact stays editable, the sign-in refused.)
    if _foreign(await _user_with_address(session, email), client_id, contact_id):
        raise Conflict(
            f"{email} belongs to a team member or another client's user: it cannot sign in to this client's portal.",
            key="portal_address_taken",
            email=email,
        )


async def end_client_access(session: AsyncSession, client_id: int, actor: Any) -> None:
    """A client was archived: none of its people can use the portal or the API any more."""
    await _deactivate(session, actor, User.client_id == client_id, User.role == Role.client)


async def _deactivate(session: AsyncSession, actor: Any, *where: Any) -> None:
    # One statement over whatever is active when it runs, so a sign-in committing meanwhile is
    # caught too; the new epoch ends every session (see backend.domains.auth.sessions).
    ended = await session.exec(
        update(User)
        .where(*where, col(User.is_active).is_(True))
        .values(
            is_active=False,
            deactivated_by=SYSTEM,
            session_epoch=User.session_epoch + 1,
            version=User.version + 1,
            updated_at=utcnow(),
        )
        .returning(col(User.id))
    )
    for user_id in ended.scalars().all():
        written(session, User.__tablename__, user_id)
        await record(session, actor=actor, action="portal_access_ended", entity_type="user", entity_id=user_id)


async def holder_of(session: AsyncSession, link: LoginLink) -> tuple[Contact | None, Client | None]:
    """Whom a sign-in link is for, and their client (to ask "sign in as … for …?")."""
    contact = await session.get(Contact, link.contact_id)
    client = await session.get(Client, contact.client_id) if contact else None
    return contact, client
