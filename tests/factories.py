"""Builders the tests share: rows made through the API as a user would, and reading what comes
back (PDF text, a signed-in admin page session)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

from pypdf import PdfReader

from backend.kernel.time import today
from tests.conftest import PASSWORD, Api
from tests.shapes import start_assessment


async def make_client(api: Api, name: str = "Müller Präzisionstechnik GmbH") -> dict[str, Any]:
    return await api.create("clients", {"name": name, "city": "Aalen", "employee_count": 85})


async def make_engagement(api: Api, client_id: int, **overrides: Any) -> dict[str, Any]:
    """A draft engagement led by the consultant, with goals (what a proposal needs besides the
    weeks' scope)."""
    body = {
        "client_id": client_id,
        "title": "KI-Einführung",
        "start_date": "2026-11-02",
        "duration_weeks": 8,
        "pricing_model": "fixed_fee",
        "fixed_fee": "24000.00",
        "goals": "Angebote schneller erstellen",
        "lead_consultant_id": api.users.get("consultant"),
    } | overrides
    return await api.create("engagements", body)


async def proposable_engagement(api: Api, client_id: int, **overrides: Any) -> dict[str, Any]:
    """An engagement whose proposal may be sent: goals, a lead and a kickoff in its first week."""
    engagement = await make_engagement(api, client_id, **overrides)
    kickoff = {
        "engagement_id": engagement["id"],
        "kind": "kickoff",
        "title": "Kickoff",
        "starts_at": f"{engagement['start_date']}T09:00:00+01:00",
        "ends_at": f"{engagement['start_date']}T12:00:00+01:00",
    }
    await api.create("workshops", kickoff)
    return engagement


async def propose(api: Api, engagement: dict[str, Any]) -> dict[str, Any]:
    """Move a draft to proposed: from then on the client's users see it and what hangs off it."""
    moved = await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "proposed", "version": engagement["version"]}
    )
    assert moved.status_code == 200, moved.text
    return moved.json()


async def build_client_world(api: Api, name: str, client: dict[str, Any] | None = None) -> dict[str, Any]:
    """One row of every client-owned resource; pass `client` to add another set to it."""
    client = client or await make_client(api, name)
    contact = await api.create(
        "contacts", {"client_id": client["id"], "name": "Eva", "email": f"eva@{name}.de".replace(" ", "")}
    )
    engagement = await propose(api, await make_engagement(api, client["id"]))
    eid = engagement["id"]
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": eid,
            "kind": "kickoff",
            "title": "Kickoff",
            "starts_at": "2026-11-03T09:00:00+01:00",
            "ends_at": "2026-11-03T12:00:00+01:00",
        },
    )
    attendee = await api.create("workshop-attendees", {"workshop_id": workshop["id"], "contact_id": contact["id"]})
    idea = await api.create(
        "ideas", {"engagement_id": eid, "title": "Idee", "impact": 4, "effort": 2, "data_readiness": 3}
    )
    pilot = await api.create("pilots", {"engagement_id": eid, "title": "Pilot", "owner_contact_id": contact["id"]})
    kpi = await api.create("kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})
    processor = await api.create(
        "sub-processors",
        {"pilot_id": pilot["id"], "provider": f"Hoster {name}", "hosting_region": "Frankfurt", "hosting_country": "DE"},
    )
    measurement = await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    run_cost = await api.create("run-costs", {"pilot_id": pilot["id"], "month": "2026-11", "amount": "120.00"})
    timing_round = await api.create(
        "timing-rounds",
        {"kpi_id": kpi["id"], "task": f"ein Angebot {name}", "closes_on": str(today() + timedelta(days=9))},
    )
    deliverable = await api.create(
        "deliverables", {"engagement_id": eid, "title": "D", "kind": "document", "due_week": 2}
    )
    status = await api.create("status-updates", {"engagement_id": eid, "iso_week": "2026-W48", "rag": "green"})
    effort = await api.create(
        "time-entries",
        {
            "engagement_id": eid,
            "day": "2026-11-20",
            "minutes": 90,
            "description": "Kickoff",
            "workshop_id": workshop["id"],
        },
    )
    assessment = await api.create(
        "readiness-assessments",
        start_assessment(client["id"], eid),
    )
    participant = await api.create("participants", {"client_id": client["id"], "name": "Teilnehmerin"})
    system = await api.create(
        "ai-systems", {"client_id": client["id"], "name": f"Copilot {pilot['id']}", "pilot_id": pilot["id"]}
    )
    user_of = await api.create("ai-system-users", {"ai_system_id": system["id"], "participant_id": participant["id"]})
    return {
        "clients": client,
        "contacts": contact,
        "engagements": engagement,
        "workshops": workshop,
        "workshop-attendees": attendee,
        "ideas": idea,
        "pilots": pilot,
        "kpis": kpi,
        "sub-processors": processor,
        "measurements": measurement,
        "timing-rounds": timing_round,  # the team's alone: not in RESOURCES
        "run-costs": run_cost,
        "deliverables": deliverable,
        "status-updates": status,
        "readiness-assessments": assessment,
        "participants": participant,  # these three: the team's (the client reads the register)
        "ai-systems": system,
        "ai-system-users": user_of,
        "time-entries": effort,  # the team's own: not in RESOURCES, which client users list too
    }


RESOURCES = [
    "clients",
    "contacts",
    "engagements",
    "workshops",
    "workshop-attendees",
    "ideas",
    "pilots",
    "kpis",
    "sub-processors",
    "measurements",
    "run-costs",
    "deliverables",
    "status-updates",
    "readiness-assessments",
]


OFFER_KPI = {
    "name": "Bearbeitungszeit pro Angebot",
    "unit": "minutes",
    "direction": "lower_is_better",
    "baseline_value": "90",
    "baseline_sample_size": 20,
    "target_value": "45",
    "monthly_volume": "120",
    "hourly_cost": "65.00",
    "run_cost_monthly": "150.00",
}


SUPPORT_KPI = {
    "name": "Bearbeitungszeit pro Anfrage",
    "unit": "minutes",
    "direction": "lower_is_better",
    "baseline_value": "12",
    "target_value": "6",
    "monthly_volume": "800",
    "hourly_cost": "48.00",
    "run_cost_monthly": "90.00",
}


async def pilot_with(api: Api, engagement_id: int, title: str, kpi: dict[str, Any], values: list[str]) -> dict:
    pilot = await api.create("pilots", {"engagement_id": engagement_id, "title": title})
    created = await api.create("kpis", kpi | {"pilot_id": pilot["id"]})
    for day, value in enumerate(values, start=10):
        await api.create("measurements", {"kpi_id": created["id"], "measured_on": f"2026-11-{day}", "value": value})
    return pilot


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


async def generate(api: Api, engagement_id: int, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/engagements/{engagement_id}/documents", json=body)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "queued"
    assert response.headers["job-id"].startswith(f"document:{queued['id']}:")
    await api.run_jobs()
    return (await api.get(f"/documents/{queued['id']}")).json()


async def download_text(api: Api, document: dict[str, Any], who: str = "consultant") -> str:
    response = await api.get(f"/documents/{document['id']}/download", who)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    return pdf_text(response.content)


TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def sign_in(api: Api, email: str = "consultant@example.de") -> str:
    page = await api.http.get("/login")
    token = TOKEN.search(page.text).group(1)
    response = await api.http.post(
        "/login", data={"email": email, "password": PASSWORD, "_csrf_token": token, "next": "/clients"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/clients"
    return token
