"""Yardsticks for bench/api.py: bare Litestar apps without the project's layers.

- `/bare` answers a page of 20 engagement-like rows from memory: the floor of framework and
  server (no database, no auth, no logging).
- `/bare/{query}?n=` answers the same page as one of the real endpoints, from PostgreSQL with
  raw asyncpg: `SELECT *` with the same filter, order and limit, plain dicts, no auth, ORM,
  validation or logging: what the data access itself costs. The queries come from bench/api.py
  (environment variable BENCH_QUERIES, a JSON object of name → SQL with `$1` for `n`).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import asyncpg
from litestar import Litestar, get
from litestar.exceptions import NotFoundException
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
QUERIES: dict[str, str] = json.loads(os.environ.get("BENCH_QUERIES", "{}"))
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
    return {"items": ROWS, "total": None, "limit": 20, "offset": 0}


@get("/bare/{name:str}")
async def bare_query(name: str, n: Annotated[int, Parameter(ge=0)] = 0) -> Any:
    if name not in QUERIES:
        raise NotFoundException()
    async with pool.acquire() as connection:
        rows = await connection.fetch(QUERIES[name], n)
    return {"items": [dict(row) for row in rows], "limit": 20, "offset": n}


app = Litestar(route_handlers=[bare, bare_query], lifespan=[database], openapi_config=None)
