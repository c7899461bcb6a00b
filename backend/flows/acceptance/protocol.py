"""The Abnahmeprotokoll's data: every sentence and figure formatted for its reader."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from backend.domains.clients.models import Client
from backend.domains.deliverables.models import Deliverable
from backend.domains.engagements.models import Engagement
from backend.flows.acceptance.models import AcceptanceMode, DeliverableAcceptance, DeliverableAcceptanceRequest
from backend.flows.documents.data import brand, say, words
from backend.kernel.config import Settings
from backend.kernel.formatting import Formatter
from backend.kernel.time import BERLIN


def size_label(fmt: Formatter, size: int | None) -> str:
    if size is None:
        return "—"
    if size < 1000 * 1000:
        return f"{fmt.number(Decimal(size) / 1000, 1)} kB"
    return f"{fmt.number(Decimal(size) / 1000 / 1000, 1)} MB"


def protocol_data(
    settings: Settings,
    *,
    acceptance: DeliverableAcceptance,
    deliverable: Deliverable,
    engagement: Engagement,
    client: Client,
    lead: dict[str, str] | None,
    request: DeliverableAcceptanceRequest | None,
    request_contact: str | None,
    recorder: str | None,
    now: datetime,
) -> dict[str, Any]:
    lang = acceptance.language
    fmt, w = Formatter(lang), words(lang)
    when = fmt.datetime(acceptance.accepted_at)
    name = acceptance.accepted_by or say(lang, "protocol_the_client")
    if acceptance.mode == AcceptanceMode.deemed and request is not None:
        statement = say(
            lang,
            "protocol_deemed",
            requested=fmt.date(request.requested_at.astimezone(BERLIN).date()),
            days=request.deadline_days,
            deadline=fmt.date(request.deadline),
            when=when,
        )
    elif acceptance.mode == AcceptanceMode.recorded:
        statement = say(lang, "protocol_recorded", user=recorder or "—", when=when, name=name)
    else:
        statement = say(lang, "protocol_explicit", name=name, when=when)
    asked = (
        say(
            lang,
            "protocol_request",
            requested=fmt.date(request.requested_at.astimezone(BERLIN).date()),
            name=request_contact or say(lang, "protocol_the_client"),
            deadline=fmt.date(request.deadline),
        )
        if request is not None and acceptance.mode != AcceptanceMode.deemed
        else None
    )
    return {
        "lang": lang,
        "brand": brand(settings),
        "document": {
            "kind": "acceptance_protocol",
            "title": say(lang, "acceptance_protocol"),
            "number": f"ABN-{engagement.id:04d}-{deliverable.id:04d}",
            "date": fmt.date(acceptance.accepted_at.astimezone(BERLIN).date()),
            "generated_at": fmt.datetime(now),
        },
        "client": {
            "name": client.name,
            "address_lines": [
                x for x in (client.street, " ".join(filter(None, (client.postal_code, client.city)))) if x
            ],
        },
        "engagement": {"title": engagement.title, "lead": lead},
        "deliverable": {
            "title": deliverable.title,
            "kind": w[deliverable.kind],
            "description": deliverable.description or "",
            "delivered_at": fmt.datetime(deliverable.delivered_at) if deliverable.delivered_at else "—",
        },
        "acceptance": {
            "mode": acceptance.mode,
            "mode_label": say(lang, f"protocol_mode_{acceptance.mode}"),
            "statement": statement,
            "request": asked,
            "by": _by(lang, acceptance, recorder),
            "at": when,
            "reservations": acceptance.reservations or "",
            "consequence": say(lang, "protocol_consequence"),
            "record_sha256": acceptance.record_sha256,
        },
        "artefacts": [
            {
                "name": a["name"],
                "url": a.get("url") or "",
                "kind": say(lang, f"protocol_{a['kind']}"),
                "size": size_label(fmt, a.get("size")) if a["kind"] == "file" else "—",
                "sha256": a["sha256"],
            }
            for a in acceptance.artefacts
        ],
    }


def _by(lang: str, acceptance: DeliverableAcceptance, recorder: str | None) -> str:
    """Who accepted, as the protocol's header names them."""
    if acceptance.mode == AcceptanceMode.deemed:
        return say(lang, "protocol_nobody")
    if acceptance.mode == AcceptanceMode.recorded:
        who = acceptance.accepted_by or say(lang, "protocol_the_client")
        return say(lang, "protocol_recorded_by", name=who, user=recorder or "—")
    return acceptance.accepted_by or say(lang, "protocol_the_client")
