"""Pages of a list: by offset or by cursor, with the total only when asked for.

An offset page costs more the deeper it lies: the database walks every row it skips. A cursor
page costs the same at any depth: the cursor names the last row of the page before (its sort
value and id) and the next page starts right after it, on an index. Counting every matching
row is a scan at large sizes, so `total` is counted only when asked for (`total=true`), or
given for free when the page shows it (a short first-or-later offset page is the last one).

A cursor is opaque to clients: base64url of `[sort, value, id]`. It is a position, not a
permission: whoever sends one gets only rows the list would show them anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from litestar.params import QueryParameter
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from backend.kernel.errors import Invalid
from backend.kernel.schema import MAX_ID

T = TypeVar("T")
# Long enough for any sort value the lists have (a title of 200 characters, base64-encoded).
MAX_CURSOR = 1024


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int | None = Field(
        description="All matching rows: counted when asked for (total=true), else given only when "
        "this page shows it (a short offset page is the last), otherwise null"
    )
    limit: int
    offset: int | None = Field(description="Rows skipped before this page; null on a cursor page")
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the page after this one; null on the last page"
    )


@dataclass(frozen=True)
class Cursor:
    sort: str
    value: Any  # as JSON carries it; the list parses it with the sort field's type
    row_id: int


@dataclass(frozen=True)
class Paging:
    limit: int = 20
    offset: int = 0
    cursor: Cursor | None = None
    count: bool = False


def encode_cursor(sort: str, value: Any, row_id: int) -> str:
    raw = json.dumps([sort, to_jsonable_python(value), row_id], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def not_a_cursor() -> Invalid:
    return Invalid.field("query.cursor", "not a cursor this API gave out (take next_cursor of a page)")


def decode_cursor(token: str) -> Cursor:
    try:
        sort, value, row_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise not_a_cursor() from None
    shapely = isinstance(sort, str) and type(row_id) is int and 1 <= row_id <= MAX_ID
    if not shapely or isinstance(value, bool) or not (value is None or isinstance(value, (str, int, float))):
        raise not_a_cursor()
    return Cursor(sort, value, row_id)


def storable(value: Any) -> bool:
    """A sort value, parsed to its column's type, that the databases take as a parameter:
    integers within 32 bits, text in UTF-8 without NUL, times with their zone and within the
    calendar once turned to UTC."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return False
        return "\x00" not in value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return False
        try:
            value.astimezone(UTC)
        except OverflowError:
            return False
    return True


Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size (at most 100)")]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_ID, description="Rows to skip (leave out with a cursor)")]
CursorParam = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=MAX_CURSOR,
        description="Where the page starts: next_cursor of the page before, same sort (any depth, same cost)",
    ),
]
WantTotal = Annotated[bool, QueryParameter(description="Also count all matching rows (a scan on large lists)")]


async def paging(limit: Limit = 20, offset: Offset = 0, cursor: CursorParam = None, total: WantTotal = False) -> Paging:
    """The paging parameters every list takes (a dependency, so each list documents them alike)."""
    if cursor is not None and offset:
        raise Invalid.field("query.offset", "give either a cursor or an offset, not both")
    return Paging(limit, offset, decode_cursor(cursor) if cursor is not None else None, total)
