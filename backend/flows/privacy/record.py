"""The consultancy's record of processing activities (Verzeichnis von Verarbeitungstätigkeiten,
Art. 30 GDPR): what it processes as controller (Art. 30 (1)) — each activity with purpose, legal
basis, people, data, recipients and the retention the product applies — and what it processes
on its clients' behalf in their pilots (Art. 30 (2)), with the sub-processors and transfers
recorded there; the technical and organisational measures as the AVV's annex states them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Client
from backend.domains.engagements.models import Engagement
from backend.domains.pilots.models import Pilot, SubProcessor
from backend.flows.documents.data import brand
from backend.flows.documents.dpa import clauses
from backend.flows.documents.legal import LegalKind, legal_text
from backend.flows.documents.render import shared_pool
from backend.flows.documents.sub_processors import processor_rows
from backend.flows.portal.models import DpaAcceptance, DpaAcceptanceRead
from backend.flows.portal.shown import as_shown
from backend.kernel.config import Settings
from backend.kernel.formatting import Formatter
from backend.kernel.i18n import say, words


def _activities(settings: Settings, lang: str) -> list[dict[str, Any]]:
    """The product's own processing, by the word catalog's [privacy_record] entries; the
    retention named is the one the nightly job applies with these settings."""
    w = words("privacy_record", lang)
    periods = {
        "links": settings.retention_sign_in_link_days,
        "digests": settings.retention_digest_delivery_days,
        "audit": settings.retention_audit_detail_years,
        "proposals": settings.retention_proposal_years,
        "invoices": settings.retention_invoice_years,
        "requests": settings.retention_privacy_request_years,
    }
    found = []
    for key in ("clients", "portal", "workshops", "reporting", "invoicing", "team", "audit", "requests"):
        entry = w["activities"][key]
        found.append(
            {
                "key": key,
                "name": entry["name"],
                "purpose": entry["purpose"],
                "basis": entry["basis"],
                "subjects": entry["subjects"],
                "data": entry["data"],
                "recipients": entry["recipients"],
                "retention": entry["retention"].format(**periods),
            }
        )
    return found


# The activities a client's people are subjects of (the team's own employment data is not theirs).
_CLIENT_FACING = ("clients", "portal", "workshops", "reporting", "invoicing", "audit", "requests")


def controller(settings: Settings) -> dict[str, Any]:
    return {
        "name": settings.brand_name,
        "address_lines": [settings.brand_street, f"{settings.brand_postal_code} {settings.brand_city}"],
        "managing_director": settings.brand_managing_director,
        "contact": settings.brand_email,
        "dpo": (
            {"name": settings.dpo_name, "email": settings.dpo_email or settings.brand_email}
            if settings.dpo_name
            else None
        ),
    }


def notice(settings: Settings, lang: str) -> dict[str, Any]:
    """The privacy notice for clients' people (Art. 13 GDPR): who is responsible, what is
    processed why and on which basis, for how long — from the same entries as the record."""
    return {
        "controller": controller(settings),
        "activities": [a for a in _activities(settings, lang) if a["key"] in _CLIENT_FACING],
    }


async def _on_behalf(session: AsyncSession, lang: str, fmt: Formatter) -> list[dict[str, Any]]:
    """Per client: the pilots that process personal data for it, their providers, and the AVV."""
    stmt = (
        select(Client, Engagement, Pilot)
        .join(Engagement, col(Engagement.client_id) == col(Client.id))
        .join(Pilot, col(Pilot.engagement_id) == col(Engagement.id))
        .where(col(Pilot.processes_personal_data))
        .order_by(col(Client.name), col(Engagement.id), col(Pilot.id))
    )
    rows = (await session.exec(stmt)).all()
    pilot_ids = [pilot.id for _, _, pilot in rows]
    providers: dict[int, list[SubProcessor]] = defaultdict(list)
    if pilot_ids:
        found = await session.exec(select(SubProcessor).where(col(SubProcessor.pilot_id).in_(pilot_ids)))
        for row in found.all():
            providers[row.pilot_id].append(row)
    engagement_ids = list({engagement.id for _, engagement, _ in rows})
    accepted: dict[int, DpaAcceptanceRead] = {}
    if engagement_ids:
        found_acceptances = await session.exec(
            select(DpaAcceptance)
            .where(col(DpaAcceptance.engagement_id).in_(engagement_ids))
            .order_by(col(DpaAcceptance.id))
        )
        shown = await as_shown(session, list(found_acceptances.all()), DpaAcceptanceRead)
        accepted = {a.engagement_id: a for a in shown}  # the latest per engagement
    by_client: dict[int, dict[str, Any]] = {}
    for client, engagement, pilot in rows:
        entry = by_client.setdefault(client.id, {"client": client.name, "engagements": {}})
        part = entry["engagements"].setdefault(
            engagement.id,
            {
                "title": engagement.title,
                "dpa": _dpa_state(accepted.get(engagement.id), lang, fmt),
                "pilots": [],
                "processors": [],
            },
        )
        part["pilots"].append(pilot.title)
        part["processors"] += processor_rows([(pilot, p) for p in providers[pilot.id]], lang, fmt)
        acceptance = accepted.get(engagement.id)
        changed = [p.updated_at for p in providers[pilot.id]]
        if acceptance is not None and changed and max(changed) > acceptance.accepted_at:
            # A provider named or changed since: the accepted version no longer says it all.
            part["dpa"] = say("privacy_record", lang, "dpa_outdated", state=part["dpa"])
    return [{**c, "engagements": list(c["engagements"].values())} for c in by_client.values()]


def _dpa_state(acceptance: DpaAcceptanceRead | None, lang: str, fmt: Formatter) -> str:
    if acceptance is None:
        return say("privacy_record", lang, "dpa_open")
    return say(
        "privacy_record",
        lang,
        "dpa_accepted",
        n=acceptance.document_number,
        name=acceptance.typed_name,
        date=fmt.date(acceptance.accepted_at.date()),
    )


async def processing_record(session: AsyncSession, settings: Settings, lang: str, now: datetime) -> dict[str, Any]:
    fmt = Formatter(lang)
    measures = legal_text(LegalKind.toms, lang, settings.legal_dir)
    labels = {k: v for k, v in words("privacy_record", lang).items() if isinstance(v, str)}
    return {
        "lang": lang,
        "labels": labels,
        "brand": brand(settings),
        "controller": controller(settings),
        "activities": _activities(settings, lang),
        "on_behalf": await _on_behalf(session, lang, fmt),
        "measures": clauses(measures),
        "measures_version": say(
            "privacy_record", lang, "measures_version", version=measures.version, sha=measures.sha256
        ),
        "generated": say("privacy_record", lang, "generated", when=fmt.datetime(now)),
    }


async def processing_record_pdf(data: dict[str, Any]) -> bytes:
    """The record as PDF/A, to file with the consultancy's documentation."""
    return await shared_pool().render("processing_record", data, archival=True)
