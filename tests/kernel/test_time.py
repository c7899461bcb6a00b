"""One calendar for the product: Germany's (Europe/Berlin), in ISO weeks."""

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.kernel.time import current_week, iso_week, monday_of, today


def test_early_monday_in_germany_is_already_the_new_week() -> None:
    # Sunday 23:30 UTC is Monday 00:30 in Berlin (winter time): a status report asked for then
    # and that week's digest both belong to the Monday's week.
    sunday_night_utc = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert today(sunday_night_utc) == date(2026, 11, 30)
    assert current_week(sunday_night_utc) == "2026-W49"
    # In summer, Berlin is two hours ahead.
    assert current_week(datetime(2026, 6, 28, 22, 30, tzinfo=UTC)) == "2026-W27"
    assert current_week(datetime(2026, 6, 28, 21, 30, tzinfo=UTC)) == "2026-W26"


@pytest.mark.parametrize(
    ("day", "week"),
    [(date(2026, 1, 1), "2026-W01"), (date(2027, 1, 1), "2026-W53"), (date(2024, 12, 30), "2025-W01")],
)
def test_iso_weeks_across_year_ends(day: date, week: str) -> None:
    assert iso_week(day) == week
    assert monday_of(week) <= day < monday_of(week) + timedelta(days=7)


def test_a_week_a_year_does_not_have_is_refused() -> None:
    with pytest.raises(ValueError):
        monday_of("2025-W53")
