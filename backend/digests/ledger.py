"""The one write that must not wait for the event loop: marking a digest as sent.

Committing "sent" and writing the message's final bytes must follow each other as closely as
possible; an await would let other jobs run for milliseconds, and a worker killed in that gap
would leave a digest recorded as sent that never left. So this write uses its own small,
synchronous, autocommitting connection: one statement, one round trip, and control returns
straight to the caller, which writes the bytes before anything else can run.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import make_url

from backend.digests.models import DeliveryStatus, DigestDelivery

TABLE = DigestDelivery.__tablename__
SENT = DeliveryStatus.sent.value


class Ledger:
    def __init__(self, database_url: str) -> None:
        self.url = make_url(database_url)
        self._local = threading.local()

    def _connection(self) -> tuple[Any, str]:
        cached = getattr(self._local, "connection", None)
        if cached is None:
            if self.url.get_backend_name() == "sqlite":
                connection = sqlite3.connect(self.url.database or ":memory:", isolation_level=None, timeout=30)
                marker = "?"
            else:
                import psycopg

                connection = psycopg.connect(
                    host=self.url.host, port=self.url.port, user=self.url.username,
                    password=self.url.password, dbname=self.url.database, autocommit=True,
                )
                marker = "%s"
            cached = self._local.connection = (connection, marker)
        return cached

    def mark_sent(self, delivery_id: int, message_id: str, now: datetime) -> None:
        connection, p = self._connection()
        if p == "?":
            # The text SQLAlchemy stores for these columns on SQLite, so sorting stays right.
            now = now.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")  # type: ignore[assignment]
        connection.execute(
            f"UPDATE {TABLE} SET status = {p}, sent_at = {p}, message_id = {p}, last_error = NULL,"  # noqa: S608
            f" updated_at = {p}, version = version + 1 WHERE id = {p}",
            (SENT, now, message_id, now, delivery_id),
        )


@lru_cache
def ledger_for(database_url: str) -> Ledger:
    return Ledger(database_url)
