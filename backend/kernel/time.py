"""Time as the consultancy and its clients live it: the Europe/Berlin calendar and ISO weeks.

Every "this week", "today" and week label in the product comes from here, so a status report
asked for early on a Monday and that week's digest name the same week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def today(now: datetime | None = None) -> date:
    """The calendar day in Germany at `now` (default: this moment)."""
    return (now or datetime.now(UTC)).astimezone(BERLIN).date()


def iso_week(day: date) -> str:
    """`2026-W09`: the ISO week a day lies in."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def current_week(now: datetime | None = None) -> str:
    """The ISO week in Germany at `now` (default: this moment)."""
    return iso_week(today(now))


def week_ends_before(week: str, day: date) -> bool:
    """Whether an ISO week (`2026-W48`) is over before a day."""
    return monday_of(week) + timedelta(days=6) < day


def monday_of(week: str) -> date:
    """The Monday of an ISO week written `2026-W09`."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)
