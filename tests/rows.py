"""Rows written straight into a table, for states no API call can make (a record from years ago):
the values given, and for every other required column a plain value of its type."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, Numeric, String, Text, TypeDecorator
from sqlalchemy.ext.asyncio import AsyncConnection

from backend.kernel.time import today
from backend.server.tables import metadata


def column_type(column: Any) -> Any:
    kind = column.type
    return kind.impl_instance if isinstance(kind, TypeDecorator) else kind


def plain_value(column: Any) -> Any:
    """A value a required column takes: unique where it must be, of the column's type."""
    kind = column_type(column)
    if column.unique or column.primary_key:
        return secrets.token_hex(8) if isinstance(kind, String) else secrets.randbelow(10**6) + 1000
    if isinstance(kind, LargeBinary):
        return b"%PDF-1.7 "
    if isinstance(kind, JSON):
        return {}
    if isinstance(kind, Text):
        return "x"
    if isinstance(kind, String):
        return "x"[: kind.length or 1]
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, DateTime):
        return datetime.now(UTC)
    if isinstance(kind, Date):
        return today()
    if isinstance(kind, Numeric):
        return 0
    if isinstance(kind, Integer):
        return 1
    raise TypeError(f"no plain value for {column}")


def needs_value(column: Any) -> bool:
    generated = column.primary_key and isinstance(column_type(column), Integer) and not column.foreign_keys
    return not (generated or column.nullable or column.server_default is not None)


async def add_row(conn: AsyncConnection, table_name: str, **values: Any) -> Any:
    """Insert one row; its key back. Keys to other rows must be given."""
    table = metadata.tables[table_name]
    for column in table.columns:
        if column.name not in values and needs_value(column):
            if column.foreign_keys:
                raise ValueError(f"{table_name}.{column.name} refers to another row: give it")
            values[column.name] = plain_value(column)
    inserted = await conn.execute(table.insert().values(**values).returning(*table.primary_key.columns))
    return inserted.scalar_one()
