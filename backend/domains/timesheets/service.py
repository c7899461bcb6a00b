"""Recording effort in numbers: a week at once, a CSV file in and out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.principals import Actor
from backend.domains.timesheets import csv_io
from backend.domains.timesheets.alerts import DEFERRED, note_crossings
from backend.domains.timesheets.models import TimeEntry, TimeEntryCreate
from backend.domains.timesheets.resources import time_entry_service
from backend.kernel.errors import DomainError, Invalid, pydantic_errors


async def record_many(
    session: AsyncSession, user: Actor, bodies: Sequence[tuple[str, dict[str, Any]]]
) -> list[TimeEntry]:
    """Create every entry or none: each (where, fields) is checked as a single entry would be,
    and every refusal is reported with `where` (`body.entries.3`, `line 7`) before anything is
    kept (the caller's transaction rolls back on the error)."""
    created: list[TimeEntry] = []
    errors: list[dict[str, Any]] = []
    touched: set[int] = session.info.setdefault(DEFERRED, set())  # thresholds: once, at the end
    try:
        await _record_each(session, user, bodies, created, errors)
    finally:
        session.info.pop(DEFERRED, None)
    if errors:
        raise _refused("nothing was recorded", errors)
    await note_crossings(session, user, touched)
    return created


async def _record_each(
    session: AsyncSession,
    user: Actor,
    bodies: Sequence[tuple[str, dict[str, Any]]],
    created: list[TimeEntry],
    errors: list[dict[str, Any]],
) -> None:
    for where, fields in bodies:
        try:
            body = TimeEntryCreate.model_validate(fields)
        except ValidationError as exc:
            errors += [{**e, "path": e["path"].replace("body", where, 1)} for e in pydantic_errors(exc)]
            continue
        try:
            created.append(await time_entry_service.create(session, user, body))
        except DomainError as exc:
            found = exc.errors or [{"path": "body", "message": exc.detail}]
            errors += [{**e, "path": str(e.get("path", "body")).replace("body", where, 1)} for e in found]


async def import_csv(session: AsyncSession, user: Actor, text: str) -> list[TimeEntry]:
    """A German Excel CSV (see csv_io) as entries, all or none. Each refusal names its line and
    the file's column: first every cell that cannot be read, then every line checked as an
    entry. A consultant named by e-mail ("Berater") must be on the team (and be you, unless you
    are an admin); a line of an export whose entry still exists ("Eintrag") is refused, so a
    file imported twice records nothing twice."""
    try:
        lines = csv_io.parse(text)
    except csv_io.CsvError as exc:
        cells = [_cell(e["line"], e["column"], e["message"]) for e in exc.errors]
        raise _refused("the file could not be read", cells) from None
    emails = {line.values["user_email"] for line in lines if "user_email" in line.values}
    people = (
        dict((await session.exec(select(User.email, User.id).where(col(User.email).in_(emails)))).all())
        if emails
        else {}
    )
    ids = {line.values["entry_id"] for line in lines if line.values.get("entry_id") is not None}
    existing = set((await session.exec(select(TimeEntry.id).where(col(TimeEntry.id).in_(ids)))).all()) if ids else set()
    errors: list[dict[str, Any]] = []
    bodies: list[tuple[str, dict[str, Any]]] = []
    for line in lines:
        fields = dict(line.values)
        email, entry_id = fields.pop("user_email", None), fields.pop("entry_id", None)
        if entry_id in existing:
            errors.append(
                _cell(
                    line.number, "Eintrag", f"already recorded as entry {entry_id}: empty the cell to record it again"
                )
            )
            continue
        if email is not None:
            if email not in people:
                errors.append(_cell(line.number, "Berater", f"no user has the address {email}"))
                continue
            fields["user_id"] = people[email]
        bodies.append((f"line {line.number}", fields))
    try:
        created = await record_many(session, user, bodies)
    except Invalid as exc:
        errors += [_in_file(e) for e in exc.errors or []]
    if errors:
        raise _refused("nothing was recorded", sorted(errors, key=lambda e: (e["line"], e["column"] or "")))
    return created


def _cell(line: int, column: str | None, message: str) -> dict[str, Any]:
    return {
        "path": f"line {line}" + (f".{column}" if column else ""),
        "line": line,
        "column": column,
        "message": message,
    }


def _in_file(error: dict[str, Any]) -> dict[str, Any]:
    """An entry's refusal ("line 4.minutes") in the file's terms ("line 4.Stunden", in hours)."""
    where, _, field = str(error["path"]).partition(".")
    line = int(where.removeprefix("line "))
    message = str(error["message"])
    column = csv_io.COLUMN_OF.get(field.split(".")[0]) if field else None
    if column is None and "minutes" in message:
        column = "Stunden"
    if column == "Stunden":
        message = message.replace("1440", "24 hours (1440 minutes)")
    return _cell(line, column, message)


def _refused(what: str, errors: list[dict[str, Any]]) -> Invalid:
    shown = "; ".join(f"{e['path']}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return Invalid(f"{what}: {shown}{more}", errors=errors)


async def export_csv(session: AsyncSession, entries: Sequence[TimeEntry]) -> str:
    people = {e.user_id for e in entries}
    emails = (
        dict((await session.exec(select(User.id, User.email).where(col(User.id).in_(people)))).all()) if people else {}
    )
    return csv_io.export(entries, emails)


async def entries_between(
    session: AsyncSession,
    *,
    engagement_id: int | None = None,
    user_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[TimeEntry]:
    """Entries by day (then as recorded), for an export or a statement."""
    stmt = select(TimeEntry).order_by(col(TimeEntry.day), col(TimeEntry.id))
    if engagement_id is not None:
        stmt = stmt.where(TimeEntry.engagement_id == engagement_id)
    if user_id is not None:
        stmt = stmt.where(TimeEntry.user_id == user_id)
    if start is not None:
        stmt = stmt.where(TimeEntry.day >= start)
    if end is not None:
        stmt = stmt.where(TimeEntry.day <= end)
    return list((await session.exec(stmt)).all())
