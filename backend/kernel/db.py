"""Engine, session factory, naming convention and the columns every table shares."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from advanced_alchemy.extensions.litestar._utils import delete_aa_scope_state, get_aa_scope_state, set_aa_scope_state
from advanced_alchemy.types import DateTimeUTC
from litestar import Request
from litestar.datastructures import State
from litestar.types import Message, Scope
from sqlalchemy import event, false, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Field, Session, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.kernel.errors import answer_to_failure

_log = logging.getLogger(__name__)

# Must be set before any table is declared, so constraint names are stable across databases
# and SQLite batch migrations can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    return datetime.now(UTC)


class Row(SQLModel):
    """Surrogate key, audit timestamps and the optimistic-lock counter."""

    # None only until the INSERT is flushed; typed as the int every stored row has, so code that
    # reads ids of loaded rows needs no None checks (one ignore here instead of hundreds there).
    id: int = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTimeUTC, nullable=False)
    version: int = Field(default=1, nullable=False)


async def compare_and_set(
    session: AsyncSession, row: Row, values: dict[str, Any], *, expect: dict[str, Any] | None = None
) -> bool:
    """Write `values` to `row` only if it is still as it was read: one UPDATE whose WHERE holds
    the version the caller saw (and any expected column values, e.g. the current state), so of
    several writers that read the same version exactly one succeeds, whatever the database's
    locking (SQLite has no row locks). Bumps the version; False when the row had moved on."""
    table = type(row).__table__  # type: ignore[attr-defined]
    conditions = [table.c.id == row.id, table.c.version == row.version]
    for column, value in (expect or {}).items():
        conditions.append(table.c[column].is_(None) if value is None else table.c[column] == value)
    stmt = (
        update(table)
        .where(*conditions)
        .values(**values, version=table.c.version + 1, updated_at=utcnow())
        .returning(*table.c)
    )
    stored = (await session.exec(stmt)).first()
    if stored is None:
        return False
    # The instance now shows what the database holds, without a further read or flush.
    for column, value in stored._mapping.items():
        set_committed_value(row, column, value)
    written(session, table.name, row.id)
    return True


# Rows a session changed with statements of its own (not ORM flushes), by table, for listeners
# that act after commit (the remembered principals of changed users).
WRITTEN_KEY = "written_rows"


def written(session: AsyncSession, table: str, row_id: Any) -> None:
    session.info.setdefault(WRITTEN_KEY, set()).add((table, row_id))


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per checkout; recycled connections and retried jobs
    # cover a restarted server instead.
    # Parameters stay out of error messages (and so out of logs): they hold names and addresses.
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_recycle=1800, hide_parameters=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


# Route option for handlers that only read: their session runs without BEGIN/COMMIT, each
# statement on its own. PostgreSQL's default READ COMMITTED gives every statement its own
# snapshot inside a transaction as well, so such a read gives up nothing and saves two round
# trips (bench/api.py: lists and details on PostgreSQL).
READS_ONLY = "reads_only"


class WriteRefused(RuntimeError):
    """A route marked READS_ONLY tried to write: a bug in the route, never a client's error."""


class DeskSyncSession(Session):
    """The synchronous half of every session the product makes (make_sessionmaker): the
    product's session listeners (the outbox's push after commit, forgetting changed users)
    listen on this class, not on every SQLAlchemy session in the process."""


class DeskSession(AsyncSession):
    sync_session_class = DeskSyncSession


class _RefusingWrites(DeskSyncSession):
    def flush(self, objects: Any = None) -> None:
        if self.new or self.dirty or self.deleted:
            raise WriteRefused("this session only reads: remove READS_ONLY from the route that writes")
        super().flush(objects)


class ReadOnlySession(DeskSession):
    """The session of a READS_ONLY route: on an autocommit connection of the same pool, and it
    refuses to flush changes (a write would otherwise be committed statement by statement)."""

    sync_session_class = _RefusingWrites


class RequestSessions(SQLAlchemyAsyncConfig):
    """The plugin's one session per request; a ReadOnlySession for routes marked READS_ONLY."""

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        handler = scope.get("route_handler")
        if handler is None or not handler.opt.get(READS_ONLY):
            return super().provide_session(state, scope)  # type: ignore[return-value]
        session: AsyncSession | None = get_aa_scope_state(scope, self.session_scope_key)
        if session is None:
            session = self.read_only_sessions()
            set_aa_scope_state(scope, self.session_scope_key, session)
        return session

    @cached_property
    def read_only_sessions(self) -> async_sessionmaker[ReadOnlySession]:
        autocommit = self.get_engine().execution_options(isolation_level="AUTOCOMMIT")
        info = self.session_maker.kw.get("info") if isinstance(self.session_maker, async_sessionmaker) else None
        return async_sessionmaker(autocommit, class_=ReadOnlySession, expire_on_commit=False, info=info)


# -- a request's commit: before its answer leaves, and a failed one is the answer -----------------
# The session plugin's own handler would log a failed commit and send the handler's 2xx anyway:
# work the client is told was done, never stored. Here the client is told (409, 503 or 500 as
# for any refused write) and nothing is kept.

# Pages answer a successful form with a redirect (303): 2xx and 3xx commit, the rest rolls back.
COMMITTED = range(200, 400)
_FAILED = "desk_failed_commit"
# What a failed write's answer keeps of the headers the handler meant to send.
_DROPPED = {b"content-type", b"content-length", b"set-cookie", b"location", b"content-disposition", b"etag", b"job-id"}


