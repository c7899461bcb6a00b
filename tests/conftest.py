"""Test harness: every API test runs once per database backend.

SQLite always runs; PostgreSQL runs when DESK_TEST_POSTGRES_URL points at a database (the CI
script creates a fresh one). The schema is built by the real migrations, then every test
starts from empty tables with an admin and a consultant.

Redis: a private redis-server for this run (nothing to install, nothing shared with another
checkout), or the server DESK_TEST_REDIS_URL names. A configured service that does not answer
stops the run at once with a message, instead of hanging in a fixture.
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from arq.worker import Worker
from httpx import ASGITransport, AsyncClient
from litestar import Litestar
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.domains.auth.passwords import hash_password
from backend.domains.auth.sessions import issue_token
from backend.kernel.config import Settings
from backend.kernel.db import make_engine
from backend.kernel.migrate import upgrade
from backend.server.app import create_app
from backend.server.tables import metadata
from backend.server.worker import make_worker
from tests.redis_server import RedisTestServer
from tests.smtp_server import smtp_server  # noqa: F401 - the SMTP server fixture, for every module

# The end-to-end tests' Chromium and SMTP server (module-scoped fixtures); a webhook receiver.
pytest_plugins = ["tests.browser", "tests.webhook_receiver"]

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-battery-staple"
POSTGRES_URL = os.environ.get("DESK_TEST_POSTGRES_URL")
REDIS_ENV = "DESK_TEST_REDIS_URL"
PRIVATE_REDIS = pytest.StashKey["RedisTestServer"]()
SERVICE_TIMEOUT_SECONDS = 3


def redis_url(db: int = 9) -> str:
    """The run's Redis, database `db` (the API tests' is emptied before every test)."""
    base = os.environ[REDIS_ENV]
    return f"{base.rsplit('/', 1)[0]}/{db}" if base.rsplit("/", 1)[-1].isdigit() else f"{base.rstrip('/')}/{db}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    # Before pytest-timeout fails the test (pyproject.toml), say where it waits.
    stalled_after = 0.8 * float(item.config.getini("timeout") or 300)
    watchdog = threading.Timer(stalled_after, _report_stall, args=(item.nodeid, stalled_after))
    watchdog.daemon = True
    watchdog.start()
    try:
        return (yield)
    finally:
        watchdog.cancel()


def _report_stall(nodeid: str, seconds: float) -> None:
    """Where a test that runs too long waits: the threads, and the coroutines of every pending
    task (a stalled event loop shows only `select` in its thread's stack)."""
    out = sys.__stderr__ or sys.stderr
    print(f"\n*** {nodeid} still running after {seconds:.0f} s", file=out)
    faulthandler.dump_traceback(file=out, all_threads=True)
    for task in [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]:
        print(f"task {task.get_name()}:", file=out)
        awaited: Any = task.get_coro()
        while awaited is not None and (
            frame := getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        ):
            print(f"  {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}", file=out)
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        if awaited is not None:
            print(f"  waits for {awaited!r}"[:300], file=out)
    out.flush()


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_URL:
        try:
            psycopg.connect(POSTGRES_URL.replace("+asyncpg", ""), connect_timeout=SERVICE_TIMEOUT_SECONDS).close()
        except psycopg.Error as exc:
            pytest.exit(f"DESK_TEST_POSTGRES_URL does not answer: {exc}".strip(), returncode=3)
    configured = os.environ.get(REDIS_ENV)
    if configured:
        try:
            redis.Redis.from_url(configured, socket_connect_timeout=SERVICE_TIMEOUT_SECONDS).ping()
        except redis.RedisError as exc:
            pytest.exit(f"{REDIS_ENV}={configured} does not answer: {exc}; unset it for a private Redis", returncode=3)
        return
    workdir = tempfile.mkdtemp(prefix="desk-test-redis-")
    config.add_cleanup(lambda: shutil.rmtree(workdir, ignore_errors=True))  # after the stop below
    server = RedisTestServer(Path(workdir)).start()
    config.add_cleanup(server.stop)
    config.stash[PRIVATE_REDIS] = server
    os.environ[REDIS_ENV] = server.url.rsplit("/", 1)[0] + "/9"


BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


async def reset_postgres(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def db_url_factory(tmp_path_factory: pytest.TempPathFactory):
    def make(backend: str, name: str = "desk") -> str:
        if backend == "postgres":
            assert POSTGRES_URL
            return POSTGRES_URL
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp(name) / 'test.sqlite3'}"

    return make


@pytest.fixture(scope="session", params=BACKENDS)
async def migrated_url(request: pytest.FixtureRequest, db_url_factory) -> str:
    url = db_url_factory(request.param)
    if request.param == "postgres":
        await reset_postgres(url)
    engine = make_engine(url)
    await upgrade(engine)
    await engine.dispose()
    return url


@dataclass
class QueryCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@dataclass
class Api:
    http: AsyncClient
    app: Litestar
    engine: AsyncEngine
    tokens: dict[str, str]
    users: dict[str, int]
    counter: QueryCounter

    def auth(self, who: str = "consultant") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def request(self, method: str, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        headers = kw.pop("headers", {}) | (self.auth(who) if who else {})
        return await self.http.request(method, f"/api/v1{path}", headers=headers, **kw)

    async def get(self, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        return await self.request("GET", path, who, **kw)

    async def post(self, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        return await self.request("POST", path, who, **kw)

    async def patch(self, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        return await self.request("PATCH", path, who, **kw)

    async def put(self, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        return await self.request("PUT", path, who, **kw)

    async def delete(self, path: str, who: str | None = "consultant", **kw: Any) -> Any:
        return await self.request("DELETE", path, who, **kw)

    async def create(self, resource: str, body: dict[str, Any], who: str = "consultant") -> dict[str, Any]:
        response = await self.post(f"/{resource}", who, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    async def add_user(self, name: str, role: str, password_hash: str, client_id: int | None = None) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                text(
                    "INSERT INTO users (email, full_name, role, client_id, is_active, password_hash,"
                    " created_at, updated_at, version) VALUES (:email, :name, :role, :client_id,"
                    " :active, :hash, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) RETURNING id"
                ),
                {
                    "email": f"{name}@example.de",
                    "name": name.title(),
                    "role": role,
                    "client_id": client_id,
                    "active": True,
                    "hash": password_hash,
                },
            )
            user_id = result.scalar_one()
        self.users[name] = user_id
        self.tokens[name] = await issue_token(self.app, user_id)
        return user_id

    async def run_jobs(self, smtp_url: str | None = None, **overrides: Any) -> Worker:
        """Run a real arq worker in burst mode until the queue is empty."""
        # The app pushes a job to Redis right after its commit, in a task of its own; a burst
        # worker that looked before that push landed would find the queue empty and stop.
        await self.app.state.relay.settle()
        settings = self.app.state.settings
        if smtp_url:
            settings = settings.model_copy(update={"smtp_url": smtp_url})
        worker = make_worker(settings, burst=True, handle_signals=False, poll_delay=0.01, **overrides)
        try:
            await worker.async_run()
        finally:
            await worker.close()
        return worker

    @contextmanager
    def count_queries(self) -> Iterator[QueryCounter]:
        counter = QueryCounter()
        self.counter.count = 0
        self.counter.statements = counter.statements
        yield counter
        counter.count = self.counter.count


@asynccontextmanager
async def running_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Enter and leave the app lifespan in one task (anyio cancel scopes insist on it)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await started.wait()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture(scope="session")
async def app_and_client(
    migrated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Litestar, AsyncClient, QueryCounter]]:
    outbox = tmp_path_factory.mktemp("outbox")
    settings = Settings(
        database_url=migrated_url,
        env="test",
        secret_key=TEST_SECRET,
        redis_url=redis_url(),
        queue_name=f"desk-test-{os.getpid()}",
        smtp_url=f"file://{outbox}",
        job_timeout_seconds=30,
        # Webhook receivers in the tests listen on 127.0.0.1 (tests/webhook_receiver.py).
        webhooks_allow_private=True,
        webhook_timeout_seconds=3,
    )
    app = create_app(settings)
    counter = QueryCounter()

    def count(conn, cursor, statement, params, context, executemany):
        counter.count += 1
        counter.statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
    # In-process ASGI on the test's own event loop, so one engine serves app and fixtures.
    transport = ASGITransport(app=app)
    async with running_lifespan(app), AsyncClient(transport=transport, base_url="https://testserver.local") as client:
        yield app, client, counter


async def _written_tables(conn: Any, tables: list[str]) -> list[str]:
    """PostgreSQL: the tables a test wrote to (an id drawn from its sequence, or a row in a table
    without one). TRUNCATE costs about 5 ms a table, whether it holds rows or not: emptying only
    these saves a quarter of a second a test."""
    keyed = {t.name for t in metadata.sorted_tables if "id" in t.c and t.c.id.autoincrement is not False}
    used = await conn.execute(text("SELECT sequencename FROM pg_sequences WHERE last_value IS NOT NULL"))
    written = {name.removesuffix("_id_seq") for (name,) in used}
    unkeyed = [name for name in tables if name not in keyed or name not in written]
    filled = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in unkeyed)
    written |= {name for (name,) in await conn.execute(text(filled))}
    return [name for name in tables if name in written]


async def truncate_all(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            if written := await _written_tables(conn, tables):
                await conn.execute(text(f"TRUNCATE {', '.join(written)} RESTART IDENTITY CASCADE"))
        else:
            # A credit note refers to its invoice in the same table: checked at commit.
            await conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            for name in tables:
                await conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
async def api(app_and_client, password_hash: str) -> Api:
    app, client, counter = app_and_client
    engine: AsyncEngine = app.state.engine
    # A push of the last test's jobs still under way would land in the emptied queue after the
    # flush below, where a new row with the same id (ids restart) would find its job taken.
    await app.state.relay.settle()
    await truncate_all(engine)
    # TRUNCATE restarts ids, so a remembered principal could now name another user (ids are
    # never reused outside tests).
    app.state.principals.forget()
    await app.state.queue.flushdb()
    client.cookies.clear()
    api = Api(http=client, app=app, engine=engine, tokens={}, users={}, counter=counter)
    await api.add_user("admin", "admin", password_hash)
    await api.add_user("consultant", "consultant", password_hash)
    return api


@pytest.fixture
def backend_name(api: Api) -> str:
    return api.engine.dialect.name
