"""Time entries as CSV the way German Excel reads and writes it: `;` between fields, a decimal
comma, dates as 30.11.2026 (kernel/excel_csv.py: BOM, separators, no formulas). Pure: rows in,
text out, and back; the service checks and stores what is read."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from backend.domains.timesheets.models import TimeEntry
from backend.kernel.excel_csv import BOM, as_text, from_text
from backend.kernel.schema import MAX_ID

# Column → the entry's field. Hours, not minutes: what a person types into a sheet.
COLUMNS = (
    "Datum",
    "Berater",
    "Engagement-ID",
    "Stunden",
    "Beschreibung",
    "abrechenbar",
    "Workshop-ID",
    "Pilot-ID",
    "Ergebnis-ID",
    "korrigiert Eintrag",
    "Eintrag",
)
REQUIRED = ("Datum", "Engagement-ID", "Stunden", "Beschreibung")
# The column a refused entry field was read from.
COLUMN_OF = {
    "day": "Datum",
    "user_id": "Berater",
    "engagement_id": "Engagement-ID",
    "minutes": "Stunden",
    "description": "Beschreibung",
    "billable": "abrechenbar",
    "workshop_id": "Workshop-ID",
    "pilot_id": "Pilot-ID",
    "deliverable_id": "Ergebnis-ID",
    "corrects_id": "korrigiert Eintrag",
}
YES, NO = ("ja", "yes", "x", "1", "wahr", "true"), ("nein", "no", "0", "falsch", "false")
MAX_LINES = 2000
THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")  # 1.500 is fifteen hundred to a German reader
# Hours as people type them: digits, a decimal comma (or point), thousands points; no exponent
# (1e999999 would make the conversion take half a minute), no other digits than 0–9.
HOURS = re.compile(r"-?(\d{1,3}(\.\d{3})+|\d{1,7})([.,]\d{1,6})?", re.ASCII)


@dataclass(frozen=True)
class Line:
    number: int  # in the file, the header being line 1
    values: dict[str, Any]  # TimeEntryCreate fields; "user_email" for the consultant


class CsvError(ValueError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} lines could not be read")
        self.errors = errors


def hours_text(minutes: int) -> str:
    return f"{Decimal(minutes) / 60:.2f}".replace(".", ",")


def export(entries: Iterable[TimeEntry], emails: dict[int, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for e in entries:
        writer.writerow(
            (
                e.day.strftime("%d.%m.%Y"),
                as_text(emails.get(e.user_id, "")),
                e.engagement_id,
                hours_text(e.minutes),
                as_text(e.description),
                "ja" if e.billable else "nein",
                e.workshop_id or "",
                e.pilot_id or "",
                e.deliverable_id or "",
                e.corrects_id or "",
                e.id,
            )
        )
    return BOM + out.getvalue()


def _day(text: str) -> date:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is no day of the calendar (written as DD.MM.YYYY)")


def _minutes(text: str) -> int:
    """Hours as typed in Germany ("1,5", "1.234,5"; "1.5" too) to the nearest minute: the export
    writes hours to the hundredth (20 minutes are 0,33), which reads back as the same minutes."""
    if not HOURS.fullmatch(text):
        raise ValueError(f"'{text[:40]}' is not a number of hours (like 1,5)")
    grouped = "," in text or THOUSANDS.fullmatch(text)
    hours = Decimal(text.replace(".", "").replace(",", ".") if grouped else text)  # HOURS: always a number
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))


def _flag(text: str) -> bool:
    low = text.strip().lower()
    if low in YES or not low:  # an empty cell: the default, billable
        return True
    if low in NO:
        return False
    raise ValueError(f"'{text}' is neither ja nor nein")


def _id(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    # ASCII digits only ("١٢" is no id here), and an id a row can have.
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_ID:
        raise ValueError(f"'{text}' is not an id")
    return int(value)


def parse(text: str) -> list[Line]:
    """The file's lines as entry fields; every line that cannot be read is reported (CsvError),
    not just the first."""
    # Old Mac Excel ends lines with CR alone.
    normal = text.removeprefix(BOM).replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(normal), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error as exc:  # a field beyond the reader's limit (128 KiB), a stray quote
        raise _refused(reader.line_num, None, f"the line cannot be read: {exc}") from None
    if not rows:
        raise _refused(1, None, "the file is empty: the first line names the columns")
    spelled = {name.lower(): name for name in COLUMNS}
    header = [spelled.get(name.strip().lower(), name.strip()) for name in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise _refused(
            1, None, f"columns missing: {', '.join(missing)} (the first line names the columns, separated by ;)"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise _refused(1, None, f"columns named twice: {', '.join(twice)}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise _refused(1, None, f"unknown columns: {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    if len(rows) - 1 > MAX_LINES:
        raise _refused(1, None, f"{len(rows) - 1} lines: at most {MAX_LINES} per file")
    lines, errors = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(
                {"line": number, "column": None, "message": f"{len(row)} fields, the header has {len(header)}"}
            )
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        values: dict[str, Any] = {"description": from_text(cells["Beschreibung"])}
        readers = {
            "Datum": ("day", _day),
            "Engagement-ID": ("engagement_id", _id),
            "Stunden": ("minutes", _minutes),
            "abrechenbar": ("billable", _flag),
            "Workshop-ID": ("workshop_id", _id),
            "Pilot-ID": ("pilot_id", _id),
            "Ergebnis-ID": ("deliverable_id", _id),
            "korrigiert Eintrag": ("corrects_id", _id),
            "Eintrag": ("entry_id", _id),  # an export's own id: refused if the entry exists
        }
        for column, (field, read) in readers.items():
            if column not in cells:
                continue
            try:
                values[field] = read(cells[column])
            except ValueError as exc:
                errors.append({"line": number, "column": column, "message": str(exc)})
        if values.get("engagement_id") is None and "Engagement-ID" in cells and cells["Engagement-ID"] == "":
            errors.append({"line": number, "column": "Engagement-ID", "message": "an engagement is required"})
        if cells.get("Berater"):
            values["user_email"] = from_text(cells["Berater"]).lower()
        lines.append(Line(number, values))
    if errors:
        raise CsvError(errors)
    return lines


def _refused(line: int, column: str | None, message: str) -> CsvError:
    return CsvError([{"line": line, "column": column, "message": message}])
