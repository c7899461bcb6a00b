"""Edit forms of the engagement and pilot pages: PATCH with the hidden version, errors next to
the fields (422), conflicts keep what was typed (409), German decimal commas."""

from decimal import Decimal
from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement, sign_in

CONFLICT = "Jemand anderes hat diesen Datensatz inzwischen geändert"


async def setup(api: Api) -> dict[str, Any]:
    client = await make_client(api)
    return await make_engagement(api, client["id"])


async def test_edit_engagement_and_conflict(api: Api) -> None:
    token = await sign_in(api)
    engagement = await setup(api)
    eid = engagement["id"]
    page = await api.http.get(f"/engagements/{eid}")
    assert "Engagement bearbeiten" in page.text and 'id="ee-title"' in page.text
    assert 'value="KI-Einführung"' in page.text  # prefilled

    form = {
        "title": "KI-Einführung Vertrieb",
        "start_date": "2026-11-02",
        "duration_weeks": "8",
        "pricing_model": "fixed_fee",
        "fixed_fee": "25.500,00",
        "budget": "12.000,00",
        "hours_per_day": "7,5",
        "situation": "Angebote dauern zu lange",
        "version": str(engagement["version"]),
        "_csrf_token": token,
    }
    saved = await api.http.post(f"/engagements/{eid}/edit", data=form)
    assert saved.status_code == 303, saved.text
    stored = (await api.get(f"/engagements/{eid}")).json()
    assert stored["title"] == "KI-Einführung Vertrieb" and Decimal(stored["fixed_fee"]) == Decimal("25500.00")
    assert (Decimal(stored["budget"]), Decimal(stored["hours_per_day"])) == (Decimal("12000"), Decimal("7.5"))
    assert stored["situation"] == "Angebote dauern zu lange" and stored["review_before_send"] is False
    assert stored["version"] == engagement["version"] + 1

    # someone else saves in between; the stale form is refused and what was typed is kept
    stale = await api.http.post(f"/engagements/{eid}/edit", data={**form, "title": "Mein Titel"})
    assert stale.status_code == 409
    assert CONFLICT in stale.text and 'value="Mein Titel"' in stale.text
    assert (await api.get(f"/engagements/{eid}")).json()["title"] == "KI-Einführung Vertrieb"

    invalid = await api.http.post(
        f"/engagements/{eid}/edit", data={**form, "title": "", "version": str(stored["version"])}
    )
    assert invalid.status_code == 422 and 'id="ee-e-title"' in invalid.text


async def test_edit_workshop_times_are_checked(api: Api) -> None:
    token = await sign_in(api)
    engagement = await setup(api)
    eid = engagement["id"]
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": eid,
            "kind": "kickoff",
            "title": "Kick-off",
            "starts_at": "2026-11-03T08:00:00Z",
            "ends_at": "2026-11-03T10:00:00Z",
        },
    )
    wid = workshop["id"]
    page = await api.http.get(f"/engagements/{eid}")
    assert f'id="we{wid}-starts_at"' in page.text
    assert 'value="2026-11-03T09:00"' in page.text  # stored UTC shown in Berlin time

    form = {
        "kind": "kickoff",
        "title": "Kick-off",
        "starts_at": "2026-11-03T13:00",
        "ends_at": "2026-11-03T12:00",
        "version": str(workshop["version"]),
        "_csrf_token": token,
    }
    bad = await api.http.post(f"/engagements/{eid}/workshops/{wid}", data=form)
    assert bad.status_code == 422
    assert f'id="we{wid}-e-ends_at"' in bad.text and "ends_at must be after starts_at" in bad.text
    assert 'value="2026-11-03T13:00"' in bad.text

    good = await api.http.post(
        f"/engagements/{eid}/workshops/{wid}", data={**form, "ends_at": "2026-11-03T16:00", "feedback_score": "4,5"}
    )
    assert good.status_code == 303
    stored = (await api.get(f"/workshops/{wid}")).json()
    assert stored["starts_at"].startswith("2026-11-03T12:00") and Decimal(stored["feedback_score"]) == Decimal("4.5")

    other = await make_engagement(api, engagement["client_id"], title="Anderes")
    foreign = await api.http.post(f"/engagements/{other['id']}/workshops/{wid}", data=form)
    assert foreign.status_code == 404


