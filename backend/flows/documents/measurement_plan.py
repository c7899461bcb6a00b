"""The Messkonzept of an engagement: what each pilot's KPIs measure, how (anonymous timing
rounds, the threshold of people, what is stored and deleted), how the figures are evaluated,
and that no one's individual performance is recorded — the paper a works council reads before
it agrees (§ 87 (1) no. 6 BetrVG). Drawn on demand from the current data, as PDF/A."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.engagements.service import with_lead
from backend.domains.pilots.confidence import LEVEL
from backend.domains.pilots.models import Kpi, Pilot, PilotStage
from backend.domains.pilots.service import kpis_of, pilots_of
from backend.domains.pilots.timing import rounds_of
from backend.domains.pilots.timing_models import LEAST_MIN_CONTRIBUTORS, SECONDS_PER, TimingRound
from backend.flows.documents.data import brand
from backend.flows.documents.render import shared_pool
from backend.kernel.config import Settings
from backend.kernel.formatting import Formatter
from backend.kernel.glyphs import printable
from backend.kernel.i18n import say, words

SECTION = "measurement_plan"
MOST_PILOTS = 50


def _say(lang: str, key: str, **values: object) -> str:
    return say(SECTION, lang, key, **values)


def _round(row: TimingRound, lang: str, fmt: Formatter) -> dict[str, Any]:
    return {
        "purpose": _say(lang, f"purpose_{row.purpose}"),
        "task": row.task,
        "period": fmt.date_range(row.created_at.date(), row.closes_on),
        "k": row.min_contributors,
        "people": _say(lang, "round_people", k=row.min_contributors),
        # An open round says no count: the plan goes to the client, who could watch it move.
        "status": _say(lang, f"status_{row.status}", date=fmt.date(row.closes_on)),
    }


def _kpi(kpi: Kpi, rounds: list[TimingRound], lang: str, fmt: Formatter) -> dict[str, Any]:
    unit = str(kpi.unit)
    baseline = None
    if kpi.baseline_value is not None:
        parts = [fmt.quantity(kpi.baseline_value, unit) or ""]
        if kpi.baseline_std_dev is not None:
            parts.append(f"± {fmt.quantity(kpi.baseline_std_dev, unit)}")
        if kpi.baseline_sample_size:
            parts.append(_say(lang, "cases", n=kpi.baseline_sample_size))
        baseline = " ".join(parts)
    return {
        "name": kpi.name,
        "unit": _say(lang, f"unit_{unit}"),
        "direction": say("document", lang, str(kpi.direction)),
        "baseline": baseline,
        "baseline_method": kpi.baseline_method,
        "target": fmt.quantity(kpi.target_value, unit) if kpi.target_value is not None else None,
        "volume": fmt.number(kpi.monthly_volume, trim=True) if kpi.monthly_volume is not None else None,
        "how": _say(lang, "how_stopwatch" if kpi.unit in SECONDS_PER else "how_records"),
        "rounds": [_round(r, lang, fmt) for r in rounds],
    }


async def _pilots(session: AsyncSession, engagement_id: int, lang: str, fmt: Formatter) -> list[dict[str, Any]]:
    shown: list[Pilot] = [
        p for p in await pilots_of(session, engagement_id, limit=MOST_PILOTS) if p.stage != PilotStage.stopped
    ]
    found = []
    for pilot in shown:
        kpis, _ = await kpis_of(session, pilot.id)
        rounds = await rounds_of(session, [k.id for k in kpis], ended=20)
        found.append(
            {
                "title": pilot.title,
                "hypothesis": pilot.hypothesis,
                "kpis": [_kpi(k, list(reversed(rounds[k.id])), lang, fmt) for k in kpis],
            }
        )
    return found


async def measurement_plan(
    session: AsyncSession, settings: Settings, engagement_id: int, lang: str, now: datetime
) -> dict[str, Any]:
    """The plan's data in `lang` (every word arrives with it)."""
    fmt = Formatter(lang)
    found = await with_lead(session, engagement_id)
    assert found is not None  # the caller read the engagement within the user's scope
    engagement, client, lead = found
    pilots = await _pilots(session, engagement_id, lang, fmt)
    catalog = words(SECTION, lang)
    labels = {k: v for k, v in catalog.items() if isinstance(v, str)}
    return {
        "lang": lang,
        "labels": labels,
        "brand": brand(settings),
        "engagement": engagement.title,
        "client": client.name,
        "lead": lead,
        "pilots": pilots,
        "level": f"{int(LEVEL * 100)} %",
        "how_steps": list(catalog["how_steps"]),
        "not_items": list(catalog["not_items"]),
        "evaluation": _say(lang, "evaluation_text", level=f"{int(LEVEL * 100)} %"),
        # The product's floor, which no round can go below: a promise later rounds cannot undercut.
        "anonymity": _say(lang, "anonymity_text", k=LEAST_MIN_CONTRIBUTORS),
        "generated": _say(lang, "generated", when=fmt.datetime(now)),
    }


async def measurement_plan_pdf(data: dict[str, Any]) -> bytes:
    # An archival PDF cannot leave a character out: names typed before anything checked them
    # (a KPI's, a pilot's) print what the fonts lack as "?" rather than fail the whole plan.
    shown: dict[str, Any] = printable(data)  # type: ignore[assignment]
    return await shared_pool().render("measurement_plan", shown, archival=True)
