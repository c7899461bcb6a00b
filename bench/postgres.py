"""A fresh PostgreSQL database for a benchmark run (dropped and created again each time)."""

from __future__ import annotations

from sqlalchemy import text

from backend.kernel.db import make_engine

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def fresh_postgres(server_url: str, name: str) -> str:
    engine = make_engine(f"{server_url}/postgres")
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        await conn.execute(text(f"CREATE DATABASE {name}"))
    await engine.dispose()
    return f"{server_url}/{name}"
