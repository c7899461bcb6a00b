"""CSV the way German Excel reads and writes it: `;` between fields, CRLF, UTF-8 with a byte
order mark (without it Excel reads umlauts as Latin-1), and no cell Excel would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
# A cell Excel would run as a formula (=HYPERLINK(…), +cmd, -2+3, @SUM): written with a leading
# apostrophe, which Excel shows as text and drops (OWASP's "CSV injection"); read back without it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: str) -> str:
    # Leading spaces too: Excel skips them before a formula.
    return "'" + value if value.lstrip(" ").startswith(FORMULA_START) else value


def from_text(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].lstrip(" ").startswith(FORMULA_START) else value


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A sheet: the header, then each row; text cells guarded against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([as_text(cell) if isinstance(cell, str) else ("" if cell is None else cell) for cell in row])
    return BOM + out.getvalue()
