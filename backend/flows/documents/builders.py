"""Which builder writes a document kind's data, and what a version says whatever its language."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.flows.documents.data import load_context, proposal, result_report, status_report
from backend.flows.documents.dpa import dpa
from backend.flows.documents.models import DocumentKind, Period
from backend.flows.documents.time_statement import time_statement
from backend.kernel.config import Settings

BUILDERS: dict[DocumentKind, Callable[..., Awaitable[dict[str, Any]]]] = {
    DocumentKind.proposal: proposal,
    DocumentKind.result_report: result_report,
    DocumentKind.status_report: status_report,
    DocumentKind.time_statement: time_statement,
    DocumentKind.dpa: dpa,
}


async def build(
    session: AsyncSession,
    *,
    engagement_id: int,
    kind: DocumentKind,
    lang: str,
    number: int,
    settings: Settings,
    iso_week: str | None = None,
    period: Period | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    ctx = await load_context(session, engagement_id, lang, settings)
    now = now or datetime.now(UTC)
    extra: dict[str, Any] = {}
    if kind == DocumentKind.status_report:
        extra["iso_week"] = iso_week
    elif kind == DocumentKind.time_statement:
        extra["period"] = period
    return await BUILDERS[kind](session, ctx, number=number, now=now, **extra)


async def fingerprint(
    session: AsyncSession,
    data: dict[str, Any] | None,
    *,
    engagement_id: int,
    kind: DocumentKind,
    settings: Settings,
    now: datetime,
    iso_week: str | None = None,
    period: Period | None = None,
) -> str:
    """What a version says, whatever its language: two versions with the same fingerprint say the
    same in two languages, so the later does not replace the earlier for the readers of the other.
    Taken from the version's data in one fixed language (built now if the version is in another,
    or not given), leaving out what surrounds the content (see _AROUND_IT)."""
    if data is None or data["lang"] != FINGERPRINT_LANG:
        data = await build(
            session,
            engagement_id=engagement_id,
            kind=kind,
            lang=FINGERPRINT_LANG,
            number=1,
            settings=settings,
            now=now,
            iso_week=iso_week,
            period=period,
        )
    said = {
        key: {k: v for k, v in value.items() if k not in _AROUND_IT} if isinstance(value, dict) else value
        for key, value in data.items()
        if key not in _AROUND_IT
    }
    return hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()


FINGERPRINT_LANG = "de"
# What names the version or surrounds what it says, not what it says: its number and dates,
# the letterhead, whom it is addressed to and who signs. A new contact or lead, or a moved
# client, leaves an offer what it was.
_AROUND_IT = frozenset({"document", "lang", "brand", "client", "lead", "signatory", "valid_until", "legal_url"})
