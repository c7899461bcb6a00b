"""The register in the reader's formats: a CSV sheet for Excel and a PDF/A for the file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Actor
from backend.domains.clients.models import Client, Contact
from backend.domains.clients.resources import client_service
from backend.flows.documents.data import brand
from backend.flows.documents.render import shared_pool
from backend.flows.literacy.certificates import duration_words
from backend.flows.literacy.register import Due, Register, SessionRow, register_of
from backend.kernel import i18n
from backend.kernel.config import Settings
from backend.kernel.db import utcnow
from backend.kernel.enums import Role
from backend.kernel.errors import Forbidden
from backend.kernel.excel_csv import table
from backend.kernel.formatting import Formatter
from backend.kernel.glyphs import printable

CSV_COLUMNS = {
    "de": (
        "Art", "Name", "Abteilung", "Rollengruppe", "Schulung / Richtlinie", "Datum", "Minuten", "Teilnahme",
        "Inhalte", "Unterlagen", "Trainer/in", "KI-System", "Bescheinigung / Prüfsumme",
    ),
    "en": (
        "Kind", "Name", "Department", "Role group", "Training / guideline", "Date", "Minutes", "Attendance",
        "Content", "Materials", "Trainer", "AI system", "Certificate / checksum",
    ),
}  # fmt: skip


def _words(lang: str) -> dict[str, Any]:
    return dict(i18n.words("literacy", lang))


def _topics(lang: str, row: SessionRow) -> str:
    names = _words(lang)["topics"]
    return ", ".join(names[t] for t in row.topics)


def register_csv(register: Register, lang: str) -> str:
    """One line per training attended and per guideline acknowledged, people in name order."""
    fmt, r = Formatter(lang), _words(lang)["register"]
    lines: list[list[object]] = [
        [
            r["records"], s.name, s.department, s.role_group, s.workshop, fmt.date(s.date), s.minutes,
            r[s.status].split(",")[0], _topics(lang, s), s.materials_version, s.trainer, s.ai_system, s.certificate,
        ]
        for s in register.sessions
    ]  # fmt: skip
    lines += [
        [r["acknowledgements"], a.name, None, None, a.guideline, fmt.date(a.acknowledged_on), None, None, None,
         f"{r['version']} {a.version}", None, None, a.digest]
        for a in register.acknowledgements
    ]  # fmt: skip
    return table(CSV_COLUMNS[lang], lines)


def _percent(fmt: Formatter, share: Decimal | None) -> str:
    return "—" if share is None else f"{fmt.number(share * 100, 0)} %"


def page_words(register: Register, lang: str) -> dict[str, Any]:
    """What a page showing the register needs besides it: shares as percentages and each due
    person's reason, in the reader's words (the PDF's)."""
    fmt = Formatter(lang)
    return {
        "pct": lambda share: _percent(fmt, share),
        "reasons": [reason_words(fmt, lang, d) for d in register.due],
    }


def reason_words(fmt: Formatter, lang: str, due: Due) -> str:
    """Why a person is due, in a sentence's words."""
    r = _words(lang)["register"]
    since = fmt.date(due.since) if due.since else None
    if due.reason == "tool_training":
        return r["tool_training_since" if since else "tool_training"].format(system=due.ai_system, since=since)
    if due.reason == "refresher":
        return r["refresher"].format(since=since)
    return r["never_trained"]


def register_data(
    settings: Settings, register: Register, lang: str, *, client_address: list[str], now: datetime
) -> dict[str, Any]:
    fmt, w = Formatter(lang), _words(lang)
    r = w["register"]

    def attendance(s: SessionRow) -> str:
        return r[s.status].format(duration=duration_words(fmt, lang, s.minutes))

    return {
        "lang": lang,
        "brand": brand(settings),
        "labels": r,
        "document": {
            "title": r["title"],
            "number": f"KR-{register.client_id:04d}-{register.as_of.strftime('%Y%m%d')}",
            "date": fmt.date(register.as_of),
            "generated_at": fmt.datetime(now),
        },
        "client": {"name": register.client, "address_lines": client_address},
        "summary": {
            "participants": str(register.participants),
            "trained": str(register.trained),
            "trained_share": _percent(fmt, register.trained_share),
            "refresh_months": str(register.refresh_months),
            "due": str(len({d.participant_id for d in register.due})),
        },
        "coverage": [
            {
                "system": c.system,
                "provider": c.provider,
                "users": str(c.users),
                "trained": str(c.trained),
                "share": _percent(fmt, c.share),
                "production_since": fmt.date(c.production_since) if c.production_since else None,
                "due": c.due,
            }
            for c in register.coverage
        ],
        "due": [
            {"name": d.name, "department": d.department, "reason": reason_words(fmt, lang, d)} for d in register.due
        ],
        "rows": [
            {
                "name": s.name,
                "department": s.department,
                "workshop": s.workshop,
                "date": fmt.date(s.date),
                "duration": duration_words(fmt, lang, s.minutes),
                "attendance": attendance(s),
                "topics": _topics(lang, s),
                "materials_version": s.materials_version,
                "trainer": s.trainer,
                "certificate": s.certificate,
            }
            for s in register.sessions
        ],
        "acknowledgements": [
            {
                "name": a.name,
                "guideline": a.guideline,
                "version": str(a.version),
                "digest": a.digest[:12],
                "date": fmt.date(a.acknowledged_on),
            }
            for a in register.acknowledgements
        ],
        "note": r["note"].format(client=register.client),
    }


async def register_for(
    session: AsyncSession, settings: Settings, user: Actor, client_id: int, *, as_of: date
) -> tuple[Client, Register]:
    """The register of a client the user may see: the team any; of the client's users only its
    AI owner, since the register names the staff and their gaps."""
    client = await client_service.get(session, user, client_id)
    if user is not None and user.role == Role.client:
        contact = await session.get(Contact, user.contact_id) if user.contact_id else None
        if contact is None or not contact.is_ai_owner or contact.client_id != client.id:
            raise Forbidden("only the client's AI owner sees the AI-literacy register", key="literacy_owner_only")
    found = await register_of(session, client, as_of=as_of, refresh_months=settings.literacy_refresh_months)
    return client, found


async def register_pdf(settings: Settings, client: Client, register: Register, lang: str) -> bytes:
    address = [line for line in (client.street, " ".join(filter(None, (client.postal_code, client.city)))) if line]
    # Names stored before they were checked may hold what the fonts cannot draw.
    data = printable(register_data(settings, register, lang, client_address=address, now=utcnow()))
    return await shared_pool().render("literacy_register", data, archival=True)  # type: ignore[arg-type]
