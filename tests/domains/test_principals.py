"""Remembering who a user is between requests, and forgetting it the moment the user changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import jwt
import pytest
from sqlalchemy import text

from backend.domains.auth import principals as module
from backend.domains.auth.principals import Principal, Principals
from backend.kernel.enums import Role
from tests.conftest import Api


def consultant(user_id: int = 7) -> Principal:
    return Principal(user_id, "c@example.de", "C", Role.consultant, None, None, f"session-of-{user_id}")


def session_of(api: Api, who: str) -> str:
    """The session a test user's token belongs to (its jti)."""
    return jwt.decode(api.tokens[who], options={"verify_signature": False})["jti"]


def test_nothing_is_remembered_unless_changes_are_heard() -> None:
    principals = Principals()
    principals.remember(consultant(), principals.generation)
    assert principals.get("session-of-7") is None
    principals.hear(True)
    principals.remember(consultant(), principals.generation)
    assert principals.get("session-of-7") == consultant()
    principals.hear(False)
    assert principals.get("session-of-7") is None


def test_a_principal_read_before_a_change_is_not_remembered() -> None:
    principals = Principals()
    principals.hear(True)
    generation = principals.generation
    principals.forget(8)  # some change arrives while the request reads user 7
    principals.remember(consultant(), generation)
    assert principals.get("session-of-7") is None


def test_remembered_principals_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    principals = Principals()
    principals.hear(True)
    principals.remember(consultant(), principals.generation)
    now = module.time.monotonic()
    monkeypatch.setattr(module.time, "monotonic", lambda: now + module.TTL_SECONDS + 1)
    assert principals.get("session-of-7") is None


async def until(predicate: Callable[[], bool], seconds: float = 5.0) -> float:
    """Waits for `predicate`; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not predicate():
        assert loop.time() - started < seconds, "timed out"
        await asyncio.sleep(0.005)
    return loop.time() - started


@pytest.fixture
async def feed(api: Api, backend_name: str) -> Principals:
    if backend_name != "postgresql":
        pytest.skip("the change feed is PostgreSQL's LISTEN/NOTIFY")
    principals: Principals = api.app.state.principals
    await until(lambda: principals.live)
    return principals


async def users_read(api: Api, path: str = "/clients") -> bool:
    with api.count_queries() as counted:
        assert (await api.get(path)).status_code == 200
    return any("FROM users" in statement for statement in counted.statements)


async def test_the_user_is_read_once_while_the_feed_is_up(api: Api, feed: Principals) -> None:
    assert await users_read(api)
    assert not await users_read(api)
    assert not await users_read(api, "/engagements")


async def test_a_change_made_by_another_process_is_heard_at_once(api: Api, feed: Principals) -> None:
    user_id, session_id = api.users["consultant"], session_of(api, "consultant")
    assert (await api.get("/clients")).status_code == 200
    assert feed.get(session_id) is not None
    # Not through this process's sessions: only the database's notification can tell.
    async with api.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET role = 'client' WHERE id = :id"), {"id": user_id})
    took = await until(lambda: feed.get(session_id) is None, seconds=1.0)
    assert took < 0.5
    assert (await api.get("/users")).status_code == 403  # staff only
    async with api.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user_id})
    await until(lambda: feed.get(session_id) is None, seconds=1.0)
    assert (await api.get("/clients")).status_code == 401


async def test_a_change_made_here_is_forgotten_before_the_answer(
    api: Api, feed: Principals, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The notification names nobody for this test: only the commit in this process can tell.
    monkeypatch.setattr(module, "_user_id", lambda _payload: -1)
    user_id, session_id = api.users["consultant"], session_of(api, "consultant")
    assert (await api.get("/clients")).status_code == 200
    user = (await api.get(f"/users/{user_id}", "admin")).json()
    response = await api.patch(f"/users/{user_id}", "admin", json={"is_active": False, "version": user["version"]})
    assert response.status_code == 200
    assert feed.get(session_id) is None
    assert (await api.get("/clients")).status_code == 401


async def test_while_the_feed_is_down_every_request_reads_the_user(api: Api, feed: Principals) -> None:
    user_id, session_id = api.users["consultant"], session_of(api, "consultant")
    assert (await api.get("/clients")).status_code == 200
    async with api.engine.begin() as connection:
        ended = await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": module.APPLICATION_NAME},
        )
        assert ended.scalars().all()
    # Noticed when the connection closes, not at the next keep-alive seconds later.
    assert await until(lambda: not feed.live) < 0.5
    assert feed.get(session_id) is None
    assert await users_read(api) and await users_read(api)
    async with api.engine.begin() as connection:
        await connection.execute(text("UPDATE users SET is_active = false WHERE id = :id"), {"id": user_id})
    assert (await api.get("/clients")).status_code == 401
    await until(lambda: feed.live, seconds=module.RETRY_SECONDS + 5)  # it reconnects by itself


async def test_signing_out_elsewhere_is_heard_at_once(api: Api, feed: Principals) -> None:
    session_id = session_of(api, "consultant")
    assert (await api.get("/clients")).status_code == 200
    assert feed.get(session_id) is not None
    # Another process ends the session: only the database's notification can tell this one.
    async with api.engine.begin() as connection:
        await connection.execute(
            text("UPDATE auth_sessions SET ended_at = CURRENT_TIMESTAMP WHERE id = :id"), {"id": session_id}
        )
    await until(lambda: feed.get(session_id) is None, seconds=1.0)
    assert (await api.get("/clients")).status_code == 401
