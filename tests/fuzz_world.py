"""The world the API fuzzing runs in: two clients with one row of every resource, seeded
through the API itself (for tests/server/test_fuzz_api.py and bench/fuzz.py)."""

from __future__ import annotations

from typing import Any

from tests.shapes import start_assessment


class Seeder:
    """Calls the API as the admin; `client` is any HTTP client with httpx's get/post."""

    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def post(self, path: str, body: dict[str, Any] | None = None, status: int = 201) -> Any:
        response = self.client.post(f"/api/v1{path}", json=body, headers=self.headers)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response

    def create(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        return self.post(path, body, status).json()

    def get(self, path: str) -> dict[str, Any]:
        response = self.client.get(f"/api/v1{path}", headers=self.headers)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


def seed_world(seed: Seeder, name: str, email_domain: str) -> dict[str, Any]:
    """One row of every client-owned resource (like tests/domains/test_isolation.py builds through the API)."""
    client = seed.create("/clients", {"name": name, "city": "Aalen", "employee_count": 85})
    contact = seed.create(
        "/contacts",
        {"client_id": client["id"], "name": "Eva Berger", "email": f"eva@{email_domain}", "portal_access": True},
    )
    engagement = seed.create(
        "/engagements",
        {
            "client_id": client["id"],
            "title": "KI-Einführung",
            "start_date": "2026-11-02",
            "duration_weeks": 8,
            "pricing_model": "fixed_fee",
            "fixed_fee": "24000.00",
            "goals": "Angebote schneller erstellen",
            "lead_consultant_id": seed.get("/auth/me")["id"],
        },
    )
    eid = engagement["id"]
    # Proposed: the client's users see it (a draft stays with the team).
    engagement = seed.create(f"/engagements/{eid}/transitions", {"to": "proposed", "version": 1}, status=200)
    workshop = seed.create(
        "/workshops",
        {
            "engagement_id": eid,
            "kind": "kickoff",
            "title": "Kickoff",
            "starts_at": "2026-11-03T09:00:00+01:00",
            "ends_at": "2026-11-03T12:00:00+01:00",
        },
    )
    attendee = seed.create("/workshop-attendees", {"workshop_id": workshop["id"], "contact_id": contact["id"]})
    idea = seed.create("/ideas", {"engagement_id": eid, "title": "Idee", "impact": 4, "effort": 2, "data_readiness": 3})
    pilot = seed.create("/pilots", {"engagement_id": eid, "title": "Pilot", "owner_contact_id": contact["id"]})
    kpi = seed.create("/kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})
    measurements = [
        seed.create("/measurements", {"kpi_id": kpi["id"], "measured_on": day, "value": value})
        for day, value in (("2026-11-06", "62"), ("2026-11-13", "48"), ("2026-11-20", "41"))
    ]
    deliverable = seed.create(
        "/deliverables", {"engagement_id": eid, "title": "KI-Leitlinie", "kind": "guideline", "due_week": 2}
    )
    status = seed.create("/status-updates", {"engagement_id": eid, "iso_week": "2026-W48", "rag": "green"})
    assessment = seed.create(
        "/readiness-assessments",
        start_assessment(client["id"], eid),
    )
    document = seed.create(f"/engagements/{eid}/documents", {"kind": "proposal", "language": "de"}, status=202)
    return {
        "clients": client,
        "contacts": contact,
        "engagements": engagement,
        "workshops": workshop,
        "workshop-attendees": attendee,
        "ideas": idea,
        "pilots": pilot,
        "kpis": kpi,
        "measurements": measurements,
        "deliverables": deliverable,
        "status-updates": status,
        "readiness-assessments": assessment,
        "documents": document,
    }


def deliver(seed: Seeder, deliverable: dict[str, Any]) -> None:
    """Move a deliverable to "delivered", so the client can sign it off."""
    version = deliverable["version"]
    for state in ("in_progress", "in_review", "delivered"):
        moved = seed.post(f"/deliverables/{deliverable['id']}/transitions", {"to": state, "version": version}, 200)
        version = moved.json()["version"]
