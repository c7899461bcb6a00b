"""The result report's "after go-live" section: for each pilot in production, each KPI's value
at the engagement's end against the measurements since (the 30/60/90-day checkpoints), with how
much of the improvement is kept. The same figures as GET /pilots/{id}/sustained."""

from __future__ import annotations

from typing import Any

from backend.domains.engagements.models import Engagement
from backend.domains.pilots.aftercare import ends_on, sustained_kpi
from backend.domains.pilots.models import PilotStage
from backend.domains.pilots.service import PilotEvidence
from backend.kernel.formatting import Formatter


def sustained_rows(
    engagement: Engagement, evidence: list[PilotEvidence], fmt: Formatter, say: Any
) -> list[dict[str, Any]]:
    """One row per KPI of a production pilot measured after the engagement's end (none before)."""
    end = ends_on(engagement)
    rows: list[dict[str, Any]] = []
    for ev in evidence:
        if ev.pilot.stage != PilotStage.production:
            continue
        for kpi in ev.kpis:
            found = sustained_kpi(kpi, ev.measurements.get(kpi.id, []), end)
            if not found.after:
                continue
            unit = kpi.unit
            rows.append(
                {
                    "pilot": ev.pilot.title,
                    "kpi": kpi.name,
                    "baseline": fmt.quantity(kpi.baseline_value, unit),
                    "go_live": fmt.quantity(found.go_live_value, unit) if found.go_live_value is not None else None,
                    "go_live_on": fmt.date(found.go_live_on) if found.go_live_on else None,
                    "state": found.state,
                    "state_label": say(f"sustained_{found.state}"),
                    "after": [
                        {
                            "when": say("sustained_days", n=a.days_after_end, date=fmt.date(a.measured_on)),
                            "value": fmt.quantity(a.value, unit),
                            "kept": f"{fmt.number(a.kept_percent, 1)} %" if a.kept_percent is not None else None,
                            "slipped": a.slipped,
                        }
                        for a in found.after
                    ],
                }
            )
    return rows
