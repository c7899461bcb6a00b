"""A person present in every table: the demo client's managing director (a contact with a portal
account and a participant record), pointed at by every column that can point at a person and
named in every text column that can hold a name, in a row of her client's (or, for a table no
client owns, any row). A new table is covered the day it exists: rows are made from the schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Text
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

from backend.flows.privacy.inventory import PERSON_TABLES, UNSEARCHED, person_keys, text_columns
from backend.flows.privacy.models import SubjectKind
from backend.flows.privacy.search import client_scope
from backend.kernel.db import make_sessionmaker, unit_of_work
from backend.kernel.time import today as berlin_today
from backend.server.demo import CLIENT_USER_EMAIL, seed_demo
from backend.server.tables import metadata
from tests.rows import column_type, plain_value

NAME = "Sabine Müller"
EMAIL = CLIENT_USER_EMAIL

# Values a made row needs to be what it stands for (an issued invoice, an approved statement).
MEANING: dict[str, dict[str, Any]] = {
    "invoices": {"status": "issued", "kind": "invoice", "number": "RE-2026-0099", "issue_date": berlin_today()},
    "statement_decisions": {"decision": "approved"},
    "digest_deliveries": {"iso_week": "2026-W48", "status": "sent"},
    "literacy_reminders": {"month": "2026-11", "status": "sent"},
    "share_links": {"purpose": "manual"},
    "deliverable_acceptance_notices": {"audience": "client", "event": "accepted"},
    "invoice_series": {"kind": "invoice"},
    "legal_holds": {"basis": "manual", "entity_type": "clients"},
}


@dataclass
class World:
    client_id: int
    contact_id: int
    user_id: int
    participant_id: int
    # Table → the id of the row that names her there.
    named: dict[str, Any] = field(default_factory=dict)


_kind = column_type


def _is_prose(column: Any) -> bool:
    """Columns a name can be written into: texts, JSON and strings long enough for one (not
    codes, states or hashes)."""
    kind = _kind(column)
    if isinstance(kind, JSON | Text):
        return True
    if isinstance(kind, String):
        return "sha256" not in column.name and "hash" not in column.name and (kind.length or 999) >= 100
    return False


def _naming(column: Any, current: Any = None) -> Any:
    kind = _kind(column)
    if isinstance(kind, JSON):
        if isinstance(current, list):
            return [*current, {"name": NAME, "email": EMAIL}]
        return {**(current if isinstance(current, dict) else {}), "probe": f"{NAME} <{EMAIL}>"}
    if "email" in column.name:
        return EMAIL
    if column.name in ("name", "full_name", "typed_name", "accepted_by"):
        return NAME
    # Her name first: a column's length cuts the end.
    return f"Rückfrage bei {NAME} ({EMAIL}) {current or ''}".strip()[: kind.length or None]


async def person_everywhere(engine: AsyncEngine) -> World:
    async with unit_of_work(make_sessionmaker(engine)) as session:
        await seed_demo(session)
    async with engine.begin() as conn:
        t = metadata.tables
        contact = (
            (await conn.execute(core_select(t["contacts"]).where(t["contacts"].c.email == EMAIL))).mappings().one()
        )
        client_id = contact["client_id"]
        user_id = (await conn.execute(core_select(t["users"].c.id).where(t["users"].c.email == EMAIL))).scalar_one()
        await conn.execute(t["users"].update().where(t["users"].c.id == user_id).values(contact_id=contact["id"]))
        participant_id = await _participant(conn, client_id)
        world = World(client_id, contact["id"], user_id, participant_id)
        people = {
            SubjectKind.contact: contact["id"],
            SubjectKind.user: user_id,
            SubjectKind.participant: participant_id,
        }
        for table in metadata.sorted_tables:
            if table.name in UNSEARCHED or table.name in PERSON_TABLES:
                continue
            if not person_keys(table) and not any(_is_prose(c) for c in text_columns(table)):
                continue
            world.named[table.name] = await _name_her(conn, table, client_id, people)
    return world


async def _participant(conn: AsyncConnection, client_id: int) -> int:
    table = metadata.tables["participants"]
    found = await conn.execute(core_select(table.c.id).where(table.c.client_id == client_id, table.c.name == NAME))
    row_id = found.scalar()
    values = {"email": EMAIL, "department": "Geschäftsführung"}
    if row_id is None:
        now = datetime.now(UTC)
        inserted = await conn.execute(
            table.insert()
            .values(client_id=client_id, name=NAME, created_at=now, updated_at=now, version=1, **values)
            .returning(table.c.id)
        )
        return inserted.scalar_one()
    await conn.execute(table.update().where(table.c.id == row_id).values(**values))
    return row_id


async def _name_her(conn: AsyncConnection, table: Any, client_id: int, people: dict[SubjectKind, int]) -> Any:
    """A row of her client's in `table` that points at her and names her; made if none is there."""
    key = list(table.primary_key.columns)[0]
    scope = client_scope(table.name, client_id)
    # A table no client owns (the audit log, sessions) gets a row of its own: its first row may
    # be anyone's (the test's own admin session).
    row = None
    if scope is not None:
        row = (await conn.execute(core_select(table).where(scope).order_by(key).limit(1))).mappings().first()
    if row is None:
        row_id = await _make(conn, table, client_id, people)
        row = (await conn.execute(core_select(table).where(key == row_id))).mappings().one()
    values: dict[str, Any] = {}
    for column, kind in person_keys(table):
        values[column.name] = people[kind]
    for column in text_columns(table):
        if _is_prose(column):
            values[column.name] = _naming(column, row[column.name])
    await conn.execute(table.update().where(key == row[key.name]).values(**values))
    return row[key.name]


