"""The Leistungsnachweis: what a statement states, the client's approval (its entries lock) or
dispute, and who may see or answer which statement."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import bindparam, text

from backend.web.i18n import LANG_COOKIE
from tests.conftest import Api
from tests.factories import download_text, make_client, make_engagement, propose, sign_in
from tests.portal_helpers import portal_sign_in
from tests.smtp_server import SmtpTestServer

OCTOBER = "2026-10"


async def world(api: Api, password_hash: str, name: str = "Alpha GmbH", **engagement: Any) -> dict[str, Any]:
    """A client whose user signs in, and a proposed engagement with time recorded in October 2026."""
    client = await make_client(api, name)
    user = name.split()[0].lower()
    await api.add_user(user, "client", password_hash, client_id=client["id"])
    e = await propose(api, await make_engagement(api, client["id"], start_date="2026-10-01", **engagement))
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": e["id"],
            "kind": "kickoff",
            "title": "Kickoff Vertrieb",
            "starts_at": "2026-10-05T09:00:00+02:00",
            "ends_at": "2026-10-05T12:00:00+02:00",
        },
    )

    async def add(day: str, minutes: int, what: str, **more: Any) -> dict[str, Any]:
        body = {"engagement_id": e["id"], "day": day, "minutes": minutes, "description": what} | more
        return await api.create("time-entries", body)

    entries = [
        await add("2026-10-01", 90, "Vorgespräch mit der Geschäftsführung"),
        await add("2026-10-05", 240, "Kickoff vorbereitet", workshop_id=workshop["id"]),
        await add("2026-10-06", 60, "Protokoll geschrieben"),
        await add("2026-10-07", 180, "Kickoff moderiert", workshop_id=workshop["id"]),
        await add("2026-10-31", 45, "Nachbereitung am Samstag"),
    ]
    # Neither internal time nor another month is stated.
    await add("2026-10-02", 120, "Interne Abstimmung", billable=False)
    await add("2026-11-02", 60, "Im November")
    return {"client": client, "user": user, "engagement": e, "workshop": workshop, "entries": entries}


async def statement(api: Api, engagement_id: int, **body: Any) -> dict[str, Any]:
    body = {"kind": "time_statement", "month": OCTOBER} | body
    response = await api.post(f"/engagements/{engagement_id}/documents", json=body)
    assert response.status_code == 202, response.text
    await api.run_jobs()
    return (await api.get(f"/documents/{response.json()['id']}")).json()


async def released(api: Api, engagement_id: int, **body: Any) -> dict[str, Any]:
    document = await statement(api, engagement_id, **body)
    assert (await api.post(f"/documents/{document['id']}/release")).status_code == 202
    return (await api.get(f"/documents/{document['id']}")).json()


async def snapshot_of(api: Api, document_id: int) -> dict[str, Any]:
    async with api.engine.connect() as conn:
        raw = (
            await conn.execute(text("SELECT data_snapshot FROM documents WHERE id = :id"), {"id": document_id})
        ).scalar()
    return raw if isinstance(raw, dict) else json.loads(raw)


async def locks(api: Api, ids: list[int]) -> list[tuple[Any, ...]]:
    async with api.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, lock_reason, statement_id FROM time_entries WHERE id IN :ids ORDER BY id").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
        return [tuple(row) for row in rows]


def approval(name: str = "Eva Alpha") -> dict[str, Any]:
    return {"typed_name": name, "confirmed": True}


async def test_a_statement_states_the_billable_time_by_week_and_activity(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    await api.create(
        "cost-rates",
        {"user_id": api.users["consultant"], "valid_from": "2026-01-01", "hourly_cost": "87.50"},
        who="admin",
    )
    document = await statement(api, w["engagement"]["id"])
    assert (document["status"], document["period_start"], document["period_end"]) == (
        "ready",
        "2026-10-01",
        "2026-10-31",
    )
    assert document["filename"] == f"Leistungsnachweis_Alpha-GmbH_LN-{w['engagement']['id']:04d}-2026-10-1.pdf"
    data = await snapshot_of(api, document["id"])
    stated = data["statement"]
    assert stated["period"] == "Oktober 2026" and stated["range"] == "01.10.2026 – 31.10.2026"
    # Weeks in order, each cut to the month; in a week, activities in the order they first appear.
    assert [w_["label"] for w_ in stated["weeks"]] == [
        "KW 40 · 01.10.–04.10.2026",
        "KW 41 · 05.10.–11.10.2026",
        "KW 44 · 26.10.–31.10.2026",
    ]
    week41 = stated["weeks"][1]
    assert [(a["label"], [line["pos"] for line in a["lines"]]) for a in week41["activities"]] == [
        ("Workshop · Kickoff Vertrieb", [2, 3]),
        ("Beratung und Projektarbeit", [4]),
    ]
    assert (week41["activities"][0]["hours"], week41["activities"][0]["days"]) == ("7,00", "0,88")
    assert (week41["hours"], week41["days"]) == ("8,00", "1,00")
    # Totals are the sum of the entries (615 minutes), days at the engagement's 8 hours a day.
    assert stated["total"] == {"hours": "10,25", "days": "1,28"}
    assert stated["consultants"] == [{"name": "Consultant", "hours": "10,25", "days": "1,28"}]
    by_position = [w["entries"][i]["id"] for i in (0, 1, 3, 2, 4)]
    assert [e["id"] for e in stated["entries"]] == by_position
    # What the client is asked to approve never shows internal cost or margin.
    said = json.dumps(data)
    assert "87,50" not in said and "87.5" not in said and "cost" not in said and "margin" not in said
    pdf = await download_text(api, document)
    for text_ in ("Leistungsnachweis", "Oktober 2026", "Kickoff moderiert", "10,25", "1,28 Tage", "Summe der Woche"):
        assert text_ in pdf, text_
    assert "Interne Abstimmung" not in pdf and "Im November" not in pdf


async def test_english_and_a_custom_period_in_days_of_the_engagement(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash, pricing_model="day_rate", day_rate="1200.00", days="10", hours_per_day="7.5")
    document = await statement(
        api, w["engagement"]["id"], month=None, period_start="2026-10-05", period_end="2026-10-07", language="en"
    )
    assert document["filename"].endswith(f"LN-{w['engagement']['id']:04d}-20261005-20261007-1.pdf")
    stated = (await snapshot_of(api, document["id"]))["statement"]
    assert stated["period"] == "5 Oct 2026 – 7 Oct 2026"
    assert stated["total"] == {"hours": "8.00", "days": "1.07"} and stated["hours_per_day"] == "7.5"
    assert [a["label"] for a in stated["weeks"][0]["activities"]] == [
        "Workshop · Kickoff Vertrieb",
        "Consulting and project work",
    ]
    pdf = await download_text(api, document)
    assert "TIME STATEMENT" in pdf and "Week total" in pdf and "1.07 days" in pdf


async def test_the_client_approves_and_the_time_stated_locks(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    done = await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())
    assert done.status_code == 201, done.text
    decision = done.json()
    assert (decision["decision"], decision["typed_name"], decision["document_sha256"]) == (
        "approved",
        "Eva Alpha",
        document["sha256"],
    )
    assert decision["ip_address"] and decision["document_number"] == 1
    stated = [e["id"] for e in w["entries"]]
    assert await locks(api, stated) == [(i, "approved", document["id"]) for i in stated]
    # Locked: changed only by a correction, which the next statement of the month states.
    first = w["entries"][0]
    refused = await api.patch(f"/time-entries/{first['id']}", json={"minutes": 30, "version": first["version"] + 1})
    assert refused.status_code == 409 and "locked" in refused.json()["detail"]
    assert (await api.get(f"/documents/{document['id']}/decision")).json()["decision"] == "approved"
    again = await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    nothing = await api.post(
        f"/engagements/{w['engagement']['id']}/documents", json={"kind": "time_statement", "month": OCTOBER}
    )
    assert nothing.status_code == 409 and "nothing to state" in nothing.json()["detail"]
    correction = {"engagement_id": w["engagement"]["id"], "day": "2026-10-01", "minutes": -30}
    await api.create("time-entries", correction | {"description": "Vorgespräch war kürzer", "corrects_id": first["id"]})
    supplement = await statement(api, w["engagement"]["id"])
    stated_again = (await snapshot_of(api, supplement["id"]))["statement"]
    (line,) = stated_again["weeks"][0]["activities"][0]["lines"]
    assert line["corrects"] == document["filename"].split("_")[-1].removesuffix(".pdf")  # LN-…-2026-10-1
    assert (
        stated_again["total"]["hours"] == "-0,50"
        and stated_again["weeks"][0]["activities"][0]["lines"][0]["correction"]
    )
    async with api.engine.connect() as conn:
        actions = (await conn.execute(text("SELECT action FROM audit_events WHERE entity_type = 'document'"))).scalars()
        assert "approve_statement" in list(actions)


async def test_an_approval_of_time_changed_since_is_refused_and_locks_nothing(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    first = w["entries"][0]
    changed = await api.patch(f"/time-entries/{first['id']}", json={"minutes": 75, "version": first["version"]})
    assert changed.status_code == 200
    refused = await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())
    assert refused.status_code == 409 and "changed since version 1" in refused.json()["detail"]
    assert {lock for _, lock, _ in await locks(api, [e["id"] for e in w["entries"]])} == {None}
    assert (await api.get(f"/documents/{document['id']}/decision")).status_code == 404


async def test_the_client_disputes_lines_and_approves_the_corrected_version(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    url = f"/documents/{document['id']}/dispute"
    for bad in (
        {"lines": []},
        {"lines": [{"position": 2, "reason": "   "}]},
        {"lines": [{"position": 2, "reason": "a"}, {"position": 2, "reason": "b"}]},
        {"lines": [{"position": 6, "reason": "Gibt es nicht"}]},
    ):
        answer = await api.post(url, w["user"], json=bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    disputed = await api.post(url, w["user"], json={"lines": [{"position": 3, "reason": "Nur zwei Stunden vor Ort"}]})
    assert disputed.status_code == 201, disputed.text
    moderated = w["entries"][3]  # position 3: the kickoff's second line
    assert disputed.json()["disputed"] == [
        {"position": 3, "entry_id": moderated["id"], "reason": "Nur zwei Stunden vor Ort"}
    ]
    assert {lock for _, lock, _ in await locks(api, [e["id"] for e in w["entries"]])} == {None}
    late = await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())
    assert late.status_code == 409 and "already disputed" in late.json()["detail"]
    # The team sets the line right (it is not locked) and sends a new version, which replaces the disputed one.
    fixed = await api.patch(f"/time-entries/{moderated['id']}", json={"minutes": 120, "version": moderated["version"]})
    assert fixed.status_code == 200
    second = await released(api, w["engagement"]["id"])
    assert second["number"] == 2
    approved = await api.post(f"/documents/{second['id']}/approval", w["user"], json=approval())
    assert approved.status_code == 201, approved.text
    assert (await snapshot_of(api, second["id"]))["statement"]["total"]["hours"] == "9,25"


async def test_a_replaced_version_is_not_answered(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    first = await released(api, w["engagement"]["id"])
    await released(api, w["engagement"]["id"])
    refused = await api.post(f"/documents/{first['id']}/approval", w["user"], json=approval())
    assert refused.status_code == 409 and "replaced by version 2" in refused.json()["detail"]


async def test_only_the_clients_own_sent_statements(api: Api, password_hash: str) -> None:
    ours = await world(api, password_hash)
    theirs = await world(api, password_hash, "Beta AG")
    unsent = await statement(api, ours["engagement"]["id"])
    sent = await released(api, theirs["engagement"]["id"])
    for document in (unsent, sent):
        for method, path, body in (
            ("GET", f"/documents/{document['id']}", None),
            ("GET", f"/documents/{document['id']}/download", None),
            ("GET", f"/documents/{document['id']}/decision", None),
            ("POST", f"/documents/{document['id']}/approval", approval()),
            ("POST", f"/documents/{document['id']}/dispute", {"lines": [{"position": 1, "reason": "x"}]}),
        ):
            answer = await api.request(method, path, ours["user"], json=body)
            assert answer.status_code == 404, (method, path, answer.text)
    # Staff decide nothing in the client's name.
    staff = await api.post(f"/documents/{sent['id']}/approval", json=approval())
    assert staff.status_code == 403
    # A proposal is not approved as a statement.
    proposal = (await api.get(f"/documents?engagement_id={ours['engagement']['id']}&kind=proposal")).json()["items"]
    if proposal:
        wrong = await api.post(f"/documents/{proposal[0]['id']}/approval", ours["user"], json=approval())
        assert wrong.status_code in (404, 409)


async def test_of_answers_at_the_same_moment_one_is_recorded(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    url = f"/documents/{document['id']}"
    dispute = {"lines": [{"position": 1, "reason": "Das Vorgespräch war kostenlos"}]}
    answers = await asyncio.gather(
        api.post(f"{url}/approval", w["user"], json=approval()),
        api.post(f"{url}/dispute", w["user"], json=dispute),
        api.post(f"{url}/approval", w["user"], json=approval("Otto Alpha")),
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    locked = {lock for _, lock, _ in await locks(api, [e["id"] for e in w["entries"]])}
    assert locked == ({"approved"} if winner["decision"] == "approved" else {None})
    async with api.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM statement_decisions"))).scalar() == 1


async def test_an_edit_at_the_moment_of_approval_leaves_nothing_half_locked(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    last = w["entries"][-1]
    approve, edit = await asyncio.gather(
        api.post(f"/documents/{document['id']}/approval", w["user"], json=approval()),
        api.patch(f"/time-entries/{last['id']}", json={"minutes": 50, "version": last["version"]}),
    )
    assert sorted((approve.status_code, edit.status_code)) in ([200, 409], [201, 409]), (approve.text, edit.text)
    locked = [lock for _, lock, _ in await locks(api, [e["id"] for e in w["entries"]])]
    assert locked == (["approved"] * 5 if approve.status_code == 201 else [None] * 5)


async def test_what_a_statement_request_must_say(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    url = f"/engagements/{w['engagement']['id']}/documents"
    for body, says in (
        ({"kind": "time_statement"}, "needs a month"),
        ({"kind": "time_statement", "month": "2026-13"}, "body.month"),
        ({"kind": "time_statement", "month": "2026-10", "period_start": "2026-10-01"}, "not both"),
        ({"kind": "time_statement", "period_start": "2026-10-09", "period_end": "2026-10-08"}, "before"),
        ({"kind": "time_statement", "period_start": "2025-10-01", "period_end": "2026-10-08"}, "at most a year"),
        ({"kind": "proposal", "month": "2026-10"}, "time statements only"),
    ):
        answer = await api.post(url, json=body)
        assert answer.status_code == 422 and says in answer.text, (body, answer.text)
    empty = await api.post(url, json={"kind": "time_statement", "month": "2026-09"})
    assert empty.status_code == 409 and "nothing to state" in empty.json()["detail"]


async def test_the_portal_page_takes_objections_line_by_line(
    api: Api, password_hash: str, smtp_server: SmtpTestServer
) -> None:
    w = await world(api, password_hash)
    await api.create(
        "contacts",
        {"client_id": w["client"]["id"], "name": "Eva Alpha", "email": "eva@alpha.de", "portal_access": True},
    )
    document = await released(api, w["engagement"]["id"])
    csrf = await portal_sign_in(api, smtp_server, "eva@alpha.de")
    page = await api.http.get(f"/portal/engagements/{w['engagement']['id']}")
    assert (
        "Bitte prüfen Sie den Leistungsnachweis für Oktober 2026 (Version 1, 5 Positionen, 10,25 Stunden)" in page.text
    )
    assert 'name="reason_5"' in page.text and "Kickoff moderiert" in page.text
    # A reader of English reads the German statement's period and hours in English.
    api.http.cookies.set(LANG_COOKIE, "en")
    english = await api.http.get(f"/portal/engagements/{w['engagement']['id']}")
    api.http.cookies.delete(LANG_COOKIE)
    assert "time statement for October 2026 (version 1, 5 items, 10.25 hours)" in english.text
    url = f"/portal/documents/{document['id']}/dispute"
    nothing = await api.http.post(url, data={"_csrf_token": csrf, "reason_1": "  "})
    assert nothing.status_code == 422 and "bei mindestens einer Position" in nothing.text
    sent = await api.http.post(url, data={"_csrf_token": csrf, "reason_3": "Nur zwei Stunden vor Ort", "reason_4": ""})
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].endswith("?done=statement_disputed#statements")
    answer = (await api.get(f"/documents/{document['id']}/decision")).json()
    assert answer["decision"] == "disputed" and answer["disputed"][0]["position"] == 3
    assert answer["contact_id"] is not None and answer["typed_name"] is None
    page = await api.http.get(sent.headers["location"])
    assert "Ihre Einwände vom" in page.text and 'name="reason_1"' not in page.text
    approve = await api.http.post(
        f"/portal/documents/{document['id']}/approve",
        data={"_csrf_token": csrf, "typed_name": "Eva Alpha", "confirmed": "true"},
    )
    assert approve.status_code == 409 and "bereits am" in approve.text
    # The team sees the objection with the version.
    await sign_in(api)
    panel = await api.http.get(f"/engagements/{w['engagement']['id']}/documents-panel")
    assert "Pos. 3: Nur zwei Stunden vor Ort" in panel.text and "Einwände am" in panel.text


async def test_the_lead_hears_of_each_answer_once(api: Api, password_hash: str, smtp_server: SmtpTestServer) -> None:
    w = await world(api, password_hash)
    first = await released(api, w["engagement"]["id"])
    objection = {"lines": [{"position": 3, "reason": "Nur zwei Stunden vor Ort"}]}
    assert (await api.post(f"/documents/{first['id']}/dispute", w["user"], json=objection)).status_code == 201
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)  # a second run sends nothing again
    (mail,) = [m for m in smtp_server.messages if "Leistungsnachweis" in m.message["Subject"]]
    assert mail.rcpt_tos == ["consultant@example.de"]
    assert mail.message["Subject"] == "Einwände zum Leistungsnachweis · KI-Einführung · Alpha GmbH"
    body = mail.message.get_body(preferencelist=("plain",)).get_content()
    assert "Pos. 3 (07.10.2026, Kickoff moderiert): Nur zwei Stunden vor Ort" in body
    assert f"/engagements/{w['engagement']['id']}#documents" in body
    second = await released(api, w["engagement"]["id"])
    assert (await api.post(f"/documents/{second['id']}/approval", w["user"], json=approval())).status_code == 201
    await api.run_jobs(smtp_url=smtp_server.url)
    subjects = [m.message["Subject"] for m in smtp_server.messages if "Leistungsnachweis" in m.message["Subject"]]
    assert subjects[1:] == ["Leistungsnachweis freigegeben · KI-Einführung · Alpha GmbH"]
    body = smtp_server.messages[-1].message.get_body(preferencelist=("plain",)).get_content()
    assert "Eva Alpha (Alpha GmbH) hat den Leistungsnachweis" in body and "(10,25 Stunden)" in body
    async with api.engine.connect() as conn:
        states = (await conn.execute(text("SELECT status FROM statement_decisions ORDER BY id"))).scalars().all()
    assert list(states) == ["sent", "sent"]


async def test_one_answer_covers_a_statement_and_its_translation(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    german = await released(api, w["engagement"]["id"])
    english = await released(api, w["engagement"]["id"], language="en")
    # The English version says the same: it replaces nothing, and one answer is enough.
    done = await api.post(f"/documents/{english['id']}/approval", w["user"], json=approval())
    assert done.status_code == 201, done.text
    covered = await api.get(f"/documents/{german['id']}/decision")
    assert covered.status_code == 200 and covered.json()["document_id"] == english["id"]
    again = await api.post(f"/documents/{german['id']}/approval", w["user"], json=approval())
    assert again.status_code == 409 and "already approved" in again.json()["detail"]
    dispute = {"lines": [{"position": 1, "reason": "Doch nicht"}]}
    assert (await api.post(f"/documents/{german['id']}/dispute", w["user"], json=dispute)).status_code == 409


async def test_a_statement_that_no_longer_states_the_time_is_not_sent(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await statement(api, w["engagement"]["id"])
    first = w["entries"][0]
    await api.patch(f"/time-entries/{first['id']}", json={"minutes": 75, "version": first["version"]})
    refused = await api.post(f"/documents/{document['id']}/release")
    assert refused.status_code == 409 and "no longer states the time" in refused.json()["detail"]
    assert (await api.post(f"/documents/{document['id']}/share-links", json={})).status_code == 409
    assert (await api.get(f"/documents/{document['id']}")).json()["sent_at"] is None
    await sign_in(api)
    panel = await api.http.get(f"/engagements/{w['engagement']['id']}/documents-panel")
    assert "veraltet – neue Version erzeugen" in panel.text and f"documents/{document['id']}/send" not in panel.text


async def test_a_correction_goes_where_the_time_it_corrects_went(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    assert (await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())).status_code == 201
    kickoff = w["entries"][1]  # linked to the workshop
    body = {"engagement_id": w["engagement"]["id"], "day": "2026-10-05", "minutes": -60, "corrects_id": kickoff["id"]}
    elsewhere = await api.post("/time-entries", json=body | {"description": "Kürzer", "pilot_id": None})
    assert elsewhere.status_code == 201 and elsewhere.json()["workshop_id"] == w["workshop"]["id"]
    pilot = await api.create("pilots", {"engagement_id": w["engagement"]["id"], "title": "Angebote"})
    other = await api.post("/time-entries", json=body | {"description": "Anders", "pilot_id": pilot["id"]})
    assert other.status_code == 422 and "keeps its pilot link" in other.text


async def test_a_statement_and_its_translation_answered_at_once_keep_one_answer(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    german = await released(api, w["engagement"]["id"])
    english = await released(api, w["engagement"]["id"], language="en")
    dispute = {"lines": [{"position": 1, "reason": "Das Vorgespräch war kostenlos"}]}
    answers = await asyncio.gather(
        api.post(f"/documents/{english['id']}/approval", w["user"], json=approval()),
        api.post(f"/documents/{german['id']}/dispute", w["user"], json=dispute),
        api.post(f"/documents/{english['id']}/dispute", w["user"], json=dispute),
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    async with api.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM statement_decisions"))).scalar() == 1


async def test_approved_time_keeps_what_it_was_spent_on(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    assert (await api.post(f"/documents/{document['id']}/approval", w["user"], json=approval())).status_code == 201
    workshop = await api.delete(f"/workshops/{w['workshop']['id']}", params={"version": w["workshop"]["version"]})
    assert workshop.status_code == 409 and "client approved" in workshop.text
    e = (await api.get(f"/engagements/{w['engagement']['id']}")).json()
    draft = await api.post(f"/engagements/{e['id']}/transitions", json={"to": "draft", "version": e["version"]})
    assert draft.status_code == 200
    gone = await api.delete(f"/engagements/{e['id']}", params={"version": draft.json()["version"]})
    assert gone.status_code == 409 and "client approved" in gone.text
    assert (await api.get(f"/documents/{document['id']}/decision")).status_code == 200


async def test_neither_an_outdated_nor_an_empty_statement_is_answered_or_sent(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    document = await released(api, w["engagement"]["id"])
    first = w["entries"][0]
    await api.patch(f"/time-entries/{first['id']}", json={"minutes": 75, "version": first["version"]})
    dispute = {"lines": [{"position": 1, "reason": "Stimmt nicht"}]}
    outdated = await api.post(f"/documents/{document['id']}/dispute", w["user"], json=dispute)
    assert outdated.status_code == 409 and "changed since version 1" in outdated.text
    # A statement whose time was deleted before it was rendered states nothing: it is not sent.
    other = await world(api, password_hash, "Beta AG")
    queued = await api.post(
        f"/engagements/{other['engagement']['id']}/documents", json={"kind": "time_statement", "month": OCTOBER}
    )
    for entry in other["entries"]:
        assert (
            await api.delete(f"/time-entries/{entry['id']}", params={"version": entry["version"]})
        ).status_code == 204
    await api.run_jobs()
    empty = await api.post(f"/documents/{queued.json()['id']}/release")
    assert empty.status_code == 409 and "states no time" in empty.text


async def test_a_statement_covers_a_year_at_most(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    url = f"/engagements/{w['engagement']['id']}/documents"
    year = {"kind": "time_statement", "period_start": "2025-11-01", "period_end": "2026-10-31"}
    assert (await api.post(url, json=year)).status_code == 202
    longer = await api.post(url, json=year | {"period_end": "2026-11-01"})
    assert longer.status_code == 422 and "at most a year" in longer.text
    iso_week = await api.post(url, json={"kind": "time_statement", "month": OCTOBER, "iso_week": "2026-W40"})
    assert iso_week.status_code == 422 and "status reports only" in iso_week.text


async def test_a_statement_sent_again_with_its_translation_is_answered_anew(api: Api, password_hash: str) -> None:
    w = await world(api, password_hash)
    first = await released(api, w["engagement"]["id"])
    await released(api, w["engagement"]["id"], language="en")
    dispute = {"lines": [{"position": 1, "reason": "Erklären Sie bitte"}]}
    assert (await api.post(f"/documents/{first['id']}/dispute", w["user"], json=dispute)).status_code == 201
    # The team explains and sends the same time again, in both languages: the client approves in English.
    await released(api, w["engagement"]["id"])
    english = await released(api, w["engagement"]["id"], language="en")
    done = await api.post(f"/documents/{english['id']}/approval", w["user"], json=approval())
    assert done.status_code == 201, done.text
    assert (await api.get(f"/documents/{english['id']}/decision")).json()["decision"] == "approved"
