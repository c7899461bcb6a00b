"""Locale-aware text for documents: money, dates, numbers, weeks (Babel), German or English.

Templates print these strings as they are, so every figure a client reads is formatted here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal

from backend.kernel.money import WIDE, round_money
from backend.kernel.time import BERLIN

LOCALES = {"de": "de_DE", "en": "en_GB"}
UNIT_SYMBOLS = {"minutes": "min", "hours": "h", "eur": "€", "count": "", "percent": "%"}


@dataclass(frozen=True)
class Formatter:
    lang: str

    @property
    def locale(self) -> str:
        return LOCALES.get(self.lang, LOCALES["de"])

    def money(self, value: Decimal | None, currency: str = "EUR") -> str | None:
        if value is None:
            return None
        with localcontext(WIDE):  # Babel rounds again, in the current context
            return format_currency(round_money(value), currency, locale=self.locale)

    def number(self, value: Decimal | int | None, places: int = 2, *, trim: bool = False) -> str | None:
        """Fixed decimals (12.345,50) or, with trim, only as many as the value needs (9,5 / 41)."""
        if value is None:
            return None
        if trim:
            value = Decimal(value).normalize()
            return format_decimal(value, format="#,##0.####", locale=self.locale)
        pattern = "#,##0." + "0" * places if places else "#,##0"
        with localcontext(WIDE):
            return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: Decimal | None) -> str | None:
        """A value already in percent (54.44 → 54,44 %)."""
        return None if value is None else f"{self.number(value)} %"

    def signed(self, value: int | Decimal) -> str:
        text = self.number(value, trim=True) or "0"
        return f"+{text}" if value > 0 else text.replace("-", "−")

    def quantity(self, value: Decimal | None, unit: str, places: int | None = None) -> str | None:
        """A measured value with its unit symbol (41 min, 9,5 min, 12,50 €, 87 %); with `places`
        to that many decimals (an interval's bounds: 3,4 min, not 3,4312 min)."""
        if value is None:
            return None
        if unit == "eur":
            return self.money(value)
        symbol = UNIT_SYMBOLS.get(unit, "")
        if places is not None and value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP) == 0:
            value = Decimal(0)  # a small negative shown to `places` is 0, not "-0,0"
        text = self.number(value, places) if places is not None else self.number(value, trim=True)
        return f"{text} {symbol}".strip()

    def hours(self, value: Decimal | None) -> str | None:
        return None if value is None else f"{self.number(value)} h"

    def date(self, value: dt.date | None) -> str | None:
        return (
            None
            if value is None
            else format_date(value, format="dd.MM.yyyy" if self.lang != "en" else "d MMM yyyy", locale=self.locale)
        )

    def day_month(self, value: dt.date) -> str:
        return format_date(value, format="dd.MM." if self.lang != "en" else "d MMM", locale=self.locale)

    def datetime(self, value: dt.datetime) -> str:
        local = value.astimezone(BERLIN)
        return format_datetime(
            local, format="dd.MM.yyyy, HH:mm" if self.lang != "en" else "d MMM yyyy, HH:mm", locale=self.locale
        )

    def time_span(self, start: dt.datetime, end: dt.datetime) -> str:
        """Tue, 03.11.2026, 09:00–13:00 in Berlin time."""
        s, e = start.astimezone(BERLIN), end.astimezone(BERLIN)
        weekday = format_date(s, format="EEE", locale=self.locale).rstrip(".")
        begins, ends = (format_time(t, "HH:mm", locale=self.locale) for t in (s, e))
        return f"{weekday}, {self.date(s.date())}, {begins}–{ends}"

    def iso_week_range(self, monday: dt.date, first: dt.date | None = None, last: dt.date | None = None) -> str:
        """KW 48 · 23.11.–29.11.2026 (CW 48 · 23 Nov – 29 Nov 2026); held to `first` … `last`
        when given (a week a month begins or ends in)."""
        start, end = max(monday, first or monday), min(monday + timedelta(days=6), last or monday + timedelta(days=6))
        week = monday.isocalendar().week
        prefix = "KW" if self.lang != "en" else "CW"
        days = self.date(end) if start == end else f"{self.day_month(start)}–{self.date(end)}"
        return f"{prefix} {week} · {days}"

    def month(self, value: dt.date) -> str:
        """November 2026."""
        return format_date(value, format="LLLL yyyy", locale=self.locale)

    def date_range(self, start: dt.date, end: dt.date) -> str:
        """02.11.2026 – 15.11.2026"""
        return f"{self.date(start)} – {self.date(end)}"

    def period(self, start: dt.date, end: dt.date) -> str:
        """A whole month by its name (November 2026), any other days as a range."""
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        whole_month = start.day == 1 and end == next_month - timedelta(days=1)
        return self.month(start) if whole_month else self.date_range(start, end)