async def _make(conn: AsyncConnection, table: Any, client_id: int, people: dict[SubjectKind, int]) -> Any:
    """A row from the schema: required keys point at her client's rows, the rest plain values."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key and isinstance(_kind(column), Integer) and not column.foreign_keys:
            continue
        if column.name in MEANING.get(table.name, {}):
            values[column.name] = MEANING[table.name][column.name]
        elif column.foreign_keys:
            values[column.name] = await _parent(conn, column, client_id, people)
        elif column.nullable and not _is_prose(column) and "email" not in column.name:
            continue
        else:
            values[column.name] = _plain(column)
    inserted = await conn.execute(table.insert().values(**values).returning(*table.primary_key.columns))
    return inserted.scalar_one()


async def _parent(conn: AsyncConnection, column: Any, client_id: int, people: dict[SubjectKind, int]) -> Any:
    (fk,) = column.foreign_keys
    target = fk.column.table
    if target.name in PERSON_TABLES:
        return people[PERSON_TABLES[target.name]]
    scope = client_scope(target.name, client_id)
    stmt = core_select(fk.column).order_by(fk.column).limit(1)
    found = (await conn.execute(stmt.where(scope) if scope is not None else stmt)).scalar()
    if found is None and not column.nullable:
        found = await _make(conn, target, client_id, people)
    return found


def _plain(column: Any) -> Any:
    """Her name where a column can hold text, else a plain value of the column's type."""
    kind = _kind(column)
    if not (column.unique or column.primary_key) and (
        isinstance(kind, JSON | Text) or (isinstance(kind, String) and (_is_prose(column) or "email" in column.name))
    ):
        return _naming(column)
    if isinstance(kind, LargeBinary):
        return b"%PDF-1.7 " + NAME.encode()
    return plain_value(column)


def tables_that_can_name() -> list[str]:
    """Every table a person can be named in: a key pointing at one, or a text column."""
    return sorted(
        t.name
        for t in SQLModel.metadata.sorted_tables
        if t.name not in UNSEARCHED
        and t.name not in PERSON_TABLES
        and (person_keys(t) or any(_is_prose(c) for c in text_columns(t)))
    )
