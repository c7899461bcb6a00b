"""The one write that must not wait for the event loop: marking a mail as sent (a weekly
digest, a budget alert: any row of a delivery table, see kernel/delivery.py).

Committing "sent" and writing the message's final bytes must follow each other as closely as
possible; an await would let other jobs run for milliseconds, and a worker killed in that gap
would leave a digest recorded as sent that never left. So this write uses its own small,
synchronous, autocommitting connection, and nothing else runs between the two steps.

On PostgreSQL the statement is sent, then the message's final bytes are written, and only then
is the commit's answer read: the server commits a statement it has received even if the
sender dies meanwhile, so the gap is two system calls, not a round trip (a worker killed while
waiting for the answer had already let the message go). Should the statement fail after the
bytes went, the row is not "sent" and the digest goes once more: a duplicate, never a loss.

On SQLite that blocking write must never wait for the database's write lock: the holder may
be another job of this very process, which cannot commit while the event loop is blocked. So
`reserve()` first takes the write lock in a thread (the loop keeps running), and `mark_sent()`
then writes and commits on that same connection without waiting.
"""

from __future__ import annotations

import asyncio
import select
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy.engine import make_url

SENT = "sent"  # DeliveryStatus.sent


class Ledger:
    """One per process that sends mails exactly once (the worker makes it at start and closes
    it at shutdown); its connections open with the first mail."""

    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        self._local = threading.local()
        # SQLite: one connection, used by one sender at a time from reserve() to mark_sent().
        self._gate = threading.Lock()
        self._shared: tuple[Any, str] | None = None

    async def reserve(self) -> None:
        """Take SQLite's write lock for the coming mark_sent(); nothing to do on PostgreSQL."""
        if self.sqlite:
            await asyncio.to_thread(self._begin)

    def _begin(self) -> None:
        self._gate.acquire()
        try:
            self._connection()[0].execute("BEGIN IMMEDIATE")
        except BaseException:
            self._gate.release()
            raise

    def _connection(self) -> tuple[Any, str]:
        if self.sqlite:
            if self._shared is None:
                connection: Any = sqlite3.connect(
                    self.url.database or ":memory:", isolation_level=None, timeout=30, check_same_thread=False
                )
                self._shared = (connection, "?")
            return self._shared
        cached = getattr(self._local, "connection", None)
        if cached is not None and cached[0].pgconn.status != pq.ConnStatus.OK:
            cached[0].close()  # lost (a restart, a killed backend): the next digest gets a new one
            cached = None
        if cached is None:
            connection = psycopg.connect(
                host=self.url.host,
                port=self.url.port,
                user=self.url.username,
                password=self.url.password,
                dbname=self.url.database,
                autocommit=True,
            )
            cached = self._local.connection = (connection, "%s")
        return cached

    def close(self) -> None:
        for connection in (self._shared, getattr(self._local, "connection", None)):
            if connection is not None:
                connection[0].close()
        self._shared = self._local.connection = None

    def mark_sent(self, table: str, delivery_id: int, message_id: str, now: datetime, then: Callable[[], None]) -> None:
        """Commit "sent" for the row of `table` (a delivery table, named by the code, never by
        input) and call `then` (which lets the message go) right after; on SQLite only after
        reserve(). An error of `then` is raised once the database has answered."""
        connection, p = self._connection()
        if not self.sqlite:
            self._sent_then(connection, table, delivery_id, message_id, now, then)
            return
        try:
            # The text SQLAlchemy stores for these columns on SQLite, so sorting stays right.
            stamp = now.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            self._update(connection, p, table, delivery_id, message_id, stamp)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        finally:
            self._gate.release()
        then()

    @staticmethod
    def _sent_then(
        connection: Any, table: str, delivery_id: int, message_id: str, now: datetime, then: Callable[[], None]
    ) -> None:
        pgconn = connection.pgconn
        stamp = now.isoformat().encode()
        pgconn.send_query_params(
            _pg_update(table), [SENT.encode(), stamp, message_id.encode(), stamp, b"%d" % delivery_id]
        )
        while pgconn.flush():  # the whole statement with the kernel before the message goes
            select.select([], [pgconn.socket], [])
        try:
            then()
        finally:
            results = _results(pgconn)
        failed = [r for r in results if r.status != pq.ExecStatus.COMMAND_OK]
        if failed:
            message = failed[0].error_message.decode(errors="replace").strip()
            raise psycopg.OperationalError(f"marking {table} {delivery_id} as sent failed: {message}")

    @staticmethod
    def _update(connection: Any, p: str, table: str, delivery_id: int, message_id: str, now: Any) -> None:
        connection.execute(
            f"UPDATE {_named(table)} SET status = {p}, sent_at = {p}, message_id = {p}, last_error = NULL,"
            f" updated_at = {p}, version = version + 1 WHERE id = {p}",
            (SENT, now, message_id, now, delivery_id),
        )


def _named(table: str) -> str:
    if not table.isidentifier():
        raise ValueError(f"not a table name: {table!r}")
    return table


@cache
def _pg_update(table: str) -> bytes:
    return (
        f"UPDATE {_named(table)} SET status = $1, sent_at = $2, message_id = $3, last_error = NULL,"
        " updated_at = $4, version = version + 1 WHERE id = $5"
    ).encode()


def _results(pgconn: Any) -> list[Any]:
    """Every result of the statement sent, waiting for the server as long as it takes."""
    results: list[Any] = []
    while True:
        while pgconn.is_busy():
            select.select([pgconn.socket], [], [])
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            return results
        results.append(result)
