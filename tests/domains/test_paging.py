"""Pages by offset and by cursor, and the total only when it is asked for or free."""

import base64
import json
from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement, proposable_engagement, propose

# Two share a name: the id breaks the tie, so no row is skipped or repeated between pages.
CLIENTS = [
    ("Delta KG", 40),
    ("Alpha AG", None),
    ("Beta GmbH", 12),
    ("Alpha AG", 12),
    ("Epsilon SE", None),
    ("Gamma OHG", 300),
    ("Beta GmbH", None),
]


def cursor(*position: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


async def seed(api: Api) -> None:
    for name, employees in CLIENTS:
        await api.create("clients", {"name": name, "employee_count": employees})


async def walk(api: Api, path: str, who: str = "consultant", **params: Any) -> list[dict]:
    """Every row of a list, page by page along next_cursor."""
    rows: list[dict] = []
    page = (await api.get(path, who, params=params)).json()
    while True:
        rows += page["items"]
        assert page["offset"] is None or page["offset"] == 0
        if page["next_cursor"] is None:
            return rows
        assert len(page["items"]) == params["limit"]
        response = await api.get(path, who, params=params | {"cursor": page["next_cursor"]})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["offset"] is None


async def test_cursor_pages_give_every_row_once_in_the_offset_order(api: Api) -> None:
    await seed(api)
    for sort in ("name", "-name", "employee_count", "-employee_count", "-id", "created_at"):
        everything = (await api.get("/clients", params={"sort": sort, "limit": 100})).json()["items"]
        for limit in (1, 2, 3):
            walked = await walk(api, "/clients", sort=sort, limit=limit)
            assert [r["id"] for r in walked] == [r["id"] for r in everything], (sort, limit)


async def test_nulls_sort_after_every_value_on_either_database(api: Api) -> None:
    await seed(api)
    up = (await api.get("/clients", params={"sort": "employee_count", "limit": 100})).json()["items"]
    assert [r["employee_count"] for r in up] == [12, 12, 40, 300, None, None, None]
    down = await walk(api, "/clients", sort="-employee_count", limit=2)
    assert [r["employee_count"] for r in down] == [None, None, None, 300, 40, 12, 12]
    assert [r["id"] for r in down][:3] == sorted((r["id"] for r in down[:3]), reverse=True)


async def test_total_is_counted_only_when_asked_or_free(api: Api) -> None:
    await seed(api)
    with api.count_queries() as counted:
        first = (await api.get("/clients", params={"limit": 3})).json()
    assert (first["total"], first["offset"], len(first["items"])) == (None, 0, 3)
    assert first["next_cursor"]
    assert not any("count(" in statement for statement in counted.statements)
    with api.count_queries() as counted:
        asked = (await api.get("/clients", params={"limit": 3, "total": "true"})).json()
    assert asked["total"] == 7
    assert any("count(" in statement for statement in counted.statements)
    last = (await api.get("/clients", params={"limit": 3, "offset": 6})).json()
    assert (last["total"], last["next_cursor"]) == (7, None)  # a short page is the last one
    exact = (await api.get("/clients", params={"limit": 7})).json()
    assert (exact["total"], exact["next_cursor"]) == (7, None)  # one more row was looked for
    beyond = (await api.get("/clients", params={"limit": 3, "offset": 50})).json()
    assert (beyond["items"], beyond["total"]) == ([], None)
    cursor = (await api.get("/clients", params={"limit": 3, "cursor": first["next_cursor"], "total": "true"})).json()
    assert cursor["total"] == 7 and cursor["offset"] is None


async def test_a_cursor_page_skips_nothing_it_reads(api: Api) -> None:
    await seed(api)
    first = (await api.get("/clients", params={"limit": 2})).json()
    with api.count_queries() as counted:
        await api.get("/clients", params={"limit": 2, "cursor": first["next_cursor"]})
    # It starts at the cursor on the (name, id) index instead of counting rows off from the start.
    (page_read,) = [s for s in counted.statements if "FROM clients" in s]
    assert "(clients.name, clients.id) > (" in page_read and "window" not in page_read


async def test_cursor_of_another_list_or_made_up_is_refused(api: Api) -> None:
    await seed(api)
    by_name = (await api.get("/clients", params={"limit": 2})).json()["next_cursor"]
    made_up = base64.urlsafe_b64encode(json.dumps(["employee_count", "viele", 3]).encode()).decode()
    negative_id = base64.urlsafe_b64encode(json.dumps(["name", "A", -1]).encode()).decode()
    null_not_allowed = base64.urlsafe_b64encode(json.dumps(["name", None, 3]).encode()).decode()
    cases = [
        ({"cursor": by_name, "sort": "-name"}, "sort=name"),
        ({"cursor": "not-a-cursor!"}, "next_cursor"),
        ({"cursor": "W10"}, "next_cursor"),  # "[]"
        ({"cursor": made_up, "sort": "employee_count"}, "next_cursor"),
        ({"cursor": negative_id}, "next_cursor"),
        ({"cursor": null_not_allowed}, "next_cursor"),
        ({"cursor": by_name, "offset": 2}, "not both"),
        ({"cursor": "x" * 1025}, None),
        # Values no column holds are refused before they reach the database.
        ({"cursor": cursor("-id", 10**30, 3), "sort": "-id"}, "next_cursor"),
        ({"cursor": cursor("name", "A\u0000B", 3)}, "next_cursor"),
        ({"cursor": cursor("created_at", "9999-99-99", 3), "sort": "created_at"}, "next_cursor"),
        ({"cursor": cursor("password_hash", "x", 3)}, "next_cursor"),
        # … also once parsed to the column's type: a number in a string or a float, a time
        # without zone or beyond the calendar in UTC, a lone surrogate.
        ({"cursor": cursor("-id", "99999999999999999999", 3), "sort": "-id"}, "next_cursor"),
        ({"cursor": cursor("employee_count", 1e10, 3), "sort": "employee_count"}, "next_cursor"),
        ({"cursor": cursor("created_at", "2026-01-01T00:00:00", 3), "sort": "created_at"}, "next_cursor"),
        ({"cursor": cursor("created_at", "9999-12-31T23:59:59-14:00", 3), "sort": "created_at"}, "next_cursor"),
        ({"cursor": cursor("name", "\ud800", 3)}, "next_cursor"),
    ]
    for params, says in cases:
        response = await api.get("/clients", params=params)
        assert response.status_code == 422, (params, response.text)
        problem = response.json()
        assert problem["type"] == "/problems/validation"
        assert problem["errors"][0]["path"] in ("query.cursor", "query.offset"), problem
        if says:
            assert says in problem["detail"], problem


async def test_a_client_user_walks_only_own_rows_by_cursor(api: Api, password_hash: str) -> None:
    own, other = await make_client(api, "Alpha GmbH"), await make_client(api, "Beta GmbH")
    for client in (own, other, own, other, own):
        await propose(api, await make_engagement(api, client["id"], title=f"Vorhaben {client['name']}"))
    await api.add_user("kunde", "client", password_hash, client_id=own["id"])
    for sort in ("-start_date", "title", "-id"):
        walked = await walk(api, "/engagements", "kunde", sort=sort, limit=1)
        assert len(walked) == 3 and {r["client_id"] for r in walked} == {own["id"]}, sort
    # A cursor cut from the team's list opens nothing more to the client user.
    team = (await api.get("/engagements", params={"sort": "-id", "limit": 1})).json()["next_cursor"]
    seen = (await api.get("/engagements", "kunde", params={"sort": "-id", "cursor": team, "limit": 100})).json()
    assert {r["client_id"] for r in seen["items"]} <= {own["id"]}


async def test_nested_lists_page_by_cursor_too(api: Api) -> None:
    client = await make_client(api)
    engagement = await proposable_engagement(api, client["id"])
    for _ in range(3):
        ordered = await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})
        assert ordered.status_code == 202, ordered.text
    walked = await walk(api, f"/engagements/{engagement['id']}/documents", limit=2)
    assert [d["number"] for d in walked] == [3, 2, 1]
