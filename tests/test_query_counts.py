"""Every list endpoint issues the same number of queries whether it returns 1 row or 20."""

from tests.conftest import Api
from tests.test_isolation import RESOURCES, build_client_world

LISTS = [*RESOURCES, "users", "audit-events", "documents"]


async def count_list_queries(api: Api, who: str) -> dict[str, int]:
    counts = {}
    for resource in LISTS:
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
    # user lookup + count + page; a transaction wrapper may add BEGIN/COMMIT-free statements only
    assert max(many.values()) <= 3, many
    assert (await api.get("/engagements", "admin")).json()["total"] == 6
