"""Every row that names a person: rows pointing at one of the person's records by a key, and
rows whose text holds the person's name or address. The export shows them, erasure goes
through them; both read the schema from the metadata, so a new table is searched from the day
it exists."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Table, Text, and_, cast, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.clients.models import Contact
from backend.domains.literacy.attendance import same_person_name
from backend.domains.literacy.models import Participant
from backend.flows.privacy.inventory import (
    SUBJECT_COLUMNS,
    UNSEARCHED,
    binary_columns,
    holds_for,
    person_keys,
    row_id,
    text_columns,
)
from backend.flows.privacy.inventory import (
    TABLE_OF as PERSON_TABLES_BY_KIND,
)
from backend.flows.privacy.models import SubjectKind
from backend.kernel.redaction import Redactor, erased_email


@dataclass
class Person:
    """One human's records in the product: as a client's contact, their portal account, and as a
    workshop participant of the same client (the same address, or the same name)."""

    kind: SubjectKind
    id: int
    client_id: int | None
    records: dict[SubjectKind, list[Any]] = field(default_factory=dict)

    def ids(self, kind: SubjectKind) -> list[int]:
        return [r.id for r in self.records.get(kind, [])]

    def rows(self) -> list[tuple[SubjectKind, Any]]:
        return [(kind, row) for kind, rows in self.records.items() for row in rows]

    def redactor(self) -> Redactor:
        names = [getattr(row, "name", None) or getattr(row, "full_name", None) for _, row in self.rows()]
        emails = [row.email for _, row in self.rows()]
        phones = [getattr(row, "phone", None) for _, row in self.rows()]
        return Redactor(names, emails, erased_email(self.kind, self.id), phones)


async def person_of(session: AsyncSession, kind: SubjectKind, subject: Any) -> Person:
    """The person `subject` is, with every record of theirs the product keeps."""
    client_id = getattr(subject, "client_id", None)
    person = Person(kind, subject.id, client_id)
    contacts: list[Contact] = []
    participants: list[Participant] = []
    users: list[User] = []
    if kind == SubjectKind.user:
        users.append(subject)
        if subject.contact_id is not None and (contact := await session.get(Contact, subject.contact_id)):
            contacts.append(contact)
    elif kind == SubjectKind.contact:
        contacts.append(subject)
    else:
        participants.append(subject)
    if client_id is not None:
        records: list[Any] = [*contacts, *participants, *users]
        known_emails = {r.email.lower() for r in records if r.email}
        known_names = {same_person_name(r.name) for r in records if not isinstance(r, User)}
        if kind != SubjectKind.contact:
            contacts += [
                c
                for c in await _of_client(session, Contact, client_id)
                if c.id not in {x.id for x in contacts} and _same(c, known_emails, known_names)
            ]
        participants += [
            p
            for p in await _of_client(session, Participant, client_id)
            if p.id not in {x.id for x in participants} and _same(p, known_emails, known_names)
        ]
        # The portal accounts: made for one of the contacts, or the client's with their address.
        contact_ids = [c.id for c in contacts]
        known_emails |= {c.email.lower() for c in contacts}
        users += [
            u
            for u in await _of_client(session, User, client_id)
            if u.id not in {x.id for x in users}
            and u.erased_at is None
            and (u.contact_id in contact_ids or u.email.lower() in known_emails)
        ]
    person.records = {
        SubjectKind.contact: contacts,
        SubjectKind.participant: participants,
        SubjectKind.user: users,
    }
    return person


def _same(row: Any, emails: set[str], names: set[str]) -> bool:
    """The same person: the same address; or, where one of the two has none, the same name. Two
    records with different addresses are two people, whatever their names."""
    if getattr(row, "erased_at", None) is not None:
        return False
    if row.email and emails:
        return row.email.lower() in emails
    return same_person_name(row.name) in names


async def _of_client(session: AsyncSession, model: Any, client_id: int) -> list[Any]:
    return list((await session.exec(select(model).where(model.client_id == client_id))).all())


@dataclass
class Hit:
    """A row that names the person: by the key columns that point at them, and/or by text."""

    row: Mapping[str, Any]
    keys: set[str] = field(default_factory=set)
    text: set[str] = field(default_factory=set)
    # A part stored apart from a row that names the person (its PDF): the table it belongs to.
    part_of: str | None = None


# Table name → {row id → hit}.
Hits = dict[str, dict[Any, Hit]]


def searched_tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in UNSEARCHED]


async def rows_naming(session: AsyncSession, person: Person, redactor: Redactor) -> Hits:
    """Every row that points at the person or names them: within the person's client (and in
    the tables no client owns, such as the audit log); everywhere for one of the team."""
    hits: Hits = {}
    people = {kind: person.ids(kind) for kind in SubjectKind}
    own = {PERSON_TABLES_BY_KIND[kind]: set(ids) for kind, ids in people.items()}
    for table in searched_tables():
        plain = [c for c in table.columns if c not in binary_columns(table)]
        for column, kind in person_keys(table):
            if not people[kind]:
                continue
            for row in (await session.exec(core_select(*plain).where(column.in_(people[kind])))).mappings():  # type: ignore[call-overload]
                hits.setdefault(table.name, {}).setdefault(row_id(table, row), Hit(row)).keys.add(column.name)
        if table.name in SUBJECT_COLUMNS:
            kind_column, id_column = (table.c[name] for name in SUBJECT_COLUMNS[table.name])
            theirs = or_(*(and_(kind_column == kind, id_column.in_(ids)) for kind, ids in people.items() if ids))
            for row in (await session.exec(core_select(*plain).where(theirs))).mappings():  # type: ignore[call-overload]
                hits.setdefault(table.name, {}).setdefault(row_id(table, row), Hit(row)).keys.add(id_column.name)
        columns = text_columns(table)
        needles = redactor.needles()
        if not columns or not needles:
            continue
        maybe = or_(*(func.lower(cast(c, Text)).contains(n, autoescape=True) for c in columns for n in needles))
        stmt = core_select(*plain).where(maybe)
        if person.client_id is not None and (scope := client_scope(table.name, person.client_id)) is not None:
            stmt = stmt.where(scope)
        for row in (await session.exec(stmt)).mappings():  # type: ignore[call-overload]
            found = row_id(table, row)
            if table.name in own and found not in own[table.name]:
                continue  # another person of the same name: their record is theirs
            named = {c.name for c in columns if row[c.name] is not None and redactor.names_in(row[c.name])}
            if named:
                hit = hits.setdefault(table.name, {}).setdefault(found, Hit(row))
                hit.text |= named
                if table.name in own:
                    hit.keys.add("id")  # the person's own record
    for table_name, ids in own.items():
        table = SQLModel.metadata.tables[table_name]
        missing = [i for i in ids if i not in hits.get(table_name, {})]
        if missing:
            plain = [c for c in table.columns if c not in binary_columns(table)]
            for row in (await session.exec(core_select(*plain).where(table.c.id.in_(missing)))).mappings():  # type: ignore[call-overload]
                hits.setdefault(table_name, {})[row["id"]] = Hit(row, keys={"id"})
    await _add_parts(session, hits)
    return hits


async def _add_parts(session: AsyncSession, hits: Hits) -> None:
    """The files kept apart from the rows found (an Abnahme's protocol, an invoice's PDF and
    XML): their key is the row's, they name the person as the row does."""
    for table in searched_tables():
        (key,) = table.primary_key.columns
        parents = [fk.column.table.name for fk in key.foreign_keys]
        # Only the records' files (the law keeps them); a client's uploaded file is theirs.
        if not parents or not hits.get(parents[0]) or not holds_for(table.name):
            continue
        plain = [c for c in table.columns if c not in binary_columns(table)]
        stmt = core_select(*plain).where(key.in_(list(hits[parents[0]])))
        for row in (await session.exec(stmt)).mappings():  # type: ignore[call-overload]
            hits.setdefault(table.name, {}).setdefault(row_id(table, row), Hit(row, part_of=parents[0]))


