"""Who is signed in: the principal of a request, and remembering it between requests.

Reading the user on every request is about a sixth of a list request's CPU time. On PostgreSQL a
trigger announces every change to `users` (NOTIFY), and each web process keeps one LISTEN
connection; only while that connection is up does the process remember principals, so a
deactivated user, a changed role or client is forgotten the moment the change commits (in the
process that made it, before its response is sent; elsewhere within milliseconds). A closed
connection stops the remembering at once; entries also expire after `TTL_SECONDS`, which bounds
staleness should the connection die silently (no FIN, e.g. a network partition) until the next
keep-alive notices. SQLite (a single process) simply reads the user every time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.sessions import AuthSession
from backend.kernel.db import WRITTEN_KEY, DeskSyncSession, hold_where
from backend.kernel.enums import Role

CHANNEL = "desk_users"
SESSIONS_TABLE = "auth_sessions"
APPLICATION_NAME = "desk-user-changes"  # how the LISTEN connection shows in pg_stat_activity
TTL_SECONDS = 10.0
KEEPALIVE_SECONDS = 5.0
RETRY_SECONDS = 1.0
_LIMIT = 10_000
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user as requests use it: kept apart from any session, so a rollback there
    never touches it."""

    id: int
    email: str
    full_name: str
    role: Role
    client_id: int | None
    contact_id: int | None
    # The sign-in session the request's token belongs to (ended by signing out).
    session_id: str = ""


# Who acts in a service call: the signed-in principal, or None for the system itself (a job,
# the command line).
Actor = Principal | None


# The user and the token's session in one statement: a token counts only while its user is
# active and its session open (signing out, deactivation and client archiving take effect at once).
_PRINCIPAL_ROW = (
    select(
        col(User.id), col(User.email), col(User.full_name), col(User.role), col(User.client_id), col(User.contact_id)
    )
    .join(AuthSession, (col(AuthSession.user_id) == User.id) & (col(AuthSession.epoch) == User.session_epoch))
    .where(
        col(User.id) == bindparam("user_id"),
        col(User.is_active).is_(True),
        col(AuthSession.id) == bindparam("session_id"),
        col(AuthSession.ended_at).is_(None),
    )
)


async def read_principal(connection: AsyncConnection, user_id: int, session_id: str) -> Principal | None:
    """The principal of a token: its user, if active, with its session, if open."""
    row = (await connection.execute(_PRINCIPAL_ROW, {"user_id": user_id, "session_id": session_id})).first()
    if row is None:
        return None
    return Principal(row.id, row.email, row.full_name, Role(row.role), row.client_id, row.contact_id, session_id)


async def hold_account(session: AsyncSession, user_id: int) -> bool:
    """Hold a client's account until the transaction ends; False if it has ended (erased or
    deactivated). A client's change stands only while their account does, and an erasure holds
    the account while it runs: taken before the change's first write, a change made at the same
    moment is either finished before the erasure looks (and erased with the rest) or refused
    after it — never left behind, and never waiting for the erasure while holding what the
    erasure waits for."""
    users = User.__table__  # type: ignore[attr-defined]
    # The table, not the model: the signed-in user's row loaded in this session stays as read.
    await hold_where(session, users, users.c.id == user_id)
    row = (await session.exec(select(users.c.is_active, users.c.erased_at).where(users.c.id == user_id))).first()  # type: ignore[call-overload]
    return row is not None and bool(row[0]) and row[1] is None


class Principals:
    """Principals by session, remembered only while every change to users and their sessions
    is heard of."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Principal, float]] = {}
        self._sessions_of: dict[int, set[str]] = {}
        self._live = False
        # Bumped by every change: a principal read before a change is not remembered after it.
        self.generation = 0

    @property
    def live(self) -> bool:
        return self._live

    def get(self, session_id: str) -> Principal | None:
        entry = self._known.get(session_id)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def remember(self, principal: Principal, generation: int) -> None:
        if self._live and generation == self.generation:
            if len(self._known) >= _LIMIT:
                self._known.clear()
                self._sessions_of.clear()
            self._known[principal.session_id] = (principal, time.monotonic() + TTL_SECONDS)
            self._sessions_of.setdefault(principal.id, set()).add(principal.session_id)

    def forget(self, user_id: int | None = None) -> None:
        """Forget one user's sessions (or everyone's, with None)."""
        self.generation += 1
        if user_id is None:
            self._known.clear()
            self._sessions_of.clear()
        else:
            for session_id in self._sessions_of.pop(user_id, ()):
                self._known.pop(session_id, None)

    def forget_session(self, session_id: str) -> None:
        self.generation += 1
        entry = self._known.pop(session_id, None)
        if entry is not None:
            self._sessions_of.get(entry[0].id, set()).discard(session_id)

    def hear(self, live: bool) -> None:
        """The change feed came up or went down; either way nothing remembered can be trusted."""
        self._live = live
        self.forget()


async def follow_user_changes(database_url: str, principals: Principals) -> None:
    """LISTEN for changes to users for as long as the app runs, reconnecting after failures."""
    url = make_url(database_url).set(drivername="postgresql")
    dsn = url.render_as_string(hide_password=False)
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(dsn, server_settings={"application_name": APPLICATION_NAME})
            lost = asyncio.Event()

            def on_lost(_connection: object, lost: asyncio.Event = lost) -> None:
                # At once, not at the next keep-alive: no notification can arrive any more.
                principals.hear(False)
                lost.set()

            connection.add_termination_listener(on_lost)
            await connection.add_listener(
                CHANNEL, lambda _connection, _pid, _channel, payload: principals.forget(_user_id(payload))
            )
            principals.hear(True)
            while not lost.is_set():
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that arrives as the awaited thing finishes, and shutdown would hang.
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):
                        await lost.wait()
                except TimeoutError:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):  # a silently dead connection
                        await connection.fetchval("SELECT 1")
            raise ConnectionError("the connection was closed")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("user change feed interrupted: %s", exc)
        finally:
            principals.hear(False)
            if connection is not None:
                connection.terminate()
        await asyncio.sleep(RETRY_SECONDS)


def _user_id(payload: str) -> int | None:
    return int(payload) if payload.isdigit() else None


# Sessions whose `info` carries the app's Principals under this key forget the users they
# changed right after commit, so this process's next request sees the change even before the
# notification arrives.
SESSION_INFO_KEY = "principals"


@event.listens_for(DeskSyncSession, "after_flush")
def _note_changed_users(session: Session, _flush_context: Any) -> None:
    if SESSION_INFO_KEY in session.info:
        changed = session.info.setdefault(WRITTEN_KEY, set())
        changed.update((User.__tablename__, o.id) for o in (*session.dirty, *session.deleted) if isinstance(o, User))


@event.listens_for(DeskSyncSession, "after_commit")
def _forget_changed_users(session: Session) -> None:
    principals = session.info.get(SESSION_INFO_KEY)
    for table, row_id in session.info.pop(WRITTEN_KEY, ()):
        if principals is None:
            continue
        if table == User.__tablename__:
            principals.forget(row_id)
        elif table == SESSIONS_TABLE:
            principals.forget_session(row_id)
