"""The funnel from ideas to production: counts per workshop and engagement, conversion rates,
and across engagements for the consultancy's reporting."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement, sign_in


async def _workshop(api: Api, engagement_id: int, title: str) -> dict[str, Any]:
    body = {
        "engagement_id": engagement_id,
        "kind": "use_case_discovery",
        "title": title,
        "starts_at": "2026-11-03T09:00:00+01:00",
        "ends_at": "2026-11-03T12:00:00+01:00",
    }
    return await api.create("workshops", body)


async def _idea(api: Api, engagement_id: int, workshop_id: int | None, title: str) -> dict[str, Any]:
    body = {"engagement_id": engagement_id, "workshop_id": workshop_id, "title": title, "impact": 4, "effort": 2}
    return await api.create("ideas", body | {"data_readiness": 3})


async def _pilot_at(api: Api, idea: dict[str, Any], stages: list[str]) -> dict[str, Any]:
    promoted = await api.post(f"/ideas/{idea['id']}/promote", json={"version": idea["version"]})
    assert promoted.status_code == 201, promoted.text
    pilot = promoted.json()["pilot"]
    for stage in stages:
        body = {"to": stage, "version": pilot["version"]} | ({"reason": "kein Nutzen"} if stage == "stopped" else {})
        moved = await api.post(f"/pilots/{pilot['id']}/transitions", json=body)
        assert moved.status_code == 200, moved.text
        pilot = moved.json()
    return pilot


async def test_ideas_per_workshop_become_pilots_and_production(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    eid = engagement["id"]
    first, second = (
        await _workshop(api, eid, "Ideenwerkstatt Vertrieb"),
        await _workshop(api, eid, "Ideenwerkstatt Service"),
    )
    a, b, c = [await _idea(api, eid, first["id"], f"Idee {n}") for n in "ABC"]
    await _idea(api, eid, second["id"], "Idee D")
    loose = await _idea(api, eid, None, "Idee E")
    await _pilot_at(api, a, ["prototype", "pilot", "production"])
    await _pilot_at(api, b, ["stopped"])
    await _pilot_at(api, loose, ["prototype"])
    await api.create("pilots", {"engagement_id": eid, "title": "Ohne Idee"})
    assert c["pilot_id"] is None

    found = (await api.get(f"/engagements/{eid}/funnel")).json()
    assert (found["ideas"], found["pilots"], found["production"], found["stopped"]) == (5, 3, 1, 1)
    assert (
        found["idea_to_pilot_percent"],
        found["pilot_to_production_percent"],
        found["idea_to_production_percent"],
    ) == (
        "60.0",
        "33.3",
        "20.0",
    )
    assert found["pilots_without_idea"] == 1
    by_workshop = {w["title"]: (w["ideas"], w["pilots"], w["production"]) for w in found["workshops"]}
    assert by_workshop == {"Ideenwerkstatt Vertrieb": (3, 2, 1), "Ideenwerkstatt Service": (1, 0, 0), None: (1, 1, 0)}

    other = await make_engagement(api, client["id"], start_date="2025-03-03")
    await _pilot_at(api, await _idea(api, other["id"], None, "Alt"), ["prototype", "pilot", "production"])
    across = (await api.get("/funnel")).json()
    assert (across["total"]["ideas"], across["total"]["production"]) == (6, 2)
    assert across["pilots_without_idea"] == 1  # beside the funnel, named with it
    assert across["total"]["idea_to_production_percent"] == "33.3"
    recent = (await api.get("/funnel", params={"started_from": "2026-01-01"})).json()
    assert [e["engagement_id"] for e in recent["engagements"]] == [eid]
    assert (await api.get("/funnel", params={"started_from": "kein Datum"})).status_code == 422
    backwards = await api.get("/funnel", params={"started_from": "2026-06-01", "started_until": "2026-01-01"})
    assert backwards.status_code == 422
    assert (await api.get("/funnel", None)).status_code == 401
    await sign_in(api)
    board = " ".join((await api.http.get("/")).text.split())
    assert "Aus Workshop-Ideen: 6 Ideen → 4 Piloten (66,7 %) → 2 im Betrieb (50,0 % der Piloten)" in board
    assert "dazu 1 Pilot ohne Idee aus einem Workshop" in board


async def test_an_engagement_without_ideas_has_an_empty_funnel_and_clients_see_only_their_own(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    empty = (await api.get(f"/engagements/{engagement['id']}/funnel")).json()
    assert (empty["ideas"], empty["idea_to_pilot_percent"], empty["workshops"]) == (0, None, [])
    assert (await api.get("/engagements/999999/funnel")).status_code == 404
