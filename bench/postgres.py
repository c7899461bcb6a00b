"""A PostgreSQL database of a bench run's own: created on the named server (default
127.0.0.1:5432) under a name no other run shares, and dropped when the run ends. A bench never
writes to a database it did not create."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url, text

from backend.kernel.db import make_engine

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _admin(server_url: str, statement: str) -> None:
    engine = make_engine(make_url(server_url).set(database="postgres").render_as_string(hide_password=False))
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def bench_database(server_url: str | None, purpose: str) -> Iterator[str]:
    """`server_url`: a PostgreSQL URL; the database it names, if any, is left alone."""
    server = server_url or SERVER
    name = f"desk_{purpose}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
