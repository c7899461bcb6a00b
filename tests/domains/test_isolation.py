"""A client user sees exactly their own client's data and learns nothing about others."""

import pytest

from tests.conftest import Api
from tests.factories import RESOURCES, build_client_world, make_engagement, propose
from tests.shapes import start_assessment


@pytest.fixture
async def two_clients(api: Api, password_hash: str) -> tuple[dict, dict]:
    a = await build_client_world(api, "Alpha GmbH")
    b = await build_client_world(api, "Beta GmbH")
    await api.add_user("client_a", "client", password_hash, client_id=a["clients"]["id"])
    return a, b


async def test_client_user_reads_only_own_rows(api: Api, two_clients: tuple[dict, dict]) -> None:
    a, b = two_clients
    for resource in RESOURCES:
        own = await api.get(f"/{resource}/{a[resource]['id']}", "client_a")
        assert own.status_code == 200, resource
        other = await api.get(f"/{resource}/{b[resource]['id']}", "client_a")
        assert other.status_code == 404, resource
        assert "Beta" not in other.text
        listed = (await api.get(f"/{resource}", "client_a")).json()
        assert [row["id"] for row in listed["items"]] == [a[resource]["id"]], resource
        assert listed["total"] == 1


async def test_two_client_users_listing_in_turn_each_see_their_own(
    api: Api, two_clients: tuple[dict, dict], password_hash: str
) -> None:
    a, b = two_clients
    await api.add_user("client_b", "client", password_hash, client_id=b["clients"]["id"])
    for resource in RESOURCES:
        for who, world in [("client_a", a), ("client_b", b), ("client_a", a)]:
            listed = (await api.get(f"/{resource}", who)).json()
            assert [row["id"] for row in listed["items"]] == [world[resource]["id"]], (resource, who)
            assert listed["total"] == 1


async def test_status_updates_under_review_reach_clients_only_once_approved(
    api: Api, two_clients: tuple[dict, dict]
) -> None:
    a, _ = two_clients
    reviewed = await propose(api, await make_engagement(api, a["clients"]["id"], review_before_send=True))
    draft = await api.create("status-updates", {"engagement_id": reviewed["id"], "iso_week": "2026-W48", "rag": "red"})

    async def seen() -> tuple[list[int], int]:
        listed = (await api.get("/status-updates", "client_a", params={"engagement_id": reviewed["id"]})).json()
        return [row["id"] for row in listed["items"]], (
            await api.get(f"/status-updates/{draft['id']}", "client_a")
        ).status_code

    assert await seen() == ([], 404)
    approved = await api.post(f"/status-updates/{draft['id']}/approve", json={"version": draft["version"]})
    assert approved.status_code == 200
    assert await seen() == ([draft["id"]], 200)


async def test_filtering_by_another_clients_id_shows_nothing(api: Api, two_clients: tuple[dict, dict]) -> None:
    _, b = two_clients
    listed = (await api.get("/engagements", "client_a", params={"client_id": b["clients"]["id"]})).json()
    assert listed == {"items": [], "total": 0, "limit": 20, "offset": 0, "next_cursor": None}


async def test_client_user_cannot_write_anything(api: Api, two_clients: tuple[dict, dict]) -> None:
    a, b = two_clients
    for world in (a, b):
        engagement = world["engagements"]
        patch = await api.patch(f"/engagements/{engagement['id']}", "client_a", json={"title": "x", "version": 1})
        assert patch.status_code == 403
        move = await api.post(
            f"/engagements/{engagement['id']}/transitions", "client_a", json={"to": "proposed", "version": 1}
        )
        assert move.status_code == 403
    created = await api.post("/clients", "client_a", json={"name": "Neu"})
    assert created.status_code == 403
    assert (await api.get("/users", "client_a")).status_code == 403
    assert (await api.get("/audit-events", "client_a")).status_code == 403


async def test_contacts_cannot_cross_clients(api: Api, two_clients: tuple[dict, dict]) -> None:
    a, b = two_clients
    response = await api.post(
        "/pilots",
        json={"engagement_id": a["engagements"]["id"], "title": "X", "owner_contact_id": b["contacts"]["id"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "body.owner_contact_id"
    attendee = await api.post(
        "/workshop-attendees", json={"workshop_id": a["workshops"]["id"], "contact_id": b["contacts"]["id"]}
    )
    assert attendee.status_code == 422


async def test_client_users_do_not_read_the_consultancys_internal_fields(api: Api, password_hash: str) -> None:
    client = await api.create("clients", {"name": "Alpha GmbH", "notes": "Zahlt spät; Budget knapp"})
    engagement = await propose(api, await make_engagement(api, client["id"], budget="18000.00"))
    await api.create(
        "readiness-assessments",
        start_assessment(client["id"], engagement["id"], notes="GF skeptisch"),
    )
    await api.add_user("client_a", "client", password_hash, client_id=client["id"])
    internal = {"clients": "notes", "engagements": "budget", "readiness-assessments": "notes"}
    for resource, field in internal.items():
        staff_list = (await api.get(f"/{resource}")).json()["items"]
        assert staff_list[0][field], (resource, field)
        listed = (await api.get(f"/{resource}", "client_a")).json()["items"]
        one = (await api.get(f"/{resource}/{listed[0]['id']}", "client_a")).json()
        assert field not in listed[0] and field not in one, (resource, field)
    readiness = (await api.get(f"/engagements/{engagement['id']}/readiness", "client_a")).json()
    assert readiness["start"]["notes"] is None
    assert (await api.get(f"/engagements/{engagement['id']}/readiness")).json()["start"]["notes"] == "GF skeptisch"
    for leak in ("Zahlt spät", "18000", "GF skeptisch"):
        for path in ("/clients", "/engagements", f"/engagements/{engagement['id']}"):
            assert leak not in (await api.get(path, "client_a")).text