@cache
def _path_to_clients(table_name: str) -> tuple[tuple[str, str, str], ...] | None:
    """The cheapest chain of keys from a table to `clients` (table, column, referred table),
    a nullable key costing more than a required one (its rows may have no client); None for
    the tables no client owns (the audit log, the job outbox), searched whole."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    queue: list[tuple[int, str, tuple[tuple[str, str, str], ...]]] = [(0, table_name, ())]
    seen: set[str] = set()
    while queue:
        cost, name, path = heapq.heappop(queue)
        if name == "clients":
            return path
        if name in seen:
            continue
        seen.add(name)
        for column in tables[name].columns:
            for fk in column.foreign_keys:
                target = fk.column.table.name
                # Who did something (an audit event's actor, a session's user) says nothing
                # about whose data the row is: a user's client is only a portal user's.
                if target in ("users", "erasures"):
                    continue
                if target not in seen and target != name:
                    step = 10 if column.nullable else 1
                    heapq.heappush(queue, (cost + step, target, (*path, (name, column.name, target))))
    return None


def client_scope(table_name: str, client_id: int) -> ColumnElement[bool] | None:
    """The condition for a table's rows that belong to one client (None: no client owns them)."""
    if table_name == "clients":
        return SQLModel.metadata.tables["clients"].c.id == client_id
    path = _path_to_clients(table_name)
    if path is None:
        return None
    tables = SQLModel.metadata.tables
    *steps, (last_table, last_column, _) = path
    condition: ColumnElement[bool] = tables[last_table].c[last_column] == client_id
    for table, column, target in reversed(steps):
        condition = tables[table].c[column].in_(core_select(tables[target].c.id).where(condition))
    return condition
