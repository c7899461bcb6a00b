"""The demo engagement's handed-over work: the accepted guideline with its file and its
Abnahme (the protocol renders when first opened), the delivered prototype with a file, a link
and an open request for its Abnahme whose deadline the timeline shows."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import Contact
from backend.domains.deliverables.artefacts import digest, pinned
from backend.domains.deliverables.models import (
    ArtefactKind,
    Deliverable,
    DeliverableArtefact,
    DeliverableArtefactFile,
    DeliverableStatus,
)
from backend.flows.acceptance.models import (
    AcceptanceMode,
    DeliverableAcceptance,
    DeliverableAcceptanceRequest,
    RequestOutcome,
)
from backend.flows.acceptance.records import record_hash
from backend.kernel.delivery import DeliveryStatus

GUIDELINE = """# KI-Nutzungsrichtlinie der Müller Präzisionstechnik GmbH

1. Datenklassen: öffentlich, intern, vertraulich, personenbezogen.
2. Freigegebene Dienste je Datenklasse; personenbezogene Daten nur in freigegebenen EU-Diensten.
3. Ergebnisse generativer KI werden vor der Weitergabe fachlich geprüft.
4. Neue Werkzeuge gibt die KI-Verantwortliche frei.
"""
MANUAL = "Kurzanleitung Angebotsassistent\n\nAnfrage einfügen, Vorlage wählen, Entwurf prüfen, ins ERP übernehmen.\n"


async def handed_over(session: AsyncSession, deliverables: list[Deliverable], contact: Contact, today: date) -> int:
    """Artefacts and Abnahme rows for the demo's deliverables; returns how many artefacts."""
    made = 0
    for deliverable in deliverables:
        if deliverable.status == DeliverableStatus.accepted:
            files = [await _file(session, deliverable, "KI-Nutzungsrichtlinie.md", GUIDELINE)]
            acceptance = DeliverableAcceptance(
                deliverable_id=deliverable.id,
                engagement_id=deliverable.engagement_id,
                mode=AcceptanceMode.explicit,
                contact_id=contact.id,
                accepted_by=contact.name,
                accepted_at=deliverable.signed_off_at or deliverable.updated_at,
                artefacts=pinned(files),
                artefacts_sha256=digest(files),
                language=contact.language,
                record_sha256="",
            )
            acceptance.record_sha256 = record_hash(deliverable, acceptance)
            session.add(acceptance)
            made += len(files)
        elif deliverable.status == DeliverableStatus.delivered:
            files = [
                await _file(session, deliverable, "Kurzanleitung Angebotsassistent.txt", MANUAL),
                await _link(session, deliverable, "Prototyp (Testumgebung)", "https://assistent.mueller-praezision.de"),
            ]
            asked_on = today - timedelta(days=4)
            session.add(
                DeliverableAcceptanceRequest(
                    deliverable_id=deliverable.id,
                    engagement_id=deliverable.engagement_id,
                    contact_id=contact.id,
                    email=contact.email,
                    language=contact.language,
                    deadline_days=14,
                    deadline=asked_on + timedelta(days=14),
                    requested_at=deliverable.delivered_at or deliverable.updated_at,
                    artefacts_sha256=digest(files),
                    open_key=deliverable.id,
                    outcome=RequestOutcome.open,
                    # Mailed when it was asked for: starting the demo mails nobody.
                    status=DeliveryStatus.sent,
                    sent_at=deliverable.delivered_at,
                )
            )
            made += len(files)
    await session.flush()
    return made


async def _file(session: AsyncSession, deliverable: Deliverable, name: str, text: str) -> DeliverableArtefact:
    content = text.encode()
    content_type = "text/markdown" if name.endswith(".md") else "text/plain"
    row = DeliverableArtefact(
        deliverable_id=deliverable.id,
        kind=ArtefactKind.file,
        name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    session.add(row)
    await session.flush()
    session.add(DeliverableArtefactFile(artefact_id=row.id, content=content))
    return row


async def _link(session: AsyncSession, deliverable: Deliverable, name: str, url: str) -> DeliverableArtefact:
    row = DeliverableArtefact(
        deliverable_id=deliverable.id,
        kind=ArtefactKind.link,
        name=name,
        url=url,
        sha256=hashlib.sha256(url.encode()).hexdigest(),
    )
    session.add(row)
    await session.flush()
    return row
