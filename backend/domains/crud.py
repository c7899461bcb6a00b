"""The one generic data path every domain resource goes through.

A `Resource` describes a table as the API sees it (schemas, filters, sort keys, who may read
and write, how a client user is scoped, optional state machine). `CrudService` implements
list/get/create/update/delete/transition once: optimistic locking, foreign-key checks with
field paths, audit events, and the rule that a client user never learns another client's
rows exist (404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard, TypeVar

from pydantic import Field, TypeAdapter, ValidationError, create_model
from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, tuple_
from sqlalchemy import delete as sa_delete
from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.audit.service import record, snapshot
from backend.domains.auth.principals import Actor, Principal
from backend.kernel.db import compare_and_set, utcnow
from backend.kernel.enums import Role
from backend.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    Invalid,
    NotFound,
    VersionConflict,
)
from backend.kernel.events import Hook as DomainHook
from backend.kernel.paging import Cursor, Page, Paging, encode_cursor, not_a_cursor, storable
from backend.kernel.schema import MAX_ID, Strict, Transition

# Fired before a row of any resource is deleted, in the deleting transaction: a domain above
# refuses when rows of its own must keep it (time the client approved keeps its engagement and
# what it went into). Arguments: the session, the resource's name, the row.
row_deleting: DomainHook[[AsyncSession, str, Any]] = DomainHook("row_deleting", required=True)

S = TypeVar("S", bound=Select[Any])
Hook = Callable[[AsyncSession, dict[str, Any], Any], Awaitable[dict[str, Any]]]
STAFF = frozenset({Role.admin, Role.consultant})
EVERYONE = frozenset({Role.admin, Role.consultant, Role.client})
CLIENTS = frozenset({Role.client})


@dataclass(frozen=True)
class StateMachine:
    field: str
    moves: Mapping[str, frozenset[str]]
    needs_reason: frozenset[str] = frozenset()
    # Further column values a move sets (timestamps, reasons), from the target and the reason.
    on_enter: Callable[[str, str | None], dict[str, Any]] | None = None

    def check(self, entity: str, current: str, target: str) -> None:
        if target not in self.moves:
            raise Invalid.field("body.to", f"unknown state '{target}'; states: {', '.join(self.moves)}")
        allowed = self.moves[current]
        if target not in allowed:
            options = ", ".join(sorted(allowed)) or "none (final state)"
            raise IllegalTransition(
                f"This {entity} cannot move from '{current}' to '{target}'. Allowed from '{current}': {options}."
            )


@dataclass
class Resource:
    name: str  # URL segment, e.g. "engagements"
    entity: str  # singular for messages and audit, e.g. "engagement"
    model: type[SQLModel]
    read: type[SQLModel]
    create: type[Strict] | None = None
    filters: dict[str, tuple[type, Any]] = field(default_factory=dict)
    sortable: tuple[str, ...] = ("id", "created_at")
    default_sort: str = "id"
    # SQL condition restricting rows to one client's data, for users with role=client.
    client_scope: Callable[[int], ColumnElement[bool]] | None = None
    read_roles: frozenset[Role] = EVERYONE
    write_roles: frozenset[Role] = STAFF
    writable: bool = True
    updatable: bool = True
    deletable: bool = True
    # Soft delete: DELETE stamps this column and lists hide such rows unless asked.
    archive_field: str | None = None
    machine: StateMachine | None = None
    # Turn validated input into column values (hash a password, check cross-row rules).
    prepare: Hook | None = None
    # Column stamped with the acting user's id on create (author, recorded_by …).
    actor_field: str | None = None
    delete_guard: Callable[[Any], str | None] | None = None
    # Runs in the same transaction before a row is deleted or archived (e.g. to end sessions).
    on_delete: Callable[[AsyncSession, Any, Any], Awaitable[None]] | None = None
    example: dict[str, Any] | None = None
    # The PATCH body (see `update_model`); a create field it leaves out is fixed for good.
    update: type[Strict] | None = None
    # Validates a row's merged values on PATCH; defaults to `create`. Differs only when the
    # create body has write-only fields (a password) that the row does not keep.
    check: type[Strict] | None = None
    # Fields whose sending is itself an act, even when the value does not change (an admin's
    # is_active=false confirms a deactivation the system made as the admin's own).
    always_apply: tuple[str, ...] = ()
    # Read fields that are the consultancy's own (internal notes, budget, error details): left
    # out of what a client user reads. Each needs a default in the read schema.
    internal: tuple[str, ...] = ()
    # Column naming the team member a row belongs to (whose time it is): a consultant creates
    # rows only as their own and changes or deletes only their own; an admin anyone's.
    owner_field: str | None = None
    # Why a row can no longer be changed or deleted (locked), or None.
    edit_guard: Callable[[Any], str | None] | None = None
    # Runs in the same transaction after a row was created or changed (what follows from it).
    after_write: Callable[[AsyncSession, Any, Actor], Awaitable[None]] | None = None
    # Runs in the same transaction after a row moved to another state (given the state it left).
    after_move: Callable[[AsyncSession, Any, Actor, str], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        if self.writable and self.updatable and self.create is not None and self.update is None:
            raise TypeError(f"resource {self.name}: an updatable resource declares its PATCH body (update=...)")
        self.client_read = without_internal(self.read, self.internal)


def without_internal(read: type[SQLModel], internal: tuple[str, ...]) -> type[SQLModel]:
    """The read schema as a client user gets it: the internal fields are read but never written
    out (the documented schema stays the team's, in which they are optional)."""
    if not internal:
        return read
    hidden = {name: (read.model_fields[name].annotation, Field(default=None, exclude=True)) for name in internal}
    return create_model(f"{read.__name__}ForClient", __base__=read, **hidden)  # type: ignore[call-overload]


def _order(column: Any, row_id: Any, descending: bool) -> list[Any]:
    """Sort order with the id as tie-breaker; nulls count as greater than any value, on SQLite
    as on PostgreSQL (whose default it is, so its indexes serve the order as declared)."""
    if descending:
        first = column.desc().nulls_first() if column.nullable else column.desc()
        return [first, row_id.desc()]
    return [column.asc().nulls_last() if column.nullable else column, row_id]


def _after(column: Any, row_id: Any, descending: bool, value_null: bool) -> ColumnElement[bool]:
    """Rows after the cursor's (value, id) in `_order`'s order."""
    value: Any = bindparam("after_value", type_=column.type)
    seen: Any = bindparam("after_id")
    if not column.nullable:
        key = tuple_(column, row_id)
        return key < tuple_(value, seen) if descending else key > tuple_(value, seen)
    if descending:  # nulls first, then values downwards
        if value_null:
            return or_(and_(column.is_(None), row_id < seen), column.is_not(None))
        return or_(column < value, and_(column == value, row_id < seen))
    if value_null:  # values upwards, then nulls
        return and_(column.is_(None), row_id > seen)
    return or_(column > value, and_(column == value, row_id > seen), column.is_(None))


def _one_of(table: str) -> str:
    """A table's row in words: time_entries → time entry, clients → client."""
    one = table[:-3] + "y" if table.endswith("ies") else table.removesuffix("s")
    return one.replace("_", " ")


def _is_client(user: Actor) -> TypeGuard[Principal]:
    return user is not None and user.role == Role.client


class CrudService:
    def __init__(self, resource: Resource) -> None:
        self.r = resource
        self.model = resource.model
        self.table = sa_inspect(resource.model).local_table
        self._id = self.table.c.id
        self._version: Any = self.table.c.get("version")  # read-only tables (the audit log) have none
        fields = resource.read.model_fields
        self._read_columns = [c for c in self.table.columns if c.name in fields]
        if unread := [name for name in resource.sortable if name not in fields]:
            raise TypeError(f"resource {resource.name}: sort keys {unread} are not in its read schema")
        # A cursor carries its sort value as JSON; this gives it back its type (a date, a number).
        self._sort_types = {name: TypeAdapter(fields[name].annotation or Any) for name in resource.sortable}
        self._statements: dict[tuple[Any, ...], tuple[Select, Select]] = {}

    def read_model(self, user: Actor) -> type[SQLModel]:
        """The read schema for this viewer: a client user's leaves out the internal fields."""
        return self.r.client_read if _is_client(user) else self.r.read

    # -- reading -------------------------------------------------------------------------
    def _hidden_from(self, user: Actor) -> bool:
        """A client user sees nothing of a resource without a client scope, nor without a client."""
        return _is_client(user) and (self.r.client_scope is None or user.client_id is None)

    def scoped(self, stmt: S, user: Actor) -> S:
        if self._hidden_from(user):
            return stmt.where(False)  # type: ignore[arg-type]
        if _is_client(user) and self.r.client_scope is not None and user.client_id is not None:
            stmt = stmt.where(self.r.client_scope(user.client_id))
        return stmt

    async def page(
        self,
        session: AsyncSession,
        user: Actor,
        *,
        filters: dict[str, Any],
        sort: str | None,
        paging: Paging,
        include_archived: bool = False,
    ) -> Page[Any]:
        sort = sort or self.r.default_sort
        limit, offset = paging.limit, None if paging.cursor else paging.offset
        present = tuple(name for name, value in filters.items() if value is not None)
        params: dict[str, Any] = {f"filter_{name}": filters[name] for name in present}
        if self._hidden_from(user):
            return Page(items=[], total=0, limit=limit, offset=offset)
        if _is_client(user):
            params["scope_client_id"] = user.client_id
        after = self._after(paging.cursor, sort)
        if after is not None:
            params["after_value"], params["after_id"] = after
        count, rows = self._page_statements(
            present,
            include_archived,
            sort,
            "scope_client_id" in params,
            None if after is None else after[0] is None,
        )
        # Core statements on the session's connection: the page is only serialised, so rows go
        # straight into the read schema without ORM instances, and no column the schema does
        # not show (PDF bytes) is read. One row more than the page tells whether another follows.
        connection = await session.connection()
        result = await connection.execute(rows, {**params, "limit": limit + 1, "offset": offset or 0})
        names = tuple(result.keys())
        # SQLModel's own model_validate fills a new instance once; the bare validator would call
        # the model's __init__, which validates the same values a second time.
        validate = self.read_model(user).model_validate
        found = result.all()
        items = [validate(dict(zip(names, row, strict=True))) for row in found[:limit]]
        more = len(found) > limit
        total: int | None = None
        if paging.count:
            total = (await connection.execute(count, params)).scalar_one()
        elif offset is not None and not more and (items or not offset):
            total = offset + len(items)  # the last page says how many there are
        last: Any = items[-1] if more else None
        next_cursor = encode_cursor(sort, getattr(last, sort.lstrip("-")), last.id) if last is not None else None
        return Page(items=items, total=total, limit=limit, offset=offset, next_cursor=next_cursor)

    def _after(self, cursor: Cursor | None, sort: str) -> tuple[Any, int] | None:
        """The cursor's position as (sort value, id), in the sort column's own type."""
        if cursor is None:
            return None
        if cursor.sort.lstrip("-") not in self._sort_types:
            raise not_a_cursor()
        if cursor.sort != sort:
            raise Invalid.field(
                "query.cursor",
                f"this cursor belongs to the list in another order (sort={cursor.sort}), not sort={sort}",
            )
        if cursor.value is None:
            if not self.table.c[sort.lstrip("-")].nullable:
                raise not_a_cursor()
            return None, cursor.row_id
        try:
            value = self._sort_types[sort.lstrip("-")].validate_python(cursor.value)
        except ValidationError:
            raise not_a_cursor() from None
        if not storable(value):
            raise not_a_cursor()
        return value, cursor.row_id

    def _page_statements(
        self,
        present: tuple[str, ...],
        include_archived: bool,
        sort: str,
        client_scoped: bool,
        after_null: bool | None,
    ) -> tuple[Select, Select]:
        """Count and page statements for one shape of list request, built once: values travel as
        bound parameters, so a request skips building the statement and its cache key.
        `after_null` is None for an offset page, else whether the cursor's sort value is null."""
        shape = (present, include_archived, sort, client_scoped, after_null)
        if (cached := self._statements.get(shape)) is not None:
            return cached
        where: list[Any] = [self.r.filters[name][1] == bindparam(f"filter_{name}") for name in present]
        if self.r.archive_field and not include_archived:
            where.append(getattr(self.model, self.r.archive_field).is_(None))
        if client_scoped:
            assert self.r.client_scope is not None
            where.append(self.r.client_scope(bindparam("scope_client_id")))  # type: ignore[arg-type]
        descending = sort.startswith("-")
        column = self.table.c[sort.lstrip("-")]
        order = _order(column, self._id, descending)
        table = self.model.__table__  # type: ignore[attr-defined]
        count = select(func.count()).select_from(table).where(*where)
        if after_null is not None:
            where.append(_after(column, self._id, descending, after_null))
            page = select(*self._read_columns).where(*where).order_by(*order).limit(bindparam("limit"))
        else:
            # The rows an offset skips are found on the index alone (ids only); the page's own
            # columns are read for its rows, not for every row skipped.
            ids = select(self._id).where(*where).order_by(*order).limit(bindparam("limit")).offset(bindparam("offset"))
            window = ids.subquery("window")
            page = select(*self._read_columns).join(window, window.c.id == self._id).order_by(*order)
        self._statements[shape] = (count, page)
        return count, page

    async def get(
        self,
        session: AsyncSession,
        user: Actor,
        row_id: int,
        *,
        lock: bool = False,
        within: dict[str, int] | None = None,
    ) -> Any:
        """The row, visible to `user`; `within` pins its parent (`{"engagement_id": 7}`), so a
        page nested under one parent cannot reach another parent's rows (404 alike)."""
        parents = [getattr(self.model, column) == value for column, value in (within or {}).items()]
        stmt = self.scoped(select(self.model).where(self._id == row_id, *parents), user)
        if lock:
            stmt = stmt.with_for_update()
        row = (await session.exec(stmt)).first()
        if row is None:
            raise NotFound(f"{self.r.entity} {row_id} not found")
        return row

    # -- writing -------------------------------------------------------------------------
    async def _check_references(self, session: AsyncSession, values: dict[str, Any]) -> None:
        for column in self.table.columns:
            value = values.get(column.name)
            if value is None or not column.foreign_keys:
                continue
            target = next(iter(column.foreign_keys)).column
            path = f"body.{column.name}"
            kind = _one_of(target.table.name)
            if not 1 <= value <= MAX_ID:
                # No row has such an id, and past 64 bits SQLite cannot even compare it.
                raise Invalid.field(path, f"{kind} {value} does not exist")
            if target.table.name == "users":
                # Domain rows point at users only as team members (lead, facilitator, author).
                role = (await session.exec(select(target.table.c.role).where(target == value))).first()
                if role is None:
                    raise Invalid.field(path, f"user {value} does not exist")
                if role not in STAFF:
                    raise Invalid.field(path, f"user {value} is not a member of the consultancy team")
                continue
            found = (await session.exec(select(target).where(target == value))).first()
            if found is None:
                raise Invalid.field(path, f"{kind} {value} does not exist")

    async def _prepare(self, session: AsyncSession, values: dict[str, Any], row: Any) -> dict[str, Any]:
        if self.r.prepare is not None:
            values = await self.r.prepare(session, values, row)
        return values

    def _own(self, user: Actor, values: dict[str, Any]) -> None:
        """A new row's owner: the acting team member unless an admin names another."""
        owner = self.r.owner_field
        if owner is None:
            return
        named, me = values.get(owner), getattr(user, "id", None)
        if named is not None and named != me and getattr(user, "role", None) != Role.admin:
            what = self.r.entity.replace("_", " ")
            raise Forbidden(f"a consultant records a {what} only as their own (admins name another)", key="not_yours")
        values[owner] = named if named is not None else me

    def refuse_edit(self, user: Actor, row: Any) -> None:
        """403 for a consultant's hands on someone else's row, 409 for a locked row."""
        owner = self.r.owner_field
        if owner is not None and getattr(user, "role", None) != Role.admin and getattr(row, owner) != user.id:  # type: ignore[union-attr]
            raise Forbidden(
                f"this {self.r.entity.replace('_', ' ')} is another team member's: only they or an admin change it",
                key="not_yours",
            )
        if self.r.edit_guard is not None and (reason := self.r.edit_guard(row)):
            raise Conflict(reason)

    async def create(self, session: AsyncSession, user: Actor, data: Strict) -> Any:
        values = data.model_dump()
        self._own(user, values)
        await self._check_references(session, values)
        values = await self._prepare(session, values, None)
        if self.r.actor_field:
            values[self.r.actor_field] = getattr(user, "id", None)
        row: Any = self.model(**values)
        session.add(row)
        await session.flush()
        # Read back what the database stored (e.g. Decimal scale), so responses match later reads.
        await session.refresh(row)
        await record(
            session,
            actor=user,
            action="create",
            entity_type=self.r.entity,
            entity_id=row.id,
            after=snapshot(row),
        )
        if self.r.after_write is not None:
            await self.r.after_write(session, row, user)
        return row

    def check_version(self, row: Any, version: int) -> None:
        if row.version != version:
            raise self._moved_on(row.id, row.version, version)

    def _moved_on(self, row_id: int, current: int, sent: int) -> VersionConflict:
        return VersionConflict(
            f"{self.r.entity} {row_id} is at version {current}, you sent {sent}. "
            "Reload it, reapply your change and send the current version."
        )

    async def write(
        self, session: AsyncSession, row: Any, values: dict[str, Any], *, expect: dict[str, Any] | None = None
    ) -> Any:
        """Change a row read earlier in this request, only if nobody changed it since (see
        `compare_and_set`); 409 for the writer that lost a race."""
        seen = row.version
        if not await compare_and_set(session, row, values, expect=expect):
            raise await self._lost_race(session, row.id, seen)
        return row

    async def _lost_race(self, session: AsyncSession, row_id: int, seen: int) -> DomainError:
        """What to tell the writer whose row changed (or went) between its read and its write."""
        current = (await session.exec(select(self._version).where(self._id == row_id))).first()
        if current is None:
            return NotFound(f"{self.r.entity} {row_id} not found")
        return self._moved_on(row_id, current, seen)

    async def update(self, session: AsyncSession, user: Actor, row_id: int, patch: Strict) -> Any:
        assert self.r.create is not None
        row = await self.get(session, user, row_id)
        self.check_version(row, patch.version)  # type: ignore[attr-defined]
        self.refuse_edit(user, row)
        check = self.r.check or self.r.create
        changes = patch.model_dump(exclude_unset=True, exclude={"version"})
        current = {name: getattr(row, name) for name in check.model_fields if hasattr(row, name)}
        merged = check.model_validate({**current, **changes}).model_dump()
        changed = {
            k: v for k, v in merged.items() if k in changes and (k in self.r.always_apply or getattr(row, k, None) != v)
        }
        if not changed:
            return row
        await self._check_references(session, changed)
        before = snapshot(row)
        changed = await self._prepare(session, changed, row)
        await self.write(session, row, changed)
        await record(
            session,
            actor=user,
            action="update",
            entity_type=self.r.entity,
            entity_id=row.id,
            before=before,
            after=snapshot(row),
        )
        if self.r.after_write is not None:
            await self.r.after_write(session, row, user)
        return row

    async def stamp(self, session: AsyncSession, user: Actor, row: Any, field: str, action: str) -> bool:
        """Set a moment-of-decision column once (approved, sent, revoked) with version bump and
        audit event; True if this call set it. Doing it again, or at the same moment as another
        request that wins, changes nothing and is no error."""
        if getattr(row, field) is not None:
            return False
        before, seen = snapshot(row), row.version
        if not await compare_and_set(session, row, {field: utcnow()}, expect={field: None}):
            await session.refresh(row)
            if getattr(row, field) is not None:
                return False  # stamped by a request at the same moment
            raise await self._lost_race(session, row.id, seen)
        await record(
            session,
            actor=user,
            action=action,
            entity_type=self.r.entity,
            entity_id=row.id,
            before=before,
            after=snapshot(row),
        )
        return True

    async def delete(self, session: AsyncSession, user: Actor, row_id: int, version: int | None) -> None:
        # Locked (PostgreSQL) for what `on_delete` does to other rows: a sign-in that checks this
        # row with a share lock waits, and either sees it gone or is seen by `on_delete`.
        row = await self.get(session, user, row_id, lock=True)
        if version is not None:
            self.check_version(row, version)
        archive = self.r.archive_field
        if archive and getattr(row, archive) is not None:
            return  # already archived: deleting again changes nothing
        self.refuse_edit(user, row)
        if self.r.delete_guard is not None and (reason := self.r.delete_guard(row)):
            raise Conflict(reason)
        await row_deleting(session, self.r.name, row)
        before = snapshot(row)
        if self.r.on_delete is not None:
            await self.r.on_delete(session, row, user)
        if archive:
            await self.write(session, row, {archive: utcnow()}, expect={archive: None})
        else:
            # The version in the statement: a row changed since it was read is not deleted.
            seen = row.version
            deleted = await session.exec(sa_delete(self.model).where(self._id == row.id, self._version == seen))
            if deleted.rowcount != 1:
                raise await self._lost_race(session, row.id, seen)
            session.expunge(row)
        await record(
            session,
            actor=user,
            action="archive" if archive else "delete",
            entity_type=self.r.entity,
            entity_id=row_id,
            before=before,
        )

    async def transition(
        self, session: AsyncSession, user: Actor, row_id: int, body: Transition, *, also: dict[str, Any] | None = None
    ) -> Any:
        """Move a row to `body.to`; `also` sets further columns in the same change (and audit event).
        The move is written only if the row is still in the state and version it was read in."""
        machine = self.r.machine
        assert machine is not None
        row = await self.get(session, user, row_id)
        self.check_version(row, body.version)
        self.refuse_edit(user, row)
        current = str(getattr(row, machine.field))
        machine.check(self.r.entity.replace("_", " "), current, body.to)
        if body.to in machine.needs_reason and not (body.reason or "").strip():
            raise Invalid.field("body.reason", f"a reason is required to move to '{body.to}'", key="reason_required")
        before = snapshot(row)
        values = {machine.field: body.to}
        if machine.on_enter is not None:
            values |= machine.on_enter(body.to, body.reason)
        await self.write(session, row, values | (also or {}), expect={machine.field: current})
        await record(
            session,
            actor=user,
            action=f"transition:{current}->{body.to}",
            entity_type=self.r.entity,
            entity_id=row.id,
            before=before,
            after=snapshot(row),
        )
        if self.r.after_move is not None:
            await self.r.after_move(session, row, user, current)
        return row
