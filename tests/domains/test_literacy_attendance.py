"""Attendance as AI-literacy evidence: participants check themselves in on their phones by the
link shown in the room (signed, expiring, bound to the session's start), the team keeps the
list, and each attendance gives one anonymous feedback ballot."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.conftest import Api
from tests.factories import make_client
from tests.literacy_helpers import FEEDBACK_LINK, check_in, room_path, rows, workshop_now
from tests.portal_helpers import CSRF


async def test_a_participant_checks_in_once_by_the_room_link(api: Api) -> None:
    client = await make_client(api)
    jana = await api.create("participants", {"client_id": client["id"], "name": "Jana Vogt", "department": "Vertrieb"})
    workshop = await workshop_now(api, client)
    path = await room_path(api, workshop)
    first = await check_in(api, path, "  jana VOGT ")
    assert first.status_code == 200 and "eingecheckt" in first.text, first.text
    feedback_path = FEEDBACK_LINK.search(first.text).group(1)
    again = await check_in(api, path, "Jana Vogt")  # a double tap, a replayed form
    assert again.status_code == 409 and "bereits erfasst" in again.text
    listed = (await api.get(f"/workshops/{workshop['id']}/attendance")).json()
    assert [(a["participant_id"], a["status"], a["minutes"], a["source"]) for a in listed] == [
        (jana["id"], "present", 240, "self_check_in")
    ]
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 1
    # A walk-in the team did not list becomes a participant of this client.
    walk_in = await check_in(api, path, "Ole Brandt", "Einkauf")
    assert walk_in.status_code == 200
    people = (await api.get("/participants", params={"client_id": client["id"]})).json()["items"]
    assert [(p["name"], p["department"]) for p in people] == [("Jana Vogt", "Vertrieb"), ("Ole Brandt", "Einkauf")]
    assert (await api.http.get(feedback_path)).status_code == 200
    blank = await check_in(api, path, "   ")
    assert blank.status_code == 422 and "Namen" in blank.text


async def test_forged_expired_moved_and_early_links_are_refused(api: Api) -> None:
    client = await make_client(api)
    await api.create("participants", {"client_id": client["id"], "name": "Jana Vogt"})
    workshop = await workshop_now(api, client)
    path = await room_path(api, workshop)
    workshop_id, starts, until, mac = path.removeprefix("/c/").split(".")
    forged = [
        f"/c/{workshop_id}.{starts}.{int(until) + 86400}.{mac}",  # validity stretched
        f"/c/{int(workshop_id) + 1}.{starts}.{until}.{mac}",  # another workshop
        f"/c/{workshop_id}.{starts}.{until}.{mac[:-2]}xx",  # signature altered
        f"/c/{workshop_id}.{starts}.{until}",
        "/c/１.２.３.abc",  # unicode digits
    ]
    for bad in forged:
        page = await api.http.get(bad)
        assert page.status_code == 404 and "nicht gültig" in page.text, bad
        assert (await api.http.post(bad, data={"name": "Jana Vogt"})).status_code in (403, 404)
    # The session is moved: the link made for the old start no longer admits.
    moved_start = datetime.fromisoformat(workshop["starts_at"]) + timedelta(minutes=30)
    patched = await api.patch(
        f"/workshops/{workshop['id']}",
        json={"starts_at": moved_start.isoformat(), "version": workshop["version"]},
    )
    assert patched.status_code == 200, patched.text
    assert (await api.http.get(path)).status_code == 410
    # A workshop long over: its link, made to last 0 minutes past the end, has expired.
    old = await workshop_now(api, client, started_minutes_ago=6 * 60)
    expired = await room_path(api, old)
    page = await api.http.get(expired)
    assert page.status_code == 410 and "abgelaufen" in page.text
    # Check-in opens an hour before the start.
    later = await workshop_now(api, client, started_minutes_ago=-3 * 60)
    assert (await api.http.get(await room_path(api, later))).status_code == 409
    assert await rows(api, "SELECT id FROM attendances") == []


async def test_concurrent_check_ins_of_one_person_make_one_attendance(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client)
    path = await room_path(api, workshop)
    page = await api.http.get(path)
    csrf = CSRF.search(page.text).group(1)
    # Eight phones type the same new name at once: one participant, one attendance, one ballot.
    answers = await asyncio.gather(
        *(api.http.post(path, data={"name": "Mia Roth", "_csrf_token": csrf}) for _ in range(8))
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert sum("Sie sind eingecheckt" in a.text for a in answers) == 1
    assert len(await rows(api, "SELECT id FROM participants WHERE name = 'Mia Roth'")) == 1
    assert len(await rows(api, "SELECT id FROM attendances")) == 1
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 1


async def test_late_arrivals_and_the_teams_list(api: Api, password_hash: str) -> None:
    client = await make_client(api)
    other = await make_client(api, "Beta AG")
    people = [
        await api.create("participants", {"client_id": client["id"], "name": name})
        for name in ("Anna Alt", "Bert Bau", "Cem Cakir", "Dora Dorn")
    ]
    stranger = await api.create("participants", {"client_id": other["id"], "name": "Eve Fremd"})
    workshop = await workshop_now(api, client, started_minutes_ago=60)
    late = await check_in(api, await room_path(api, workshop), "Anna Alt")
    assert late.status_code == 200 and "nach Beginn" in late.text
    url = f"/workshops/{workshop['id']}/attendance"
    anna, bert, cem, dora = (p["id"] for p in people)
    refused = [
        ({"entries": [{"participant_id": bert, "status": "partial"}]}, "minutes"),
        ({"entries": [{"participant_id": bert, "status": "partial", "minutes": 240}]}, "minutes"),
        ({"entries": [{"participant_id": bert, "status": "present", "minutes": 30}]}, "minutes"),
        ({"entries": [{"participant_id": stranger["id"], "status": "present"}]}, "participant_id"),
        (
            {"entries": [{"participant_id": bert, "status": "present"}, {"participant_id": bert, "status": "absent"}]},
            "entries",
        ),
        ({"entries": []}, "entries"),
    ]
    for body, field in refused:
        response = await api.put(url, json=body)
        assert response.status_code == 422 and field in response.text, (body, response.text)
    listed = await api.put(
        url,
        json={
            "entries": [
                {"participant_id": bert, "status": "present"},
                {"participant_id": cem, "status": "partial", "minutes": 90},
                {"participant_id": dora, "status": "absent"},
            ]
        },
    )
    assert listed.status_code == 200, listed.text
    by_name = {a["participant_name"]: (a["status"], a["minutes"], a["source"]) for a in listed.json()}
    assert by_name == {
        "Anna Alt": ("late", 180, "self_check_in"),
        "Bert Bau": ("present", 240, "team"),
        "Cem Cakir": ("partial", 90, "team"),
        "Dora Dorn": ("absent", 0, "team"),
    }
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 3  # the absent get none
    # Dora came after all; the team corrects her twice: one ballot, not two.
    # Dora came after all, then the list was corrected twice: her ballot, issued once, went with
    # "absent" and is not issued again (nothing may tell whether it was used meanwhile).
    for status in ("present", "absent", "present"):
        await api.put(url, json={"entries": [{"participant_id": dora, "status": status}]})
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 3
    assert (await api.put(url, None, json={"entries": []})).status_code == 401
    # The team's list and the room link are the team's.
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    body = {"entries": [{"participant_id": anna, "status": "absent"}]}
    assert (await api.put(url, "kunde", json=body)).status_code == 403
    assert (await api.get(f"/workshops/{workshop['id']}/check-in-link", "kunde")).status_code == 403


async def test_a_name_on_the_teams_list_gets_no_check_in_and_no_ballot(api: Api) -> None:
    """Typing a colleague's name must not hand over their feedback link, nor undo the trainer's
    correction; names match whatever their case or spacing (SQLite folds ASCII only)."""
    client = await make_client(api)
    ozlem = await api.create("participants", {"client_id": client["id"], "name": "Özlem Yıldız"})
    bert = await api.create("participants", {"client_id": client["id"], "name": "Bert Bau"})
    for dept in ("Vertrieb", "Einkauf"):
        await api.create("participants", {"client_id": client["id"], "name": "Max Muster", "department": dept})
    workshop = await workshop_now(api, client)
    path = await room_path(api, workshop)
    url = f"/workshops/{workshop['id']}/attendance"
    await api.put(url, json={"entries": [{"participant_id": bert["id"], "status": "absent"}]})
    for typed in ("bert bau", "Bert  Bau"):
        page = await check_in(api, path, typed)
        assert page.status_code == 409 and "/f/" not in page.text, typed
    first = await check_in(api, path, "ÖZLEM YILDIZ")
    assert first.status_code == 200 and "/f/" in first.text
    again = await check_in(api, path, "özlem\u00a0yıldız")
    assert again.status_code == 409 and "/f/" not in again.text
    listed = {a["participant_id"]: a["status"] for a in (await api.get(url)).json()}
    assert listed == {bert["id"]: "absent", ozlem["id"]: "present"}
    # Two people of one name: the department tells them apart, else the trainer is asked.
    ambiguous = await check_in(api, path, "Max Muster")
    assert ambiguous.status_code == 409 and "Abteilung" in ambiguous.text
    assert (await check_in(api, path, "Max Muster", "vertrieb")).status_code == 200
    assert (await check_in(api, path, "Max Muster", "Lager")).status_code == 409
    assert len(await rows(api, "SELECT id FROM participants")) == 4  # no walk-in was made
    # The trainer sets Özlem absent: her unused ballot goes with it.
    await api.put(url, json={"entries": [{"participant_id": ozlem["id"], "status": "absent"}]})
    assert (await api.http.get(FEEDBACK_LINK.search(first.text).group(1))).status_code == 410
    assert len(await rows(api, "SELECT key FROM feedback_ballots")) == 1  # Max's


async def test_no_attendance_before_the_start_and_no_check_in_after_the_end(api: Api) -> None:
    client = await make_client(api)
    person = await api.create("participants", {"client_id": client["id"], "name": "Jana Vogt"})
    later = await workshop_now(api, client, started_minutes_ago=-3 * 60)
    url = f"/workshops/{later['id']}/attendance"
    early = await api.put(url, json={"entries": [{"participant_id": person["id"], "status": "present"}]})
    assert early.status_code == 409
    apology = await api.put(url, json={"entries": [{"participant_id": person["id"], "status": "absent"}]})
    assert apology.status_code == 200
    # A workshop of four hours that ended a minute ago: the link no longer admits anyone.
    over = await workshop_now(api, client, started_minutes_ago=4 * 60 + 1)
    page = await api.http.get(await room_path(api, over))
    assert page.status_code == 410
