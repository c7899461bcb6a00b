"""The five levers of AI readiness as the client sees them: the scores of the assessments at the
engagement's start and end (every client contact), and for the AI owner the lever at a glance —
what the data says of each one today, next to its score."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.clients.models import LEVERS, Client, Contact, ReadinessComparison
from backend.domains.clients.service import readiness_comparison
from backend.domains.engagements.models import Engagement
from backend.domains.pilots.models import PilotStage, UseCaseIdea
from backend.domains.pilots.results_read import EngagementResultRead
from backend.domains.pilots.service import PilotEvidence
from backend.flows.literacy.register import register_of
from backend.kernel.i18n import say
from backend.kernel.time import today


@dataclass
class Lever:
    key: str
    start: int | None
    end: int | None
    change: int | None
    fact: str | None = None  # what the data says today (the AI owner's view only)


@dataclass
class Readiness:
    levers: list[Lever]
    start_total: int | None
    end_total: int | None
    change_total: int | None
    at_a_glance: bool = False  # the facts are filled in: the reader is the client's AI owner
    owner: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.start_total is not None or self.at_a_glance


def _levers(comparison: ReadinessComparison) -> list[Lever]:
    start, end, delta = comparison.start, comparison.end, comparison.delta or {}
    return [Lever(lever, getattr(start, lever, None), getattr(end, lever, None), delta.get(lever)) for lever in LEVERS]


async def readiness_of(
    session: AsyncSession,
    engagement: Engagement,
    evidence: list[PilotEvidence],
    results: EngagementResultRead,
    *,
    contact_id: int | None,
    lang: str,
    refresh_months: int,
) -> Readiness:
    comparison = await readiness_comparison(session, engagement.id)
    view = Readiness(
        _levers(comparison),
        comparison.start.total if comparison.start else None,
        comparison.end.total if comparison.end else None,
        (comparison.delta or {}).get("total"),
    )
    # Whoever of the client is an AI owner sees the facts (a client may name more than one).
    owner = (
        await session.exec(
            select(Contact).where(
                Contact.id == contact_id,
                Contact.client_id == engagement.client_id,
                col(Contact.is_ai_owner).is_(True),
            )
        )
    ).first()
    if owner is None:
        return view
    view.at_a_glance, view.owner = True, owner.name
    facts = await _facts(session, engagement, evidence, results, owner, lang, refresh_months)
    for lever in view.levers:
        lever.fact = facts.get(lever.key)
    return view


async def _facts(
    session: AsyncSession,
    engagement: Engagement,
    evidence: list[PilotEvidence],
    results: EngagementResultRead,
    owner: Contact,
    lang: str,
    refresh_months: int,
) -> dict[str, str]:
    def t(key: str, **values: object) -> str:
        return say("page", lang, key, **values)

    ideas = (
        await session.exec(
            select(func.count(), func.count(col(UseCaseIdea.pilot_id))).where(
                UseCaseIdea.engagement_id == engagement.id
            )
        )
    ).one()
    pilots = [e.pilot for e in evidence if e.pilot.stage != PilotStage.stopped]
    live = sum(1 for p in pilots if p.stage == PilotStage.production)
    kpis = [k for r in results.pilots for k in r.kpis]
    measured = sum(1 for k in kpis if k.baseline_value is not None and k.latest_value is not None)
    sure = sum(1 for k in kpis if k.confidence is not None and k.confidence.certainty == "significant")
    client = await session.get(Client, engagement.client_id)
    assert client is not None
    register = await register_of(session, client, as_of=today(), refresh_months=refresh_months)
    return {
        "priorities": t("lever_fact_priorities", ideas=ideas[0], pilots=ideas[1]),
        "responsibility": t("lever_fact_responsibility", name=owner.name),
        "people_enabled": t("lever_fact_people", trained=register.trained, total=register.participants),
        "pilots_in_production": t("lever_fact_pilots", live=live, total=len(pilots)),
        "kpi_practice": t("lever_fact_kpis", measured=measured, total=len(kpis), sure=sure),
    }
