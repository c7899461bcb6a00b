"""Yardsticks for bench/api.py: bare Litestar apps without the project's layers.

- `/bare` answers a page of 20 engagement-like rows from memory: the floor of framework and
  server (no database, no auth, no logging).
- `/bare/engagements` answers the same page as the real list endpoint from PostgreSQL with
  raw asyncpg (the same count and page query, plain dicts, no auth, ORM, validation or
  logging): what the data access itself costs.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from litestar import Litestar, get
from litestar.params import Parameter

ROWS = [
    {
        "id": n,
        "client_id": n,
        "title": f"KI-Einführung Kunde {n}",
        "status": "active",
        "start_date": "2026-11-02",
        "duration_weeks": 8,
        "pricing_model": "fixed_fee",
        "fixed_fee": "18000.00",
        "currency": "EUR",
        "vat_rate": "19.00",
        "created_at": "2026-11-25T10:00:00Z",
        "updated_at": "2026-11-25T10:00:00Z",
        "version": 1,
    }
    for n in range(1, 21)
]
PAGE = "SELECT * FROM engagements ORDER BY start_date DESC, id DESC LIMIT 20 OFFSET $1"
pool: Any = None


@asynccontextmanager
async def database(_: Litestar) -> AsyncIterator[None]:
    global pool
    dsn = os.environ.get("BENCH_DSN")
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10) if dsn else None
    try:
        yield
    finally:
        if pool is not None:
            await pool.close()


@get("/bare")
async def bare() -> dict[str, Any]:
    return {"items": ROWS, "total": 10_000, "limit": 20, "offset": 0}


@get("/bare/engagements")
async def bare_engagements(offset: Annotated[int, Parameter(ge=0)] = 0) -> dict[str, Any]:
    async with pool.acquire() as connection:
        total = await connection.fetchval("SELECT count(*) FROM engagements")
        rows = await connection.fetch(PAGE, offset)
    return {"items": [dict(row) for row in rows], "total": total, "limit": 20, "offset": offset}


app = Litestar(route_handlers=[bare, bare_engagements], lifespan=[database], openapi_config=None)
