"""Every list endpoint issues the same number of queries whether it returns 1 row or 20."""

import re

from tests.conftest import Api
from tests.factories import RESOURCES, build_client_world, make_client, make_engagement, propose, sign_in

LISTS = [
    *RESOURCES,
    "users",
    "audit-events",
    "documents",
    "time-entries",
    "cost-rates",
    "participants",
    "ai-systems",
    "ai-system-users",
]


async def count_list_queries(api: Api, who: str, lists: list[str] = LISTS) -> dict[str, int]:
    # The first request reads the user; on PostgreSQL later ones may find it remembered.
    assert (await api.get("/auth/me", who)).status_code == 200
    counts = {}
    for resource in lists:
        with api.count_queries() as counter:
            response = await api.get(f"/{resource}", who, params={"limit": 100})
        assert response.status_code == 200, response.text
        counts[resource] = counter.count
    return counts


async def test_list_query_count_is_constant(api: Api) -> None:
    await build_client_world(api, "Kunde 0 GmbH")
    few = await count_list_queries(api, "admin")
    for n in range(1, 6):
        await build_client_world(api, f"Kunde {n} GmbH")
    many = await count_list_queries(api, "admin")
    assert many == few
    # the page, and the user where it is not remembered (SQLite)
    assert max(many.values()) <= 3, many
    assert (await api.get("/engagements", "admin")).json()["total"] == 6


async def test_client_scoped_list_query_count_is_constant(api: Api, password_hash: str) -> None:
    world = await build_client_world(api, "Eigen GmbH")
    await api.add_user("kunde", "client", password_hash, client_id=world["clients"]["id"])
    few = await count_list_queries(api, "kunde", RESOURCES)
    for n in range(4):
        await build_client_world(api, f"Fremd {n} GmbH")
        await build_client_world(api, f"eigen{n}", client=world["clients"])
    assert (await api.get("/engagements", "kunde")).json()["total"] == 5
    many = await count_list_queries(api, "kunde", RESOURCES)
    assert many == few
    assert max(many.values()) <= 3, many


async def test_the_dashboards_statements_do_not_grow_with_the_engagements(api: Api) -> None:
    """The dashboard asks about the active engagements with a subquery, not with their ids as
    bound values (which grow with them, and which PostgreSQL caps at 32,767 per statement)."""
    await sign_in(api)
    client = await make_client(api)

    async def start_one() -> None:
        proposed = await propose(api, await make_engagement(api, client["id"]))
        moved = await api.post(
            f"/engagements/{proposed['id']}/transitions", json={"to": "active", "version": proposed["version"]}
        )
        assert moved.status_code == 200, moved.text

    async def values_per_statement() -> list[int]:
        with api.count_queries() as counter:
            assert (await api.http.get("/")).status_code == 200
        # (The signed-in user is read or remembered: not part of the dashboard.)
        return [len(re.findall(r"\?|\$\d+", s)) for s in counter.statements if "FROM users" not in s]

    await start_one()
    few = await values_per_statement()
    for _ in range(4):
        await start_one()
    assert await values_per_statement() == few
