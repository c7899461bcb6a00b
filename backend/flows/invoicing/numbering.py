"""The gapless number series: RE-<year>-<sequence>, one series per calendar year.

The next number is taken by one UPDATE … RETURNING on the year's row, inside the issuing
transaction: PostgreSQL holds that row until the transaction ends and SQLite its one write
lock, so a second issuer waits, and a transaction that fails gives its number back with its
rollback. Numbers are thus consecutive in commit order, without gaps or duplicates, on both.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.flows.invoicing.models import InvoiceSeries
from backend.kernel.db import add_unless_taken

PREFIX = "RE"


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:04d}"


async def take_next(session: AsyncSession, year: int) -> int:
    await add_unless_taken(session, InvoiceSeries(year=year, last_number=0))
    table = InvoiceSeries.__table__  # type: ignore[attr-defined]
    taken = await session.exec(
        update(table)
        .where(table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    )
    return int(taken.scalar_one())
