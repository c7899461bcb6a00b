"""Time entries and cost rates through the API: whose time it is, what a locked entry allows,
what an engagement's burn says."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_client, make_engagement

TODAY = berlin_today()


async def engagement(api: Api, **overrides: Any) -> dict[str, Any]:
    client = await make_client(api)
    return await make_engagement(api, client["id"], start_date=str(TODAY - timedelta(days=14)), **overrides)


def entry(engagement_id: int, minutes: int = 120, **more: Any) -> dict[str, Any]:
    return {"engagement_id": engagement_id, "day": str(TODAY), "minutes": minutes, "description": "Workshop"} | more


async def lock(api: Api, entry_id: int) -> None:
    async with api.engine.begin() as conn:
        await conn.execute(
            text("UPDATE time_entries SET locked_at = CURRENT_TIMESTAMP, lock_reason = 'approved' WHERE id = :id"),
            {"id": entry_id},
        )


async def test_a_consultant_records_their_own_time(api: Api, password_hash: str) -> None:
    e = await engagement(api)
    mine = await api.create("time-entries", entry(e["id"]))
    assert (mine["user_id"], mine["minutes"], mine["billable"], mine["locked_at"]) == (
        api.users["consultant"],
        120,
        True,
        None,
    )
    colleague = await api.add_user("colleague", "consultant", password_hash)
    refused = await api.post("/time-entries", json=entry(e["id"], user_id=colleague))
    assert refused.status_code == 403 and "only as their own" in refused.json()["detail"]
    # An admin records for anyone on the team, and no one else.
    theirs = await api.create("time-entries", entry(e["id"], user_id=colleague), who="admin")
    assert theirs["user_id"] == colleague
    client_user = await api.add_user("kunde", "client", password_hash, client_id=e["client_id"])
    not_team = await api.post("/time-entries", "admin", json=entry(e["id"], user_id=client_user))
    assert not_team.status_code == 422 and "not a member of the consultancy team" in not_team.text
    # Colleagues read each other's time (one team), but change only their own.
    listed = await api.get(f"/time-entries?engagement_id={e['id']}&sort=id")
    assert [row["id"] for row in listed.json()["items"]] == [mine["id"], theirs["id"]]
    hands_off = await api.patch(f"/time-entries/{theirs['id']}", json={"minutes": 30, "version": 1})
    assert hands_off.status_code == 403
    assert (await api.delete(f"/time-entries/{theirs['id']}")).status_code == 403
    fixed = await api.patch(f"/time-entries/{theirs['id']}", "admin", json={"minutes": 30, "version": 1})
    assert fixed.status_code == 200 and fixed.json()["minutes"] == 30
    moved = await api.patch(f"/time-entries/{mine['id']}", json={"user_id": colleague, "version": 1})
    assert moved.status_code == 422  # the owner is fixed for good


async def test_clients_see_no_time_and_no_rates(api: Api, password_hash: str) -> None:
    e = await engagement(api)
    await api.create("time-entries", entry(e["id"]))
    await api.add_user("kunde", "client", password_hash, client_id=e["client_id"])
    for path in ("/time-entries", f"/engagements/{e['id']}/burn", "/cost-rates"):
        assert (await api.get(path, "kunde")).status_code == 403, path
    assert (await api.get("/cost-rates")).status_code == 403  # what a colleague costs: admins only


async def test_entries_are_refused_with_the_field_at_fault(api: Api) -> None:
    e = await engagement(api)
    other = await engagement(api)
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": other["id"],
            "kind": "kickoff",
            "title": "Kickoff",
            "starts_at": f"{TODAY}T09:00:00+01:00",
            "ends_at": f"{TODAY}T10:00:00+01:00",
        },
    )
    cases = {
        "body.day": entry(e["id"], day=str(TODAY + timedelta(days=1))),
        "body.workshop_id": entry(e["id"], workshop_id=workshop["id"]),
        "body.minutes": entry(e["id"], minutes=1441),
    }
    for path, body in cases.items():
        response = await api.post("/time-entries", json=body)
        assert response.status_code == 422, body
        assert path in response.text, response.text
    for body in (entry(e["id"], minutes=0), entry(e["id"], minutes=-30), entry(e["id"], pilot_id=1, workshop_id=1)):
        assert (await api.post("/time-entries", json=body)).status_code == 422, body
    linked = await api.create("time-entries", entry(other["id"], workshop_id=workshop["id"]))
    assert linked["workshop_id"] == workshop["id"]
    # Moving it to another engagement would leave its workshop behind: refused.
    moved = await api.patch(f"/time-entries/{linked['id']}", json={"engagement_id": e["id"], "version": 1})
    assert moved.status_code == 422 and "body.workshop_id" in moved.text


async def test_a_locked_entry_is_corrected_never_overwritten(api: Api) -> None:
    e = await engagement(api)
    original = await api.create("time-entries", entry(e["id"], minutes=240))
    unlocked = await api.post("/time-entries", json=entry(e["id"], minutes=-60, corrects_id=original["id"]))
    assert unlocked.status_code == 422 and "not locked" in unlocked.text
    await lock(api, original["id"])
    changed = await api.patch(f"/time-entries/{original['id']}", json={"minutes": 180, "version": 1})
    assert changed.status_code == 409 and f'"corrects_id": {original["id"]}' in changed.json()["detail"]
    assert (await api.delete(f"/time-entries/{original['id']}")).status_code == 409
    correction = await api.create("time-entries", entry(e["id"], minutes=-60, corrects_id=original["id"]))
    assert correction["corrects_id"] == original["id"]
    too_much = await api.post("/time-entries", json=entry(e["id"], minutes=-181, corrects_id=original["id"]))
    assert too_much.status_code == 422 and "180 minutes" in too_much.text
    of_a_correction = await api.post("/time-entries", json=entry(e["id"], minutes=10, corrects_id=correction["id"]))
    assert of_a_correction.status_code == 422
    elsewhere = await engagement(api)
    moved = await api.post("/time-entries", json=entry(elsewhere["id"], minutes=10, corrects_id=original["id"]))
    assert moved.status_code == 422
    stored = (await api.get(f"/time-entries/{original['id']}")).json()
    assert (stored["minutes"], stored["version"], stored["lock_reason"]) == (240, 1, "approved")
    burn = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert burn["hours"] == "3.00"


async def test_cost_rates_are_dated_and_one_per_day(api: Api) -> None:
    consultant = api.users["consultant"]
    await api.create("cost-rates", {"user_id": consultant, "valid_from": "2026-01-01", "hourly_cost": "80.00"}, "admin")
    again = await api.post(
        "/cost-rates", "admin", json={"user_id": consultant, "valid_from": "2026-01-01", "hourly_cost": "90.00"}
    )
    assert again.status_code == 409
    assert (
        await api.post("/cost-rates", json={"user_id": consultant, "valid_from": "2026-02-01", "hourly_cost": "1"})
    ).status_code == 403


async def test_burn_of_an_engagement(api: Api) -> None:
    """A fixed fee of 24,000 € (the factory's engagement), 10 hours at 100 €/h."""
    e = await engagement(api)
    consultant = api.users["consultant"]
    await api.create(
        "cost-rates",
        {"user_id": consultant, "valid_from": str(TODAY - timedelta(days=365)), "hourly_cost": "100.00"},
        "admin",
    )
    await api.create("time-entries", entry(e["id"], minutes=360, day=str(TODAY - timedelta(days=7))))
    await api.create("time-entries", entry(e["id"], minutes=240, billable=False))
    burn = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert (burn["basis"], burn["unit"], burn["budget"]) == ("fee", "EUR", e["fixed_fee"])
    assert (burn["hours"], burn["billable_hours"], burn["cost"], burn["spent"]) == (
        "10.00",
        "6.00",
        "1000.00",
        "1000.00",
    )
    assert (burn["value"], burn["margin"]) == ("24000.00", "23000.00")
    assert [c["name"] for c in burn["consultants"]] == ["Consultant"]
    assert sum(float(w["hours"]) for w in burn["weeks"]) == 10
    assert burn["state"] == "ok" and burn["unrated_hours"] == "0.00"
    assert (await api.get("/engagements/987654/burn")).status_code == 404


async def test_burn_reads_a_fixed_number_of_statements(api: Api) -> None:
    e = await engagement(api)
    counts = []
    for _ in range(2):
        for day in range(5):
            await api.create("time-entries", entry(e["id"], minutes=30, day=str(TODAY - timedelta(days=day))))
        with api.count_queries() as counted:
            assert (await api.get(f"/engagements/{e['id']}/burn")).status_code == 200
        counts.append(counted.count)
    assert counts[0] == counts[1], counts


async def test_corrections_at_the_same_moment_never_take_an_entry_below_zero(api: Api) -> None:
    import asyncio

    e = await engagement(api)
    original = await api.create("time-entries", entry(e["id"], minutes=240))
    await lock(api, original["id"])
    answers = await asyncio.gather(
        *(api.post("/time-entries", json=entry(e["id"], minutes=-60, corrects_id=original["id"])) for _ in range(10))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 4, statuses
    assert set(statuses) <= {201, 422, 503}, statuses
    burn = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert burn["hours"] == "0.00"


async def test_a_correction_changed_or_deleted_keeps_its_entry_at_zero_or_more(api: Api) -> None:
    e = await engagement(api)
    original = await api.create("time-entries", entry(e["id"], minutes=60))
    await lock(api, original["id"])
    plus = await api.create("time-entries", entry(e["id"], minutes=60, corrects_id=original["id"]))
    minus = await api.create("time-entries", entry(e["id"], minutes=-120, corrects_id=original["id"]))
    deeper = await api.patch(f"/time-entries/{minus['id']}", json={"minutes": -121, "version": 1})
    assert deeper.status_code == 422 and "120 minutes" in deeper.text  # 60 + 60 without this one
    assert (await api.patch(f"/time-entries/{minus['id']}", json={"minutes": -90, "version": 1})).status_code == 200
    assert (await api.delete(f"/time-entries/{plus['id']}")).status_code == 409  # 60 − 90 < 0
    assert (await api.delete(f"/time-entries/{minus['id']}")).status_code == 204
    assert (await api.delete(f"/time-entries/{plus['id']}")).status_code == 204
    assert (await api.get(f"/engagements/{e['id']}/burn")).json()["hours"] == "1.00"


async def test_a_correction_counts_on_its_entrys_day_and_billing(api: Api) -> None:
    e = await engagement(api)
    original = await api.create(
        "time-entries", entry(e["id"], minutes=120, billable=False, day=str(TODAY - timedelta(days=3)))
    )
    await lock(api, original["id"])
    fix = entry(e["id"], minutes=-60, corrects_id=original["id"], billable=False, day=original["day"])
    other_day = await api.post("/time-entries", json=fix | {"day": str(TODAY)})
    assert other_day.status_code == 422 and "body.day" in other_day.text
    billed = await api.post("/time-entries", json=fix | {"billable": True})
    assert billed.status_code == 422 and "body.billable" in billed.text
    correction = await api.create("time-entries", fix)
    moved = await api.patch(f"/time-entries/{correction['id']}", json={"day": str(TODAY), "version": 1})
    assert moved.status_code == 422
    elsewhere = await engagement(api)
    moved = await api.patch(f"/time-entries/{correction['id']}", json={"engagement_id": elsewhere["id"], "version": 1})
    assert moved.status_code == 422
    burn = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert (burn["hours"], burn["billable_hours"]) == ("1.00", "0.00")


async def test_only_admins_see_what_each_consultants_time_cost(api: Api) -> None:
    e = await engagement(api)
    await api.create(
        "cost-rates", {"user_id": api.users["admin"], "valid_from": "2026-01-01", "hourly_cost": "110.00"}, "admin"
    )
    await api.create("time-entries", entry(e["id"], minutes=270, user_id=api.users["admin"]), "admin")
    seen = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert [c["cost"] for c in seen["consultants"]] == [None] and seen["consultants"][0]["hours"] == "4.50"
    assert [c["cost"] for c in (await api.get(f"/engagements/{e['id']}/burn", "admin")).json()["consultants"]] == [
        "495.00"
    ]


async def test_nobody_works_more_than_a_day_a_day(api: Api) -> None:
    e, other = await engagement(api), await engagement(api)
    await api.create("time-entries", entry(e["id"], minutes=1000))
    more = await api.post("/time-entries", json=entry(other["id"], minutes=441))
    assert more.status_code == 422 and "1000 minutes are recorded" in more.text
    last = await api.create("time-entries", entry(other["id"], minutes=440))
    assert (await api.patch(f"/time-entries/{last['id']}", json={"minutes": 441, "version": 1})).status_code == 422
    assert (await api.patch(f"/time-entries/{last['id']}", json={"minutes": 400, "version": 1})).status_code == 200


async def test_a_day_holds_24_hours_also_at_the_same_moment_and_in_corrections(api: Api) -> None:
    e, other = await engagement(api), await engagement(api)
    day = str(TODAY - timedelta(days=3))
    at_once = await asyncio.gather(
        *(api.post("/time-entries", json=entry([e, other][i % 2]["id"], minutes=1000, day=day)) for i in range(6))
    )
    assert sorted(r.status_code for r in at_once) == [201] + [422] * 5, [r.text for r in at_once]
    # A correction adding time counts toward its day too.
    original = await api.create("time-entries", entry(e["id"], minutes=30, day=str(TODAY - timedelta(days=4))))
    await lock(api, original["id"])
    correction = entry(e["id"], minutes=1411, day=original["day"], corrects_id=original["id"], description="Mehr")
    assert (await api.post("/time-entries", json=correction)).status_code == 422
    assert (await api.post("/time-entries", json=correction | {"minutes": 1410})).status_code == 201


async def test_taking_time_off_back_keeps_the_day_within_24_hours(api: Api) -> None:
    e = await engagement(api)
    day = str(TODAY - timedelta(days=5))
    original = await api.create("time-entries", entry(e["id"], minutes=1440, day=day))
    await lock(api, original["id"])
    off = await api.create(
        "time-entries", entry(e["id"], minutes=-1000, day=day, corrects_id=original["id"], description="Weniger")
    )
    await api.create("time-entries", entry(e["id"], minutes=1000, day=day))
    back = await api.patch(f"/time-entries/{off['id']}", json={"minutes": -1, "version": off["version"]})
    assert back.status_code == 422 and "a day has 1440" in back.text
    gone = await api.delete(f"/time-entries/{off['id']}", params={"version": off["version"]})
    assert gone.status_code == 409 and "would hold 2440 minutes" in gone.text


async def test_colleagues_recording_on_one_engagement_at_once_all_get_through(api: Api, password_hash: str) -> None:
    e = await engagement(api)
    names = [f"kollege{n}" for n in range(5)]
    for name in names:
        await api.add_user(name, "consultant", password_hash)
    answers = await asyncio.gather(
        *(api.post("/time-entries", name, json=entry(e["id"], minutes=90)) for name in names),
        api.post("/time-entries/bulk", json={"entries": [entry(e["id"], minutes=30), entry(e["id"], minutes=45)]}),
    )
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers if a.status_code != 201]
