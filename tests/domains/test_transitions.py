from tests.conftest import Api
from tests.factories import make_client, make_engagement


async def move(api: Api, resource: str, row: dict, to: str, reason: str | None = None) -> dict:
    body = {"to": to, "version": row["version"]} | ({"reason": reason} if reason else {})
    response = await api.post(f"/{resource}/{row['id']}/transitions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_engagement_walks_the_happy_path(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    for status in ("proposed", "active", "completed"):
        engagement = await move(api, "engagements", engagement, status)
        assert engagement["status"] == status
        assert engagement["status_changed_at"] is not None
    assert engagement["version"] == 4
    audit = (await api.get("/audit-events", "admin", params={"entity_type": "engagement"})).json()
    assert sorted(e["action"] for e in audit["items"] if e["action"].startswith("transition:")) == [
        "transition:active->completed",
        "transition:draft->proposed",
        "transition:proposed->active",
    ]


async def test_illegal_move_is_409_with_allowed_moves(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    response = await api.post(f"/engagements/{engagement['id']}/transitions", json={"to": "completed", "version": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "/problems/illegal-transition"
    assert "from 'draft' to 'completed'" in body["detail"]
    assert "cancelled, proposed" in body["detail"]
    assert (await api.get(f"/engagements/{engagement['id']}")).json()["status"] == "draft"


async def test_final_states_allow_nothing(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    engagement = await move(api, "engagements", engagement, "cancelled", reason="Budget gestrichen")
    assert engagement["cancel_reason"] == "Budget gestrichen"
    response = await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "draft", "version": engagement["version"]}
    )
    assert response.status_code == 409
    assert "none (final state)" in response.json()["detail"]


async def test_unknown_state_and_missing_reason_are_422(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    path = f"/engagements/{engagement['id']}/transitions"
    unknown = await api.post(path, json={"to": "paused", "version": 1})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["path"] == "body.to"
    no_reason = await api.post(path, json={"to": "cancelled", "version": 1})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["path"] == "body.reason"


async def test_transition_with_stale_version_is_409(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    await move(api, "engagements", engagement, "proposed")
    stale = await api.post(f"/engagements/{engagement['id']}/transitions", json={"to": "active", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["type"] == "/problems/version-conflict"


async def test_deliverable_rejection_and_acceptance(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    item = await api.create(
        "deliverables",
        {"engagement_id": engagement["id"], "title": "KI-Leitlinie", "kind": "guideline", "due_week": 4},
    )
    assert item["status"] == "planned"
    skip = await api.post(f"/deliverables/{item['id']}/transitions", json={"to": "accepted", "version": 1})
    assert skip.status_code == 409
    for status in ("in_progress", "in_review", "delivered"):
        item = await move(api, "deliverables", item, status)
    assert item["delivered_at"] is not None
    item = await move(api, "deliverables", item, "rejected", reason="Abschnitt Datenschutz fehlt")
    assert item["rejection_reason"] == "Abschnitt Datenschutz fehlt"
    for status in ("in_progress", "in_review", "delivered", "accepted"):
        item = await move(api, "deliverables", item, status)
    assert item["signed_off_at"] is not None and item["rejection_reason"] is None
    by_status = (await api.get("/deliverables", params={"status": "accepted", "due_week": 4})).json()
    assert by_status["total"] == 1


async def test_pilot_stage_flow(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    assert pilot["stage"] == "idea"
    jump = await api.post(f"/pilots/{pilot['id']}/transitions", json={"to": "production", "version": 1})
    assert jump.status_code == 409
    pilot = await move(api, "pilots", pilot, "prototype")
    pilot = await move(api, "pilots", pilot, "stopped", reason="Datenqualität reicht nicht")
    assert pilot["stop_reason"] == "Datenqualität reicht nicht"
    pilot = await move(api, "pilots", pilot, "idea")
    assert pilot["stage"] == "idea"
