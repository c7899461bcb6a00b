from tests.conftest import Api
from tests.factories import make_client, make_engagement

LEVERS = {"priorities": 1, "responsibility": 1, "people_enabled": 2, "pilots_in_production": 0, "kpi_practice": 1}


async def test_readiness_start_vs_end(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    base = {"client_id": client["id"], "engagement_id": engagement["id"]}
    path = f"/engagements/{engagement['id']}/readiness"
    empty = (await api.get(path)).json()
    assert (empty["start"], empty["end"], empty["delta"]) == (None, None, None)
    start = await api.create("readiness-assessments", base | LEVERS | {"phase": "start", "assessed_on": "2026-11-02"})
    assert start["total"] == 5
    half = (await api.get(path)).json()
    assert half["start"]["id"] == start["id"] and half["delta"] is None
    end_scores = {
        "priorities": 4,
        "responsibility": 5,
        "people_enabled": 3,
        "pilots_in_production": 2,
        "kpi_practice": 3,
    }
    await api.create("readiness-assessments", base | end_scores | {"phase": "end", "assessed_on": "2026-12-21"})
    full = (await api.get(path)).json()
    assert full["delta"] == {
        "priorities": 3,
        "responsibility": 4,
        "people_enabled": 1,
        "pilots_in_production": 2,
        "kpi_practice": 2,
        "total": 12,
    }
    duplicate = await api.post(
        "/readiness-assessments", json=base | LEVERS | {"phase": "start", "assessed_on": "2026-11-03"}
    )
    assert duplicate.status_code == 409


async def test_readiness_validation(api: Api) -> None:
    client = await make_client(api)
    other = await make_client(api, "Andere GmbH")
    engagement = await make_engagement(api, other["id"])
    body = {"client_id": client["id"], "engagement_id": engagement["id"], "phase": "start", "assessed_on": "2026-11-02"}
    wrong_client = await api.post("/readiness-assessments", json=body | LEVERS)
    assert wrong_client.status_code == 422
    assert wrong_client.json()["errors"][0]["path"] == "body.engagement_id"
    out_of_range = await api.post(
        "/readiness-assessments", json=body | LEVERS | {"priorities": 6, "engagement_id": None}
    )
    assert out_of_range.status_code == 422 and out_of_range.json()["errors"][0]["path"] == "body.priorities"
    bad_phase = await api.post("/readiness-assessments", json=body | LEVERS | {"phase": "mid", "engagement_id": None})
    assert bad_phase.status_code == 422


async def test_readiness_of_other_clients_engagement_is_404(api: Api, password_hash: str) -> None:
    mine = await make_client(api)
    theirs = await make_client(api, "Fremd GmbH")
    engagement = await make_engagement(api, theirs["id"])
    await api.add_user("kunde", "client", password_hash, client_id=mine["id"])
    assert (await api.get(f"/engagements/{engagement['id']}/readiness", "kunde")).status_code == 404


async def test_an_assessment_names_only_its_clients_engagement(api: Api) -> None:
    mine, other = await make_client(api, "Alpha GmbH"), await make_client(api, "Beta GmbH")
    foreign = await make_engagement(api, other["id"])
    body = {"client_id": mine["id"], "phase": "start", "assessed_on": "2026-11-02"} | LEVERS
    refused = await api.post("/readiness-assessments", json=body | {"engagement_id": foreign["id"]})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"path": "body.engagement_id", "message": f"engagement {foreign['id']} is not for client {mine['id']}"}
    ]
    own = await make_engagement(api, mine["id"])
    created = await api.create("readiness-assessments", body | {"engagement_id": own["id"]})
    moved = await api.patch(
        f"/readiness-assessments/{created['id']}", json={"engagement_id": foreign["id"], "version": 1}
    )
    assert moved.status_code == 422 and moved.json()["errors"][0]["path"] == "body.engagement_id"
