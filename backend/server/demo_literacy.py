"""The demo client's AI-literacy evidence: its staff as participants, its AI systems (Copilot and
the offer assistant pilot) with their users, the kick-off's content and attendance (one late,
one in part), anonymous feedback on it, and the enablement session's content as a tool training."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.literacy.feedback import ballot_secret
from backend.domains.literacy.models import (
    AISystem,
    AISystemUser,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    FeedbackAnswer,
    FeedbackBallot,
    Participant,
)
from backend.domains.pilots.models import Pilot
from backend.domains.workshops.models import Topic, Workshop, WorkshopKind
from backend.kernel.config import get_settings

STAFF = (
    ("Tobias Kern", "Vertriebsinnendienst", "Führungskräfte", "tobias.kern@mueller-praezision.de"),
    ("Laura Schmidt", "Kundenservice", "Key User", "laura.schmidt@mueller-praezision.de"),
    ("Jana Vogt", "Vertriebsinnendienst", "Key User", None),
    ("Mehmet Aydin", "Vertriebsinnendienst", "Sachbearbeitung", None),
    ("Petra Lange", "Kundenservice", "Sachbearbeitung", None),
    ("Stefan Brandt", "Einkauf", "Sachbearbeitung", None),
    ("Nina Hoffmann", "Personal", "Sachbearbeitung", None),
    ("Uwe Maier", "Fertigung", "Führungskräfte", None),
)
# (relevance, clarity, applicability, overall, comment) of five who answered the kick-off's form.
ANSWERS = (
    (5, 4, 4, 5, "Sehr praxisnah, gern mehr Beispiele aus dem Angebotsalltag."),
    (4, 4, 3, 4, None),
    (5, 5, 4, 5, "Klare Regeln zu Kundendaten – genau das hat gefehlt."),
    (4, 3, 4, 4, None),
    (3, 4, 3, 4, "Etwas zu viel Theorie am Anfang."),
)


async def literacy_evidence(
    session: AsyncSession, client_id: int, workshops: dict[WorkshopKind, Workshop], pilots: dict[str, Pilot]
) -> int:
    """Adds the rows; returns how many participants."""
    people = [
        Participant(client_id=client_id, name=name, department=dept, role_group=group, email=email)
        for name, dept, group, email in STAFF
    ]
    session.add_all(people)
    await session.flush()
    copilot = AISystem(client_id=client_id, name="Microsoft 365 Copilot", provider="Microsoft",
                       purpose="Texte, E-Mails und Zusammenfassungen im Büroalltag")  # fmt: skip
    assistant = AISystem(client_id=client_id, name="Angebotsassistent", provider="Azure OpenAI (EU)",
                         purpose="Angebotsentwürfe aus Kundenanfragen", pilot_id=pilots["offers"].id)  # fmt: skip
    session.add_all([copilot, assistant])
    await session.flush()
    session.add_all(
        [AISystemUser(ai_system_id=copilot.id, participant_id=p.id) for p in people[:6]]
        + [AISystemUser(ai_system_id=assistant.id, participant_id=p.id) for p in people[:4]]
    )
    kickoff, enablement = workshops[WorkshopKind.kickoff], workshops[WorkshopKind.enablement]
    kickoff.topics = [Topic.ai_basics, Topic.limits_hallucination, Topic.ai_guideline]
    kickoff.materials_version = "KI-Grundlagen v1.3"
    kickoff.learning_objectives = (
        "Chancen und Grenzen generativer KI im eigenen Arbeitsalltag einordnen\n"
        "Halluzinationen erkennen und Ergebnisse prüfen\n"
        "Die Regeln der KI-Nutzungsrichtlinie anwenden"
    )
    enablement.topics = [Topic.data_protection, Topic.tool_specific]
    enablement.ai_system_id = copilot.id
    enablement.materials_version = "Copilot im Vertrieb v2.0"
    enablement.learning_objectives = "Copilot sicher für Angebote und Kundenantworten nutzen"
    session.add_all([kickoff, enablement])
    secret = get_settings().secret_key
    statuses = [AttendanceStatus.present] * 5 + [
        AttendanceStatus.late,
        AttendanceStatus.partial,
        AttendanceStatus.absent,
    ]
    minutes = {AttendanceStatus.late: 200, AttendanceStatus.partial: 120}
    for person, status in zip(people, statuses, strict=True):
        attended = status != AttendanceStatus.absent
        session.add(
            Attendance(
                workshop_id=kickoff.id,
                participant_id=person.id,
                status=status,
                minutes=minutes.get(status),
                checked_in_at=(
                    kickoff.starts_at + timedelta(minutes=25 if status == AttendanceStatus.late else 2)
                    if attended and person.email is None
                    else None
                ),
                source=AttendanceSource.self_check_in if attended and person.email is None else AttendanceSource.team,
                ballot_issued=attended,
            )
        )
    # Five of the seven who attended answered; their ballots are gone, two remain open.
    for person in people[5:7]:
        key = hashlib.sha256(ballot_secret(secret, kickoff.id or 0, person.id or 0).encode()).hexdigest()
        session.add(FeedbackBallot(key=key, workshop_id=kickoff.id))
    session.add_all(
        FeedbackAnswer(
            id=uuid.uuid4().hex, workshop_id=kickoff.id, relevance=r, clarity=c, applicability=a, overall=o,
            comment=text, submitted_on=kickoff.starts_at.date(),
        )
        for r, c, a, o, text in ANSWERS
    )  # fmt: skip
    kickoff.feedback_score = (Decimal(sum(answer[3] for answer in ANSWERS)) / len(ANSWERS)).quantize(Decimal("0.01"))
    await session.flush()
    return len(people)
