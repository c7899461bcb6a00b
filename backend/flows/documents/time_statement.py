"""The Leistungsnachweis: the billable time of a period, by week and activity, in hours and days.

It states what the client is asked to approve, so it carries no internal cost or margin; the
entries it holds (each at the version stated) ride along for the approval to lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.timesheets.models import TimeEntry
from backend.domains.timesheets.statements import Activity, StatedEntry, to_state
from backend.flows.documents.data import Context, common, document_number, say, words
from backend.flows.documents.models import Document, DocumentKind, Period
from backend.kernel.time import today as berlin_today

_CENT = Decimal("0.01")
_LONG_WORD = re.compile(r"\S{26,}")


def breakable(text: str) -> str:
    """A word longer than a column (a pasted path, an id, a long compound or name) may break
    after every 20 characters instead of running over the figures beside it; other text is
    left as it is (a zero-width space is invisible, but found by no search)."""
    return _LONG_WORD.sub(lambda m: "\u200b".join(m[0][i : i + 20] for i in range(0, len(m[0]), 20)), text)


def _hours(ctx: Context, minutes: int) -> str | None:
    return ctx.fmt.number((Decimal(minutes) / 60).quantize(_CENT, ROUND_HALF_UP))


def _amounts(ctx: Context, minutes: int) -> dict[str, str | None]:
    """A total in hours and in days; days from the total's minutes, never a sum of rounded days."""
    days = (Decimal(minutes) / 60 / ctx.engagement.hours_per_day).quantize(_CENT, ROUND_HALF_UP)
    return {"hours": _hours(ctx, minutes), "days": ctx.fmt.number(days)}


def _activity_label(ctx: Context, activity: Activity) -> str:
    if activity.kind is None:
        return say(ctx.lang, "activity_general")
    return breakable(f"{words(ctx.lang)[activity.kind]} · {activity.title or '—'}")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weeks(
    ctx: Context, period: Period, stated: list[StatedEntry], approved_in: dict[int, str]
) -> tuple[list[dict[str, Any]], list[TimeEntry]]:
    """Weeks in order, each with its activities in the order they first appear; positions
    count the lines as printed. Also the entries in the order of their positions."""
    grouped: dict[date, dict[Activity, list[StatedEntry]]] = {}
    for item in stated:
        grouped.setdefault(_monday(item.entry.day), {}).setdefault(item.activity, []).append(item)
    weeks: list[dict[str, Any]] = []
    printed: list[TimeEntry] = []
    for monday in sorted(grouped):
        activities = []
        for activity, items in grouped[monday].items():
            lines = []
            for item in items:
                printed.append(item.entry)
                lines.append(_line(ctx, len(printed), item, approved_in))
            activities.append({"label": _activity_label(ctx, activity), "lines": lines, **_total(ctx, items)})
        weeks.append(
            {
                "label": ctx.fmt.iso_week_range(monday, period.start, period.end),
                "activities": activities,
                **_total(ctx, (i for items in grouped[monday].values() for i in items)),
            }
        )
    return weeks, printed


def _line(ctx: Context, position: int, item: StatedEntry, approved_in: dict[int, str]) -> dict[str, Any]:
    entry = item.entry
    return {
        "pos": position,
        "date": ctx.fmt.date(entry.day),
        "consultant": breakable(item.consultant),
        "description": breakable(entry.description),
        # A correction states the difference to time approved earlier (negative to take some off),
        # and the statement that approved it.
        "correction": entry.corrects_id is not None,
        "corrects": approved_in.get(entry.corrects_id) if entry.corrects_id else None,
        "hours": _hours(ctx, entry.minutes),
    }


def _total(ctx: Context, items: Iterable[StatedEntry]) -> dict[str, str | None]:
    return _amounts(ctx, sum(i.entry.minutes for i in items))


def _by_consultant(ctx: Context, stated: list[StatedEntry]) -> list[dict[str, Any]]:
    people: dict[int, list[StatedEntry]] = {}  # by person: two of the same name stay two
    for item in stated:
        people.setdefault(item.entry.user_id, []).append(item)
    rows = [{"name": breakable(items[0].consultant), **_total(ctx, items)} for items in people.values()]
    return sorted(rows, key=lambda row: row["name"])


async def time_statement(
    session: AsyncSession, ctx: Context, *, number: int, now: datetime, period: Period
) -> dict[str, Any]:
    e, fmt = ctx.engagement, ctx.fmt
    stated = await to_state(session, e.id, period.start, period.end)
    approved_in = await _statements_corrected(
        session, e.id, [i.entry.corrects_id for i in stated if i.entry.corrects_id]
    )
    weeks, printed = _weeks(ctx, period, stated, approved_in)
    data = common(ctx, DocumentKind.time_statement, number, berlin_today(now), now, suffix=f"-{period.suffix}")
    for part, key in (
        (data["engagement"], "title"),
        (data["client"], "name"),
        (data["engagement"]["lead"] or {}, "name"),
    ):
        if key in part:
            part[key] = breakable(part[key])
    data["statement"] = {
        "period": fmt.period(period.start, period.end),
        "range": fmt.date_range(period.start, period.end),
        "hours_per_day": fmt.number(e.hours_per_day, trim=True),
        "weeks": weeks,
        "total": _total(ctx, stated),
        "minutes": sum(i.entry.minutes for i in stated),
        "consultants": _by_consultant(ctx, stated),
        "lines": len(stated),
        # In the order of the positions: what an approval locks, at the version stated.
        "entries": [{"id": entry.id, "version": entry.version} for entry in printed],
    }
    return data


async def _statements_corrected(session: AsyncSession, engagement_id: int, originals: list[int]) -> dict[int, str]:
    """The number of the statement each corrected entry was approved in, by entry."""
    if not originals:
        return {}
    approved = (
        await session.exec(
            select(TimeEntry.id, Document.number, col(Document.period_start), col(Document.period_end))
            .join(Document, col(Document.id) == TimeEntry.statement_id)
            .where(col(TimeEntry.id).in_(originals))
        )
    ).all()
    return {
        entry_id: document_number(DocumentKind.time_statement, engagement_id, number, f"-{Period(start, end).suffix}")
        for entry_id, number, start, end in approved
        if start is not None and end is not None
    }


def held_entries(data: dict[str, Any]) -> list[tuple[int, int]]:
    """The (entry id, version) pairs a statement version holds, position 1 first."""
    return [(int(e["id"]), int(e["version"])) for e in data.get("statement", {}).get("entries", [])]


def stated_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line of a statement version in position order, with the entry it states."""
    lines = [
        line
        for week in data.get("statement", {}).get("weeks", [])
        for activity in week["activities"]
        for line in ({**line, "activity": activity["label"]} for line in activity["lines"])
    ]
    return [{**line, "entry_id": entry_id} for line, (entry_id, _) in zip(lines, held_entries(data), strict=True)]
