"""The data processing agreement (Auftragsverarbeitungsvertrag, Art. 28 GDPR) of an engagement:
the parties, what its pilots process and why, the data and the people concerned, the
sub-processors with hosting and transfer mechanism, the agreement's clauses and, as its annex,
the technical and organisational measures (Art. 32) — each text by version and SHA-256."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.pilots.models import Pilot
from backend.flows.documents.data import Context, addressee, common, say, signer, words
from backend.flows.documents.legal import LegalKind, LegalText, legal_text
from backend.flows.documents.models import DocumentKind
from backend.flows.documents.sub_processors import processor_rows, processors_of
from backend.kernel.db import select_all
from backend.kernel.errors import Conflict
from backend.kernel.time import today as berlin_today


async def refuse_nothing_to_agree(session: AsyncSession, engagement_id: int) -> None:
    """An AVV is drawn up only for an engagement whose pilots process personal data."""
    stmt = select(func.count()).where(Pilot.engagement_id == engagement_id, col(Pilot.processes_personal_data))
    if not (await session.exec(stmt)).one():
        raise Conflict(
            "No pilot of this engagement processes personal data: there is no data processing agreement to draw up. "
            "Mark the pilot (or name a provider that receives personal data) first.",
            key="refused_no_personal_data",
        )


def clauses(text: LegalText) -> list[dict[str, str]]:
    """A contract text's sections: a heading line, then its paragraphs, blocks apart by a blank line."""
    found = []
    for block in text.text.split("\n\n"):
        heading, _, body = block.strip().partition("\n")
        if heading:
            found.append({"heading": heading.strip(), "text": body.strip()})
    return found


async def dpa(session: AsyncSession, ctx: Context, *, number: int, now: datetime) -> dict[str, Any]:
    e, fmt, lang = ctx.engagement, ctx.fmt, ctx.lang
    w = words(lang)
    pilots = await select_all(
        session, Pilot, Pilot.engagement_id == e.id, col(Pilot.processes_personal_data), order_by=Pilot.id
    )
    pairs = await processors_of(session, e.id)
    categories = list(dict.fromkeys(c for _, row in pairs if row.personal_data for c in row.data_categories))
    agreement = legal_text(LegalKind.avv, lang, ctx.settings.legal_dir)
    measures = legal_text(LegalKind.toms, lang, ctx.settings.legal_dir)
    data = common(ctx, DocumentKind.dpa, number, berlin_today(now), now)
    data["dpa"] = {
        "duration": say(lang, "dpa_duration", start=fmt.date(e.start_date), weeks=e.duration_weeks),
        "purposes": [{"title": p.title, "area": w[p.process_area], "hypothesis": p.hypothesis} for p in pilots],
        "categories": categories,
        "processors": processor_rows(pairs, lang, fmt),
        "clauses": clauses(agreement),
        "measures": clauses(measures),
        "agreements": [agreement.reference(), measures.reference()],
        "signatory": signer(addressee(ctx.contacts)),
    }
    return data
