"""The request's session: one per request, a ReadOnlySession on routes marked READS_ONLY."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from litestar.datastructures import State
from sqlmodel import select

from backend.domains.clients.models import Client
from backend.kernel.db import (
    READS_ONLY,
    ReadOnlySession,
    RequestSessions,
    WriteRefused,
    make_engine,
    make_sessionmaker,
)
from tests.conftest import Api


def _scope(reads_only: bool) -> Any:
    return {"type": "http", "route_handler": SimpleNamespace(opt={READS_ONLY: True} if reads_only else {})}


async def test_reads_only_routes_read_outside_a_transaction_and_cannot_write(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    config = RequestSessions(engine_instance=engine, session_maker=make_sessionmaker(engine, info={"who": "app"}))
    state = State({config.session_maker_app_state_key: config.session_maker})
    try:
        scope = _scope(reads_only=True)
        session = config.provide_session(state, scope)
        assert isinstance(session, ReadOnlySession)
        assert config.provide_session(state, scope) is session  # one per request
        assert session.info["who"] == "app"  # what the app's sessions carry, this one too
        await session.exec(select(Client).limit(1))
        connection = await session.connection()
        assert connection.sync_connection.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        session.add(Client(name="Nie geschrieben GmbH"))
        with pytest.raises(WriteRefused):
            await session.flush()
        await session.close()

        writing = config.provide_session(state, _scope(reads_only=False))
        assert not isinstance(writing, ReadOnlySession)
        await writing.exec(select(Client).limit(1))
        assert writing.in_transaction()
        await writing.close()
    finally:
        await engine.dispose()


async def test_only_routes_that_read_are_marked_reads_only(api: Api) -> None:
    marked = {
        (method, route.path)
        for route in api.app.routes
        for handler in getattr(route, "route_handlers", [])
        if handler.opt.get(READS_ONLY)
        for method in handler.http_methods
    }
    assert {method for method, _ in marked} == {"GET"}
    # The list and single-row reads of every resource are among them.
    assert {
        ("GET", "/api/v1/clients"),
        ("GET", "/api/v1/clients/{row_id:int}"),
        ("GET", "/api/v1/engagements"),
    } <= marked


def test_the_products_session_listeners_stay_on_its_own_sessions() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from backend.domains.auth import principals
    from backend.kernel import outbox
    from backend.kernel.db import DeskSyncSession

    listeners = [
        ("after_commit", outbox._push_planned),
        ("after_flush", principals._note_changed_users),
        ("after_commit", principals._forget_changed_users),
    ]
    assert all(event.contains(DeskSyncSession, name, fn) for name, fn in listeners)
    assert not any(event.contains(Session, name, fn) for name, fn in listeners)
    assert make_sessionmaker(make_engine("sqlite+aiosqlite://"))().sync_session_class is DeskSyncSession