async def test_reject_a_delivered_deliverable_needs_a_reason(api: Api) -> None:
    token = await sign_in(api)
    engagement = await setup(api)
    eid = engagement["id"]
    item = await api.create(
        "deliverables", {"engagement_id": eid, "title": "KI-Leitlinie", "kind": "guideline", "due_week": 4}
    )
    for version, target in enumerate(("in_progress", "in_review", "delivered"), start=1):
        moved = await api.post(f"/deliverables/{item['id']}/transitions", json={"to": target, "version": version})
        assert moved.status_code == 200, moved.text
    page = await api.http.get(f"/engagements/{eid}")
    assert "→ Abgelehnt" in page.text and "→ Abgenommen" in page.text

    url = f"/engagements/{eid}/deliverables/{item['id']}/transition"
    refused = await api.http.post(url, data={"to": "rejected", "version": "4", "reason": "", "_csrf_token": token})
    assert refused.status_code == 422 and "Bitte geben Sie einen Grund an." in refused.text
    assert (await api.get(f"/deliverables/{item['id']}")).json()["status"] == "delivered"

    rejected = await api.http.post(
        url, data={"to": "rejected", "version": "4", "reason": "Zu allgemein", "_csrf_token": token}
    )
    assert rejected.status_code == 303
    stored = (await api.get(f"/deliverables/{item['id']}")).json()
    assert stored["status"] == "rejected" and stored["rejection_reason"] == "Zu allgemein"

    edited = await api.http.post(
        f"/engagements/{eid}/deliverables/{item['id']}",
        data={
            "title": "KI-Leitlinie v2",
            "kind": "guideline",
            "due_week": "5",
            "description": "",
            "version": str(stored["version"]),
            "_csrf_token": token,
        },
    )
    assert edited.status_code == 303
    stored = (await api.get(f"/deliverables/{item['id']}")).json()
    assert stored["title"] == "KI-Leitlinie v2" and stored["due_week"] == 5


async def test_edit_pilot_and_kpi(api: Api) -> None:
    token = await sign_in(api)
    engagement = await setup(api)
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    kpi = await api.create(
        "kpis",
        {
            "pilot_id": pilot["id"],
            "name": "Zeit pro Angebot",
            "unit": "minutes",
            "baseline_value": "90",
            "hourly_cost": "65.00",
        },
    )
    page = await api.http.get(f"/pilots/{pilot['id']}")
    assert 'id="pe-title"' in page.text and f'id="ke{kpi["id"]}-hourly_cost"' in page.text

    bad = await api.http.post(
        f"/pilots/{pilot['id']}/edit",
        data={
            "title": "Angebotsassistent",
            "process_area": "other",
            "start_week": "5",
            "end_week": "3",
            "version": str(pilot["version"]),
            "_csrf_token": token,
        },
    )
    assert bad.status_code == 422 and 'id="pe-e-end_week"' in bad.text
    good = await api.http.post(
        f"/pilots/{pilot['id']}/edit",
        data={
            "title": "Angebots-KI",
            "process_area": "other",
            "start_week": "3",
            "end_week": "5",
            "version": str(pilot["version"]),
            "_csrf_token": token,
        },
    )
    assert good.status_code == 303
    assert (await api.get(f"/pilots/{pilot['id']}")).json()["title"] == "Angebots-KI"

    saved = await api.http.post(
        f"/pilots/{pilot['id']}/kpis/{kpi['id']}",
        data={
            "name": "Zeit pro Angebot",
            "unit": "minutes",
            "direction": "lower_is_better",
            "baseline_value": "90",
            "hourly_cost": "70,50",
            "run_cost_monthly": "0",
            "version": str(kpi["version"]),
            "_csrf_token": token,
        },
    )
    assert saved.status_code == 303, saved.text
    stored = (await api.get(f"/kpis/{kpi['id']}")).json()
    assert Decimal(stored["hourly_cost"]) == Decimal("70.50") and stored["version"] == kpi["version"] + 1
