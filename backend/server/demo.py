"""Demo data: one German SME client in week 4 of an 8-week AI engagement.

Every date is relative to today, so the demo always shows a running engagement with past
workshops, live pilot measurements and upcoming work, no matter when it is loaded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.models import User
from backend.domains.auth.passwords import verify_password
from backend.domains.auth.service import create_user
from backend.domains.clients.models import AssessmentPhase, Client, Contact, ReadinessAssessment
from backend.domains.deliverables.models import Deliverable, DeliverableKind, DeliverableStatus
from backend.domains.engagements.models import Engagement, EngagementStatus, PricingModel, Rag, StatusUpdate
from backend.domains.pilots.models import (
    Direction,
    Kpi,
    KpiUnit,
    Measurement,
    Pilot,
    PilotStage,
    ProcessArea,
    SubProcessor,
    TransferMechanism,
)
from backend.domains.pilots.scoring import scored_idea
from backend.domains.workshops.models import Workshop, WorkshopAttendee, WorkshopKind
from backend.kernel.config import get_settings
from backend.kernel.db import select_all
from backend.kernel.enums import Language, Role
from backend.kernel.time import BERLIN, iso_week, today
from backend.server.demo_aftercare import after_go_live
from backend.server.demo_billing import accepted_proposal
from backend.server.demo_contracts import handed_over
from backend.server.demo_effort import effort_rows
from backend.server.demo_literacy import literacy_evidence

DEMO_ADMIN_EMAIL = "admin@engagement-desk.de"
CONSULTANT_EMAIL = "jonas.berger@engagement-desk.de"
CLIENT_USER_EMAIL = "sabine.mueller@mueller-praezision.de"

# The demo is "in week 4 of 8": the engagement started on the Monday three ISO weeks ago.
CURRENT_WEEK = 4
DURATION_WEEKS = 8

MON, TUE, WED, THU, FRI = range(5)

R = TypeVar("R", bound=SQLModel)


@dataclass(frozen=True)
class Calendar:
    """Turns "engagement week N, weekday D" into concrete dates around today."""

    start: date
    today: date

    @classmethod
    def around(cls, today: date) -> Calendar:
        this_monday = today - timedelta(days=today.weekday())
        return cls(start=this_monday - timedelta(weeks=CURRENT_WEEK - 1), today=today)

    def day(self, week: int, weekday: int) -> date:
        return self.start + timedelta(weeks=week - 1, days=weekday)

    def measured(self, week: int, weekday: int = FRI) -> date:
        # Measurements cannot lie in the future; early in the current week they are dated today.
        return min(self.day(week, weekday), self.today)

    def at(self, week: int, weekday: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day(week, weekday), time(hour, minute), tzinfo=BERLIN)

    @property
    def iso_week(self) -> str:
        return iso_week(self.today)


@dataclass
class Seeder:
    """Adds rows, flushes for their ids and keeps a tally for the summary."""

    session: AsyncSession
    cal: Calendar
    counts: Counter[str] = field(default_factory=Counter)

    async def add(self, *rows: R) -> list[R]:
        self.session.add_all(rows)
        await self.session.flush()
        for row in rows:
            self.counts[str(row.__tablename__)] += 1
        return list(rows)


# -- data tables ----------------------------------------------------------------------------

CLIENT = {
    "name": "Müller Präzisionstechnik GmbH",
    "industry": "Maschinenbau",
    "employee_count": 85,
    "street": "Industriestraße 12",
    "postal_code": "73430",
    "city": "Aalen",
    "country": "DE",
    "vat_id": "DE812345673",
    "invoice_email": "buchhaltung@mueller-praezision.de",
    "website": "https://www.mueller-praezision.de",
    "notes": "Familienunternehmen in zweiter Generation, CNC-Dreh- und Frästeile in Kleinserien.",
}

CONTACTS: dict[str, dict[str, Any]] = {
    "md": {
        "name": "Sabine Müller",
        "email": CLIENT_USER_EMAIL,
        "phone": "+49 7361 55860-10",
        "position": "Geschäftsführerin",
        "language": Language.de,
        "receives_digest": True,
        "portal_access": True,
    },
    "ai_owner": {
        "name": "Tobias Kern",
        "email": "tobias.kern@mueller-praezision.de",
        "phone": "+49 7361 55860-24",
        "position": "Leiter Vertriebsinnendienst",
        "language": Language.de,
        "is_ai_owner": True,
        "receives_digest": True,
        "portal_access": True,  # the AI-literacy register is the AI owner's to see
    },
    "service": {
        "name": "Laura Schmidt",
        "email": "laura.schmidt@mueller-praezision.de",
        "phone": "+49 7361 55860-31",
        "position": "Customer Service Lead",
        "language": Language.en,
    },
}

ENGAGEMENT_GOALS = (
    "1. Zwei KI-Piloten mit messbarer Zeitersparnis: Angebotserstellung und Support-Vorqualifizierung.\n"
    "2. Verbindliche KI-Nutzungsrichtlinie (DSGVO, Umgang mit Kundendaten, EU AI Act).\n"
    "3. Benannte KI-Verantwortung im Haus und geschulte Key User im Vertrieb und Kundenservice.\n"
    "4. Entscheidungsvorlage für den Produktivbetrieb auf Basis gemessener KPIs."
)

ENGAGEMENT_SITUATION = (
    "Müller Präzisionstechnik erstellt rund 120 Angebote im Monat; jedes kostet den "
    "Vertriebsinnendienst etwa 90 Minuten. Support-Anfragen werden von Hand gelesen und "
    "verteilt. Generative KI wird bisher nur vereinzelt und ohne Regeln genutzt; es gibt weder "
    "eine Leitlinie noch eine verantwortliche Person."
)
ENGAGEMENT_TERMS = "Reisekosten innerhalb Baden-Württembergs sind im Festpreis enthalten."
ENGAGEMENT_RECOMMENDATIONS = (
    "Tobias Kern als KI-Verantwortlichen bestätigen und monatlich an die Geschäftsführung berichten.\n"
    "Schulung für alle Vertriebsmitarbeitenden im ersten Quartal wiederholen."
)


@dataclass(frozen=True)
class WorkshopPlan:
    kind: WorkshopKind
    week: int
    weekday: int
    title: str
    agenda: str
    attendees: tuple[str, ...]
    # Only workshops that already happened have outcomes and a feedback score.
    outcomes: str | None = None
    feedback_score: Decimal | None = None


WORKSHOPS = (
    WorkshopPlan(
        kind=WorkshopKind.kickoff,
        week=1,
        weekday=TUE,
        title="Kick-off: Ziele, Prozesse und KI-Verantwortung",
        agenda=(
            "09:00 Begrüßung und Zielbild der Geschäftsführung\n"
            "09:45 Prozessaufnahme Angebotserstellung und Kundenservice\n"
            "11:00 Pause\n"
            "11:15 Rollen: KI-Verantwortlicher, Key User, Datenschutz\n"
            "12:15 Erfolgskriterien und Messplan für die Baseline\n"
            "12:45 Nächste Schritte"
        ),
        attendees=("md", "ai_owner", "service"),
        outcomes=(
            "Tobias Kern als KI-Verantwortlicher benannt. Baseline-Messung für die Angebotserstellung "
            "(20 Angebote) vereinbart. Kundendaten nur in EU-gehosteten Diensten."
        ),
        feedback_score=Decimal("4.60"),
    ),
    WorkshopPlan(
        kind=WorkshopKind.use_case_discovery,
        week=2,
        weekday=WED,
        title="Use-Case-Werkstatt: Wo KI im Alltag Zeit spart",
        agenda=(
            "09:00 Rückblick Kick-off und Baseline-Zwischenstand\n"
            "09:30 Ideensammlung entlang der Prozesse\n"
            "10:45 Pause\n"
            "11:00 Bewertung nach Nutzen, Aufwand und Datenlage\n"
            "12:15 Auswahl der zwei Piloten und Verantwortliche"
        ),
        attendees=("md", "ai_owner", "service"),
        outcomes=(
            "Drei Ideen bewertet; Angebotsassistent und E-Mail-Vorqualifizierung als Piloten "
            "ausgewählt. Rechnungserfassung zurückgestellt, bis die Datenlage besser ist."
        ),
        feedback_score=Decimal("4.30"),
    ),
    WorkshopPlan(
        kind=WorkshopKind.enablement,
        week=5,
        weekday=TUE,
        title="Enablement: Sicher arbeiten mit KI-Assistenten",
        agenda=(
            "09:00 KI-Nutzungsrichtlinie in der Praxis\n"
            "09:45 Prompting für Angebote und Kundenantworten\n"
            "11:00 Pause\n"
            "11:15 Übungen mit dem Angebotsassistenten\n"
            "12:30 Fragen, Feedback und Messung im Alltag"
        ),
        attendees=("ai_owner", "service"),
    ),
)

WORKSHOP_LOCATION = "Müller Präzisionstechnik GmbH, Industriestraße 12, Aalen – Besprechungsraum 1"


@dataclass(frozen=True)
class KpiPlan:
    name: str
    unit: KpiUnit
    baseline_value: Decimal
    baseline_method: str
    baseline_sample_size: int
    baseline_week: int
    target_value: Decimal
    monthly_volume: Decimal
    hourly_cost: Decimal
    run_cost_monthly: Decimal
    # (engagement week, value, sample size, standard deviation), one measurement per week.
    measurements: tuple[tuple[int, Decimal, int, Decimal], ...]
    baseline_std_dev: Decimal


@dataclass(frozen=True)
class PilotPlan:
    title: str
    process_area: ProcessArea
    stage: PilotStage
    hypothesis: str
    owner: str
    start_week: int
    end_week: int
    kpi: KpiPlan


# The README walks through the savings calculation with exactly these numbers.
# Where the pilots send data (GDPR Art. 28): the offer assistant in the EU with an AVV, the
# support triage's model in the US, its AVV still to be signed.
SUB_PROCESSORS: dict[str, tuple[dict[str, Any], ...]] = {
    "offers": (
        {
            "provider": "Microsoft Ireland Operations Ltd.",
            "service": "Azure OpenAI Service",
            "model": "GPT-4o",
            "hosting_region": "EU Data Boundary, Schweden",
            "hosting_country": "SE",
            "data_categories": ["Kundenanfragen", "Zeichnungen", "Angebotstexte", "Ansprechpartner beim Kunden"],
            "personal_data": True,
            "dpa_signed_on": date(2026, 11, 2),
        },
    ),
    "support": (
        {
            "provider": "Anthropic PBC",
            "service": "Claude API",
            "model": "Claude Sonnet",
            "hosting_region": "USA",
            "hosting_country": "US",
            "data_categories": ["Support-E-Mails", "Namen und Adressen der Absender"],
            "personal_data": True,
            "transfer_mechanism": TransferMechanism.sccs,
        },
    ),
}

PILOTS = {
    "offers": PilotPlan(
        title="Angebotsassistent",
        process_area=ProcessArea.document_creation,
        stage=PilotStage.pilot,
        hypothesis=(
            "Ein Assistent, der aus Kundenanfrage, Zeichnung und Stückliste einen Angebotsentwurf "
            "erstellt, halbiert die Bearbeitungszeit pro Angebot."
        ),
        owner="ai_owner",
        start_week=2,
        end_week=7,
        kpi=KpiPlan(
            name="Bearbeitungszeit pro Angebot",
            unit=KpiUnit.minutes,
            baseline_value=Decimal("90"),
            baseline_method="Zeiterfassung durch den Vertriebsinnendienst an 20 Angeboten",
            baseline_sample_size=20,
            baseline_week=1,
            target_value=Decimal("45"),
            monthly_volume=Decimal("120"),
            hourly_cost=Decimal("65.00"),
            run_cost_monthly=Decimal("150.00"),
            measurements=(
                (2, Decimal("62"), 12, Decimal("21")),
                (3, Decimal("48"), 14, Decimal("17")),
                (4, Decimal("41"), 11, Decimal("15")),
            ),
            # 90 ± 25 min before, 41 ± 15 after: significant at 90 % (at least ~35 min a quote).
            baseline_std_dev=Decimal("25"),
        ),
    ),
    "support": PilotPlan(
        title="E-Mail-Vorqualifizierung im Support",
        process_area=ProcessArea.support,
        stage=PilotStage.prototype,
        hypothesis=(
            "Wenn eingehende Support-E-Mails automatisch kategorisiert und mit Antwortvorschlag "
            "versehen werden, sinkt die Bearbeitungszeit pro Anfrage um die Hälfte."
        ),
        owner="service",
        start_week=3,
        end_week=8,
        kpi=KpiPlan(
            name="Bearbeitungszeit pro Anfrage",
            unit=KpiUnit.minutes,
            baseline_value=Decimal("12"),
            baseline_method="Stichprobe aus dem Ticketsystem, Zeit vom Öffnen bis zur Antwort",
            baseline_sample_size=40,
            baseline_week=2,
            target_value=Decimal("6"),
            monthly_volume=Decimal("800"),
            hourly_cost=Decimal("48.00"),
            run_cost_monthly=Decimal("90.00"),
            # A prototype's first weeks: few tickets, a wide spread; 4 minutes better on average,
            # but not yet significant at 90 % (the results say so, and how many to measure).
            measurements=((3, Decimal("9.5"), 15, Decimal("6.5")), (4, Decimal("8.0"), 6, Decimal("9"))),
            baseline_std_dev=Decimal("5"),
        ),
    ),
}

# (title, description, process area, impact, effort, data readiness, pilot key or None)
IDEAS = (
    (
        "Angebotsentwürfe aus Anfrage und Stückliste",
        "Anfrage-E-Mail, Zeichnung und Stückliste einlesen und einen Angebotsentwurf vorschlagen.",
        ProcessArea.document_creation,
        5,
        3,
        4,
        "offers",
    ),
    (
        "Support-E-Mails vorqualifizieren",
        "Eingehende Anfragen nach Thema und Dringlichkeit sortieren, Antwortvorschlag erzeugen.",
        ProcessArea.support,
        4,
        2,
        3,
        "support",
    ),
    (
        "Eingangsrechnungen automatisch erfassen",
        "Lieferantenrechnungen auslesen und im ERP vorkontieren.",
        ProcessArea.routine_automation,
        3,
        3,
        2,
        None,
    ),
)


@dataclass(frozen=True)
class DeliverablePlan:
    title: str
    kind: DeliverableKind
    status: DeliverableStatus
    due_week: int
    description: str
    delivered: tuple[int, int, int] | None = None  # (week, weekday, hour)
    signed_off: tuple[int, int, int] | None = None


DELIVERABLES = (
    DeliverablePlan(
        "KI-Nutzungsrichtlinie",
        DeliverableKind.guideline,
        DeliverableStatus.accepted,
        2,
        "Regeln für den Einsatz von KI-Diensten: Datenklassen, freigegebene Tools, Freigabeprozess.",
        delivered=(2, FRI, 15),
        signed_off=(3, TUE, 10),
    ),
    DeliverablePlan(
        "Prototyp Angebotsassistent",
        DeliverableKind.prototype,
        DeliverableStatus.delivered,
        3,
        "Erster lauffähiger Assistent für Angebotsentwürfe inklusive Kurzanleitung.",
        delivered=(3, THU, 16),
    ),
    DeliverablePlan(
        "Workflow E-Mail-Vorqualifizierung",
        DeliverableKind.automation_workflow,
        DeliverableStatus.in_review,
        4,
        "Automatisierung im Support-Postfach: Kategorisierung, Dringlichkeit, Antwortvorschlag.",
    ),
    DeliverablePlan(
        "Schulungsunterlagen Enablement",
        DeliverableKind.training_material,
        DeliverableStatus.in_progress,
        5,
        "Folien, Übungsaufgaben und Prompt-Vorlagen für den Enablement-Workshop.",
    ),
    DeliverablePlan(
        "Abschlussbericht mit KPI-Auswertung",
        DeliverableKind.document,
        DeliverableStatus.planned,
        8,
        "Gemessene Zeitersparnis je Pilot, Wirtschaftlichkeit und Empfehlung zum Produktivbetrieb.",
    ),
)

STATUS_UPDATE = {
    "rag": Rag.green,
    "summary": (
        "Woche 4 von 8: Der Angebotsassistent spart bereits rund die Hälfte der Bearbeitungszeit; "
        "die Support-Vorqualifizierung läuft als Prototyp."
    ),
    "done": (
        "- KI-Nutzungsrichtlinie von Frau Müller freigegeben\n"
        "- Prototyp Angebotsassistent ausgeliefert, dritte Messung: 41 Minuten pro Angebot\n"
        "- Workflow E-Mail-Vorqualifizierung zur Abnahme bereitgestellt"
    ),
    "next": (
        "- Enablement-Workshop am Dienstag in Woche 5\n"
        "- Abnahme des Support-Workflows mit Laura Schmidt\n"
        "- Schulungsunterlagen fertigstellen"
    ),
    "risks": "Urlaubszeit im Vertriebsinnendienst kann die Zahl der gemessenen Angebote senken.",
}

# Where the client stood before the engagement: an AI owner was just being discussed.
ASSESSMENT_SCORES = {
    "priorities": 1,
    "responsibility": 1,
    "people_enabled": 2,
    "pilots_in_production": 0,
    "kpi_practice": 1,
}

SUMMARY_LABELS = {
    "clients": "clients",
    "contacts": "contacts",
    "engagements": "engagements",
    "workshops": "workshops",
    "use_case_ideas": "use-case ideas",
    "pilots": "pilots",
    "kpis": "KPIs",
    "measurements": "measurements",
    "deliverables": "deliverables",
    "time_entries": "time entries",
}


# -- seeding --------------------------------------------------------------------------------


async def seed_demo(session: AsyncSession, *, only_if_empty: bool = False) -> str:
    """Insert the demo client and its running engagement, and a second client whose engagement
    ended three months ago (after go-live); the caller commits."""
    if only_if_empty and (await session.exec(select(Client.id).limit(1))).first() is not None:
        return "database already has clients; demo data not loaded"

    seed = Seeder(session=session, cal=Calendar.around(today()))
    password = get_settings().demo_password
    (client,) = await seed.add(Client.model_validate(CLIENT))
    contacts = await _add_contacts(seed, client)
    users = await _add_users(seed, client, password)
    engagement = await _add_engagement(seed, client, users[Role.consultant].id)
    workshops = await _add_workshops(seed, engagement, contacts, users[Role.consultant].id)
    pilots = await _add_pilots(seed, engagement, contacts, users[Role.consultant].id)
    await _add_ideas(seed, engagement, workshops[WorkshopKind.use_case_discovery], pilots)
    await _add_deliverables(seed, engagement, contacts["md"])
    seed.counts["participants"] += await literacy_evidence(session, client.id or 0, workshops, pilots)
    # Sent and accepted the week before the start, with the engagement as it is now.
    await accepted_proposal(
        session,
        engagement,
        contacts["md"],
        users[Role.consultant].id,
        sent=seed.cal.at(1, MON, 9) - timedelta(days=10),
        accepted=seed.cal.at(1, MON, 9) - timedelta(days=7),
    )
    seed.counts["documents"] += 1
    seed.counts["proposal_acceptances"] += 1
    people = {"lead": users[Role.consultant].id, "admin": users[Role.admin].id}
    await seed.add(*effort_rows(engagement, people, workshops, pilots, seed.cal.today))
    await seed.add(
        StatusUpdate.model_validate(
            {
                "engagement_id": engagement.id,
                "iso_week": seed.cal.iso_week,
                "author_id": users[Role.consultant].id,
                **STATUS_UPDATE,
            }
        ),
        ReadinessAssessment.model_validate(
            {
                "client_id": client.id,
                "engagement_id": engagement.id,
                "phase": AssessmentPhase.start,
                "assessed_on": seed.cal.day(1, TUE),
                **ASSESSMENT_SCORES,
            }
        ),
    )
    seed.counts.update(await after_go_live(session, seed.cal.today, users[Role.consultant].id, CONSULTANT_EMAIL))
    return _summary(seed.counts)


async def _add_contacts(seed: Seeder, client: Client) -> dict[str, Contact]:
    rows = await seed.add(*(Contact(client_id=client.id, **values) for values in CONTACTS.values()))
    return dict(zip(CONTACTS, rows, strict=True))


async def _add_users(seed: Seeder, client: Client, password: str) -> dict[Role, Any]:
    logins = (
        (DEMO_ADMIN_EMAIL, "Lea Hoffmann", Role.admin, None),
        (CONSULTANT_EMAIL, "Jonas Berger", Role.consultant, None),
        (CLIENT_USER_EMAIL, CONTACTS["md"]["name"], Role.client, client.id),
    )
    users = {}
    for email, full_name, role, client_id in logins:
        users[role] = await create_user(
            seed.session,
            email=email,
            full_name=full_name,
            password=password,
            role=role,
            client_id=client_id,
        )
        seed.counts["users"] += 1
    return users


async def _add_engagement(seed: Seeder, client: Client, consultant_id: int) -> Engagement:
    start = seed.cal.start
    (engagement,) = await seed.add(
        Engagement(
            client_id=client.id,
            title="KI-Einführung: Angebotserstellung und Support",
            goals=ENGAGEMENT_GOALS,
            situation=ENGAGEMENT_SITUATION,
            terms=ENGAGEMENT_TERMS,
            recommendations=ENGAGEMENT_RECOMMENDATIONS,
            start_date=start,
            duration_weeks=DURATION_WEEKS,
            lead_consultant_id=consultant_id,
            pricing_model=PricingModel.fixed_fee,
            fixed_fee=Decimal("24000.00"),
            vat_rate=Decimal("19.00"),
            payment_schedule=[
                {"label": "bei Projektstart", "percent": "50"},
                {"label": "nach Abnahme", "percent": "50"},
            ],
            status=EngagementStatus.active,
            status_changed_at=seed.cal.at(1, MON, 8),
        )
    )
    return engagement


async def _add_workshops(
    seed: Seeder, engagement: Engagement, contacts: dict[str, Contact], facilitator_id: int
) -> dict[WorkshopKind, Workshop]:
    workshops = await seed.add(
        *(
            Workshop(
                engagement_id=engagement.id,
                kind=plan.kind,
                title=plan.title,
                starts_at=seed.cal.at(plan.week, plan.weekday, 9),
                ends_at=seed.cal.at(plan.week, plan.weekday, 13),
                location=WORKSHOP_LOCATION,
                facilitator_id=facilitator_id,
                agenda=plan.agenda,
                outcomes=plan.outcomes,
                feedback_score=plan.feedback_score,
            )
            for plan in WORKSHOPS
        )
    )
    # Attendance is only known for workshops that already took place.
    await seed.add(
        *(
            WorkshopAttendee(
                workshop_id=workshop.id,
                contact_id=contacts[key].id,
                attended=True if plan.outcomes else None,
            )
            for plan, workshop in zip(WORKSHOPS, workshops, strict=True)
            for key in plan.attendees
        )
    )
    return {plan.kind: workshop for plan, workshop in zip(WORKSHOPS, workshops, strict=True)}


async def _add_pilots(
    seed: Seeder, engagement: Engagement, contacts: dict[str, Contact], recorder_id: int
) -> dict[str, Pilot]:
    pilots = {}
    for key, plan in PILOTS.items():
        (pilot,) = await seed.add(
            Pilot(
                engagement_id=engagement.id,
                title=plan.title,
                process_area=plan.process_area,
                stage=plan.stage,
                hypothesis=plan.hypothesis,
                owner_contact_id=contacts[plan.owner].id,
                start_week=plan.start_week,
                end_week=plan.end_week,
                processes_personal_data=any(p["personal_data"] for p in SUB_PROCESSORS.get(key, ())),
            )
        )
        await _add_kpi(seed, pilot, plan.kpi, recorder_id)
        await seed.add(
            *(SubProcessor.model_validate({"pilot_id": pilot.id, **values}) for values in SUB_PROCESSORS.get(key, ()))
        )
        pilots[key] = pilot
    return pilots


async def _add_kpi(seed: Seeder, pilot: Pilot, plan: KpiPlan, recorder_id: int) -> None:
    (kpi,) = await seed.add(
        Kpi(
            pilot_id=pilot.id,
            name=plan.name,
            unit=plan.unit,
            direction=Direction.lower_is_better,
            baseline_value=plan.baseline_value,
            baseline_method=plan.baseline_method,
            baseline_sample_size=plan.baseline_sample_size,
            baseline_std_dev=plan.baseline_std_dev,
            baseline_date=seed.cal.day(plan.baseline_week, THU),
            target_value=plan.target_value,
            monthly_volume=plan.monthly_volume,
            hourly_cost=plan.hourly_cost,
            run_cost_monthly=plan.run_cost_monthly,
        )
    )
    await seed.add(
        *(
            Measurement(
                kpi_id=kpi.id,
                measured_on=seed.cal.measured(week),
                value=value,
                sample_size=sample_size,
                std_dev=spread,
                note=f"Messung Woche {week}",
                recorded_by_id=recorder_id,
            )
            for week, value, sample_size, spread in plan.measurements
        )
    )


async def _add_ideas(seed: Seeder, engagement: Engagement, discovery: Workshop, pilots: dict[str, Pilot]) -> None:
    await seed.add(
        *(
            scored_idea(
                engagement_id=engagement.id,
                workshop_id=discovery.id,
                title=title,
                description=description,
                process_area=area,
                impact=impact,
                effort=effort,
                data_readiness=data_readiness,
                pilot_id=pilots[pilot_key].id if pilot_key else None,
            )
            for title, description, area, impact, effort, data_readiness, pilot_key in IDEAS
        )
    )


async def _add_deliverables(seed: Seeder, engagement: Engagement, signer: Contact) -> None:
    def when(slot: tuple[int, int, int] | None) -> datetime | None:
        return seed.cal.at(*slot) if slot else None

    rows = await seed.add(
        *(
            Deliverable(
                engagement_id=engagement.id,
                title=plan.title,
                kind=plan.kind,
                description=plan.description,
                due_week=plan.due_week,
                status=plan.status,
                delivered_at=when(plan.delivered),
                signed_off_at=when(plan.signed_off),
                signed_off_by_contact_id=signer.id if plan.signed_off else None,
            )
            for plan in DELIVERABLES
        )
    )
    seed.counts["artefacts"] += await handed_over(seed.session, rows, signer, seed.cal.today)


def _summary(counts: Counter[str]) -> str:
    created = ", ".join(f"{counts[table]} {label}" for table, label in SUMMARY_LABELS.items())
    return f"demo data loaded: {created}"


async def demo_logins(session: AsyncSession, password: str) -> list[tuple[Role, str]]:
    """The demo users that can still sign in with the demo password, consultant first (the one
    the README's tour uses)."""
    order = [CONSULTANT_EMAIL, DEMO_ADMIN_EMAIL, CLIENT_USER_EMAIL]
    users = await select_all(session, User, col(User.email).in_(order), col(User.is_active).is_(True))
    usable = [u for u in users if verify_password(u.password_hash, password)]
    return [(Role(u.role), u.email) for u in sorted(usable, key=lambda u: order.index(u.email))]
