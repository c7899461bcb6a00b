"""Anonymous feedback: one answer per attendance, and nothing in the database that ties an answer
to the person who gave it."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import inspect

from tests.conftest import Api
from tests.factories import make_client
from tests.literacy_helpers import FEEDBACK_LINK, check_in, room_path, rows, workshop_now
from tests.portal_helpers import CSRF

ANSWER = {"relevance": "5", "clarity": "4", "applicability": "4", "overall": "5"}


async def give(api: Api, path: str, **answers: str) -> Any:
    page = await api.http.get(path)
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text).group(1)
    return await api.http.post(path, data={**ANSWER, **answers, "_csrf_token": csrf})


async def checked_in(api: Api, room: str, name: str) -> str:
    page = await check_in(api, room, name)
    return FEEDBACK_LINK.search(page.text).group(1)


async def test_each_attendance_answers_once(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client)
    room = await room_path(api, workshop)
    link = await checked_in(api, room, "Jana Vogt")
    thanks = await give(api, link, comment="  Mehr Beispiele aus dem Vertrieb  ")
    assert thanks.status_code == 200 and "Danke für Ihr Feedback" in thanks.text
    again = await api.http.get(link)
    assert again.status_code == 410 and "bereits Feedback" in again.text
    assert (await api.http.post(link, data=ANSWER)).status_code in (403, 410)
    stored = await rows(api, "SELECT overall, comment FROM feedback_answers")
    assert [tuple(r) for r in stored] == [(5, "Mehr Beispiele aus dem Vertrieb")]
    workshop_now_read = (await api.get(f"/workshops/{workshop['id']}")).json()
    assert workshop_now_read["feedback_score"] is None  # one answer would be one person's score
    # Missing or out-of-range answers: the form again, nothing stored.
    second = await checked_in(api, room, "Ole Brandt")
    for bad in ({"overall": ""}, {"clarity": "6"}, {"relevance": "0"}, {"comment": "x" * 2001}):
        refused = await give(api, second, **bad)
        assert refused.status_code == 422 and "alle vier Fragen" in refused.text, bad
    assert len(await rows(api, "SELECT id FROM feedback_answers")) == 1
    # Forged links find nothing.
    workshop_id, secret = second.removeprefix("/f/").split(".", 1)
    for bad in (
        f"/f/{workshop_id}.{secret[:-1]}A",
        f"/f/{int(workshop_id) + 1}.{secret}",
        "/f/x.y",
        f"/f/{workshop_id}",
    ):
        assert (await api.http.get(bad)).status_code in (404, 410), bad


async def test_two_tabs_sending_one_ballot_store_one_answer(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client)
    link = await checked_in(api, await room_path(api, workshop), "Jana Vogt")
    page = await api.http.get(link)
    csrf = CSRF.search(page.text).group(1)
    answers = await asyncio.gather(*(api.http.post(link, data={**ANSWER, "_csrf_token": csrf}) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [200] + [410] * 5
    assert len(await rows(api, "SELECT id FROM feedback_answers")) == 1


async def test_no_row_ties_an_answer_to_a_person(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client)
    room = await room_path(api, workshop)
    links = [await checked_in(api, room, name) for name in ("Anna Alt", "Bert Bau", "Cem Cakir", "Dora Dorn")]
    before = {tuple(r) for r in await rows(api, "SELECT id, version, updated_at FROM attendances")}
    summary = (await api.get(f"/workshops/{workshop['id']}/feedback")).json()
    assert (summary["answers"], summary["ballots_open"], summary["shown"]) == (0, 4, False)
    for link, overall, comment in zip(links[:3], ("5", "3", "4"), ("Zu kurz", "Super", ""), strict=True):
        assert (await give(api, link, overall=overall, comment=comment)).status_code == 200
    # Answering changes no attendance row: its time says nothing about who answered when.
    assert {tuple(r) for r in await rows(api, "SELECT id, version, updated_at FROM attendances")} == before

    def columns(sync_conn: Any, table: str) -> tuple[set[str], list[Any]]:
        inspector = inspect(sync_conn)
        return {c["name"] for c in inspector.get_columns(table)}, inspector.get_foreign_keys(table)

    async with api.engine.connect() as conn:
        answer_columns, answer_keys = await conn.run_sync(columns, "feedback_answers")
        ballot_columns, ballot_keys = await conn.run_sync(columns, "feedback_ballots")
    assert answer_columns == {
        "id",
        "workshop_id",
        "relevance",
        "clarity",
        "applicability",
        "overall",
        "comment",
        "submitted_on",
    }
    assert ballot_columns == {"key", "workshop_id"}
    assert {k["referred_table"] for k in answer_keys + ballot_keys} == {"workshops"}
    ids = [r[0] for r in await rows(api, "SELECT id FROM feedback_answers")]
    assert all(len(i) == 32 and not i.isdigit() for i in ids) and len(set(ids)) == 3
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 1  # Dora's, unused
    summary = (await api.get(f"/workshops/{workshop['id']}/feedback")).json()
    assert (summary["answers"], summary["ballots_open"], summary["shown"]) == (3, 1, True)
    assert summary["means"]["overall"] == "4.00" and summary["overall_counts"] == {
        "1": 0,
        "2": 0,
        "3": 1,
        "4": 1,
        "5": 1,
    }
    assert summary["comments"] == ["Super", "Zu kurz"]  # by text, not by time
    assert (await api.get(f"/workshops/{workshop['id']}")).json()["feedback_score"] == "4.00"


async def test_below_three_answers_nothing_is_shown(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client)
    room = await room_path(api, workshop)
    for name in ("Anna Alt", "Bert Bau"):
        assert (await give(api, await checked_in(api, room, name), comment=f"von {name}")).status_code == 200
    summary = (await api.get(f"/workshops/{workshop['id']}/feedback")).json()
    assert summary == {
        "workshop_id": workshop["id"],
        "answers": 2,
        "ballots_open": 0,
        "shown": False,
        "means": None,
        "overall_counts": None,
        "comments": None,
    }
