"""The digest ledger writes "sent" as a message's last bytes leave, with nothing in between;
on PostgreSQL the statement goes out first, the bytes next, the commit's answer last."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import text

from backend.flows.digests.models import DigestDelivery
from backend.kernel.db import utcnow
from backend.kernel.delivery import DeliveryStatus
from backend.kernel.ledger import Ledger
from tests.conftest import Api
from tests.factories import make_client, make_engagement


async def _delivery(api: Api) -> int:
    client = await make_client(api)
    contact = await api.create("contacts", {"client_id": client["id"], "name": "Eva", "email": "eva@kunde.de"})
    engagement = await make_engagement(api, client["id"])
    async with api.app.state.session_maker() as session:
        row = DigestDelivery(
            engagement_id=engagement["id"],
            iso_week="2026-W49",
            contact_id=contact["id"],
            email=contact["email"],
            language="de",
            status=DeliveryStatus.sending,
        )
        session.add(row)
        await session.commit()
        return row.id


async def _status(api: Api, delivery_id: int) -> tuple[str, str | None]:
    async with api.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT status, message_id FROM digest_deliveries WHERE id = :id"), {"id": delivery_id}
        )
        return tuple(found.one())  # type: ignore[return-value]


def _ledger(api: Api) -> Ledger:
    return Ledger(api.app.state.settings.database_url)


async def test_sent_is_written_and_then_the_message_goes(api: Api) -> None:
    delivery_id = await _delivery(api)
    ledger, went = _ledger(api), []
    await ledger.reserve()
    ledger.mark_sent("digest_deliveries", delivery_id, "<m1@desk>", utcnow(), then=lambda: went.append(True))
    assert went == [True]
    assert await _status(api, delivery_id) == ("sent", "<m1@desk>")
    connection, _ = ledger._connection()
    ledger.close()  # the worker's shutdown: no connection outlives it
    with pytest.raises((sqlite3.ProgrammingError, psycopg.OperationalError)):
        connection.execute("SELECT 1")


async def test_a_failure_to_let_the_message_go_is_raised_after_the_database_answered(api: Api) -> None:
    delivery_id = await _delivery(api)
    ledger = _ledger(api)

    def broken() -> None:
        raise ConnectionResetError("the mail server went away")

    await ledger.reserve()
    with pytest.raises(ConnectionResetError):
        ledger.mark_sent("digest_deliveries", delivery_id, "<m2@desk>", utcnow(), then=broken)
    # The caller sets the row back (failed, retried); the ledger's connection is usable again.
    went: list[bool] = []
    await ledger.reserve()
    ledger.mark_sent("digest_deliveries", delivery_id, "<m3@desk>", utcnow(), then=lambda: went.append(True))
    assert went == [True] and await _status(api, delivery_id) == ("sent", "<m3@desk>")


async def test_a_lost_ledger_connection_is_replaced(api: Api, backend_name: str) -> None:
    if backend_name != "postgresql":
        pytest.skip("PostgreSQL: a backend the server ended")
    delivery_id = await _delivery(api)
    ledger = _ledger(api)
    await ledger.reserve()
    ledger.mark_sent("digest_deliveries", delivery_id, "<m4@desk>", utcnow(), then=lambda: None)
    connection, _ = ledger._connection()
    async with api.engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": connection.info.backend_pid})
    with pytest.raises(Exception):  # noqa: B017 - the driver's error for a connection the server ended
        ledger.mark_sent("digest_deliveries", delivery_id, "<m5@desk>", utcnow(), then=lambda: None)
    ledger.mark_sent("digest_deliveries", delivery_id, "<m6@desk>", utcnow(), then=lambda: None)
    assert await _status(api, delivery_id) == ("sent", "<m6@desk>")
