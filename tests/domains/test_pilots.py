from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement


async def engagement_with_ideas(api: Api) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    ideas = [
        await api.create(
            "ideas", {"engagement_id": engagement["id"], "title": title, "impact": i, "effort": e, "data_readiness": d}
        )
        for title, i, e, d in [("Klein", 2, 4, 2), ("Groß", 5, 2, 4), ("Mittel", 4, 3, 3)]
    ]
    return engagement, ideas


async def test_ideas_are_scored_and_ranked(api: Api) -> None:
    engagement, ideas = await engagement_with_ideas(api)
    # (50·(i−1) + 30·(d−1) + 20·(5−e) + 2) // 4: 102//4, 352//4, 252//4
    assert [i["score"] for i in ideas] == [25, 88, 63]
    ranked = (await api.get("/ideas", params={"engagement_id": engagement["id"]})).json()
    assert [i["title"] for i in ranked["items"]] == ["Groß", "Mittel", "Klein"]
    rescored = await api.patch(
        f"/ideas/{ideas[0]['id']}", json={"impact": 5, "effort": 1, "data_readiness": 5, "version": 1}
    )
    assert rescored.json()["score"] == 100


async def test_promote_idea_once(api: Api) -> None:
    engagement, ideas = await engagement_with_ideas(api)
    idea = ideas[1]
    response = await api.post(f"/ideas/{idea['id']}/promote", json={"version": 1, "start_week": 3})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["pilot"]["title"] == "Groß"
    assert body["pilot"]["engagement_id"] == engagement["id"]
    assert (body["pilot"]["stage"], body["pilot"]["start_week"]) == ("idea", 3)
    assert body["idea"]["pilot_id"] == body["pilot"]["id"]
    assert body["idea"]["version"] == 2
    again = await api.post(f"/ideas/{idea['id']}/promote", json={"version": 2})
    assert again.status_code == 409
    assert f"already promoted to pilot {body['pilot']['id']}" in again.json()["detail"]
    stale = await api.post(f"/ideas/{ideas[0]['id']}/promote", json={"version": 5})
    assert stale.status_code == 409
    assert (await api.get("/pilots", params={"engagement_id": engagement["id"]})).json()["total"] == 1
    actions = [e["action"] for e in (await api.get("/audit-events", "admin", params={"sort": "id"})).json()["items"]]
    assert actions[-2:] == ["create", "promote"]


async def test_promotion_validates_like_pilot_creation(api: Api) -> None:
    _, ideas = await engagement_with_ideas(api)
    response = await api.post(f"/ideas/{ideas[0]['id']}/promote", json={"version": 1, "start_week": 5, "end_week": 2})
    assert response.status_code == 422
    assert (await api.get("/pilots")).json()["total"] == 0
    assert (await api.get(f"/ideas/{ideas[0]['id']}")).json()["pilot_id"] is None


async def test_measurement_corrections_keep_history(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "P"})
    kpi = await api.create("kpis", {"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"})
    original = await api.create(
        "measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41", "sample_size": 12}
    )
    response = await api.post(
        f"/measurements/{original['id']}/corrections", json={"version": 1, "value": "43", "note": "doppelt gezählt"}
    )
    assert response.status_code == 201, response.text
    correction = response.json()
    assert (correction["value"], correction["corrects_id"], correction["sample_size"]) == (
        "43.0000",
        original["id"],
        12,
    )
    assert correction["measured_on"] == "2026-11-20" and correction["note"] == "doppelt gezählt"
    old = (await api.get(f"/measurements/{original['id']}")).json()
    assert (old["value"], old["superseded"], old["version"]) == ("41.0000", True, 2)
    current = (await api.get("/measurements", params={"kpi_id": kpi["id"], "superseded": False})).json()
    assert [m["id"] for m in current["items"]] == [correction["id"]]
    twice = await api.post(
        f"/measurements/{original['id']}/corrections", json={"version": 2, "value": "44", "note": "noch mal"}
    )
    assert twice.status_code == 409
    no_reason = await api.post(f"/measurements/{correction['id']}/corrections", json={"version": 1, "value": "44"})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["path"] == "body.note"
