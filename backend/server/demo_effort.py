"""The demo engagement's effort so far: each weekday's time entries of the two team members,
from its first Monday up to today, and their internal cost rates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backend.domains.engagements.models import Engagement
from backend.domains.pilots.models import Pilot
from backend.domains.timesheets.models import CostRate, TimeEntry
from backend.domains.workshops.models import Workshop, WorkshopKind

# (week, weekday) → (who, minutes, what, link, billable); who: "lead" or "admin"; link: a
# workshop kind, a pilot key, or None. Weeks repeat their pattern from week 3 on.
Plan = tuple[str, int, str, str | WorkshopKind | None, bool]
WEEK_1: dict[int, list[Plan]] = {
    0: [("lead", 240, "Kickoff vorbereitet: Ziele, Zeitplan, Rollen", WorkshopKind.kickoff, True)],
    1: [
        ("lead", 300, "Kickoff mit Geschäftsführung und Key Usern moderiert", WorkshopKind.kickoff, True),
        ("admin", 120, "Projektakte, Zugänge und Datenschutz-Check aufgesetzt", None, False),
    ],
    2: [("lead", 360, "Ist-Aufnahme Angebotsprozess im Vertriebsinnendienst", "offers", True)],
    3: [("lead", 300, "Ist-Aufnahme Support-Eingang, Stichprobe von 200 Tickets", "support", True)],
    4: [("lead", 180, "Baseline-Messung Angebotszeit ausgewertet", "offers", True)],
}
WEEK_2: dict[int, list[Plan]] = {
    0: [("lead", 240, "Use-Case-Workshop vorbereitet", WorkshopKind.use_case_discovery, True)],
    1: [
        ("lead", 420, "Use-Case-Workshop moderiert und Ideen bewertet", WorkshopKind.use_case_discovery, True),
        ("admin", 240, "Use-Case-Workshop co-moderiert, Ideen dokumentiert", WorkshopKind.use_case_discovery, True),
    ],
    2: [("lead", 360, "Prompt-Vorlagen für den Angebotsassistenten entworfen", "offers", True)],
    3: [
        ("lead", 300, "Klassifikation der Support-Anfragen prototypisch gebaut", "support", True),
        ("admin", 90, "Auftragsverarbeitungsvertrag mit dem Modellanbieter geprüft", None, False),
    ],
    4: [("lead", 240, "Entwurf der KI-Nutzungsrichtlinie", None, True)],
}
LATER: dict[int, list[Plan]] = {
    0: [("lead", 300, "Pilot Angebotsassistent mit zwei Key Usern begleitet", "offers", True)],
    1: [
        ("lead", 360, "Enablement-Schulung Vertrieb vorbereitet und gehalten", WorkshopKind.enablement, True),
        ("admin", 180, "Datenschutz-Teil der Enablement-Schulung gehalten", WorkshopKind.enablement, True),
    ],
    2: [("lead", 300, "Support-Pilot: Regeln und Rückfragen nachgeschärft", "support", True)],
    3: [
        ("lead", 240, "Messungen der Woche ausgewertet, Wochenstatus geschrieben", None, True),
        ("admin", 60, "Interne Abstimmung Budget und Staffing", None, False),
    ],
    4: [("lead", 180, "Richtlinie mit Betriebsrat abgestimmt", None, True)],
}
RATES = {"lead": Decimal("95.00"), "admin": Decimal("110.00")}


def _plan(week: int) -> dict[int, list[Plan]]:
    return WEEK_1 if week == 1 else WEEK_2 if week == 2 else LATER


def effort_rows(
    engagement: Engagement,
    people: dict[str, int],
    workshops: dict[WorkshopKind, Workshop],
    pilots: dict[str, Pilot],
    today: date,
) -> list[TimeEntry | CostRate]:
    rows: list[TimeEntry | CostRate] = [
        CostRate(user_id=people[who], valid_from=date(today.year, 1, 1), hourly_cost=rate)
        for who, rate in RATES.items()
    ]
    for week in range(1, engagement.duration_weeks + 1):
        for weekday, plans in _plan(week).items():
            day = engagement.start_date + timedelta(weeks=week - 1, days=weekday)
            if day > today:
                return rows
            for who, minutes, what, link, billable in plans:
                # WorkshopKind is a str enum: look for a workshop first, then a pilot.
                workshop = workshops.get(link) if isinstance(link, WorkshopKind) else None
                pilot = pilots.get(link) if link is not None and workshop is None else None
                rows.append(
                    TimeEntry(
                        engagement_id=engagement.id,
                        user_id=people[who],
                        day=day,
                        minutes=minutes,
                        description=what,
                        billable=billable,
                        workshop_id=workshop.id if workshop else None,
                        pilot_id=pilot.id if pilot else None,
                    )
                )
    return rows