def commit_before_send(session_scope_key: str) -> Any:
    async def handler(message: Message, scope: Scope) -> None:
        session = get_aa_scope_state(scope, session_scope_key)
        if message["type"] == "http.response.start" and session is not None:
            try:
                if message["status"] in COMMITTED:
                    await _commit_or_answer(session, message, scope)
                else:
                    await session.rollback()
            finally:
                await _close(session)
                delete_aa_scope_state(scope, session_scope_key)
        elif message["type"] == "http.response.body" and (body := scope.pop(_FAILED, None)) is not None:  # type: ignore[misc]
            message["body"] = body
            message["more_body"] = False
        elif message["type"] in ("http.disconnect", "websocket.disconnect", "websocket.close") and session:
            await _close(session)
            delete_aa_scope_state(scope, session_scope_key)

    return handler


async def _close(session: Any) -> None:
    """A connection lost with the database fails its close too: the answer goes out all the same."""
    try:
        await session.close()
    except Exception:
        _log.debug("closing the request's session failed", exc_info=True)


async def _commit_or_answer(session: Any, message: Any, scope: Scope) -> None:
    try:
        await session.commit()
    except Exception as exc:
        try:
            await session.rollback()
        except Exception:
            _log.debug("rollback after a failed commit failed too", exc_info=True)
        answer = answer_to_failure(Request(scope), exc)
        body = json.dumps(answer.content, default=str).encode()
        kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _DROPPED]
        added = [(k.lower().encode(), str(v).encode()) for k, v in (answer.headers or {}).items()]
        message["status"] = answer.status_code
        message["headers"] = [
            *kept,
            *added,
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope[_FAILED] = body  # type: ignore[literal-required]


def make_sessionmaker(engine: AsyncEngine, info: dict[str, Any] | None = None) -> async_sessionmaker[AsyncSession]:
    # sqlmodel's AsyncSession keeps `session.exec()`; expire_on_commit=False lets handlers
    # return rows after the unit of work committed. `info` is copied into every session.
    return async_sessionmaker(engine, class_=DeskSession, expire_on_commit=False, info=info)


@asynccontextmanager
async def unit_of_work(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Session for code outside a request (CLI, jobs): commit on success, roll back on error."""
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def hold(session: AsyncSession, model: type[Row], ids: list[int]) -> None:
    """Hold these rows until the transaction ends, on both databases: row locks on PostgreSQL,
    and a write that changes nothing the write lock on SQLite (which has no row locks), so a
    second transaction doing the same waits, and what it reads next includes the first one's
    committed work."""
    await hold_where(session, model, model.__table__.c.id.in_(ids))  # type: ignore[attr-defined]


async def hold_where(session: AsyncSession, model: Any, *where: Any, touch: str = "version") -> None:
    """`hold` for the rows matching `where` (none may match: on SQLite the write lock is taken all the same).
    Given the table rather than the model, rows this session has loaded keep what they read. On
    SQLite the write sets column `touch` to itself (a table without `version` names another)."""
    table = getattr(model, "__table__", model).c
    if session.get_bind().dialect.name == "postgresql":
        # In id order, so two transactions holding overlapping rows never wait for each other in
        # a circle; NO KEY UPDATE, which rows referencing them (a new time entry's key share on
        # its engagement) do not wait for, nor it for them.
        await session.exec(select(table.id).where(*where).order_by(table.id).with_for_update(key_share=True))
    else:
        await session.exec(update(model).where(*where).values({touch: table[touch]}))


async def serialize(session: AsyncSession, model: type[Row], key: str) -> None:
    """Transactions that call this with the same key go on one after the other until they end,
    on both databases, and what each reads next includes the work of those before it: PostgreSQL
    takes a transaction-scoped advisory lock on the key; SQLite's one write lock is taken by a
    write to the model's table that changes nothing (for what no single row stands for, such as
    one person's day across engagements)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=key))  # type: ignore[call-overload]
    else:
        await session.exec(update(model).where(false()).values(version=model.version))


async def add_unless_taken(session: AsyncSession, row: SQLModel) -> Any | None:
    """INSERT `row` unless a unique key already holds such a row: then nothing is written and
    None returned. One statement (ON CONFLICT DO NOTHING … RETURNING, on SQLite as on
    PostgreSQL) instead of a savepoint, an INSERT and a release; a concurrent writer's row
    waits for its transaction, so exactly one of them is inserted. Returns the stored row."""
    model = type(row)
    table = model.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(row, c.key) for c in table.columns if not (c.primary_key and getattr(row, c.key) is None)}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(model).values(values).on_conflict_do_nothing().returning(model)
    return (await session.exec(stmt)).scalars().first()


async def select_all(
    session: AsyncSession, model: type[SQLModel], *where: Any, order_by: Any = None, limit: int | None = None
) -> list:
    """Rows of one table matching plain conditions, in a stable order (id unless given; a
    list orders by several columns), at most `limit` of them."""
    order = order_by if isinstance(order_by, list | tuple) else [model.id if order_by is None else order_by]  # type: ignore[attr-defined]
    stmt = select(model).where(*where).order_by(*order).limit(limit)
    return list((await session.exec(stmt)).all())


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database (readiness checks)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
