"""The register of data subjects' requests (Art. 12 GDPR): deadlines, extensions, answers, and
an erasure that answers the person's request, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from backend.flows.privacy.requests import months_after
from backend.kernel.time import today
from tests.factories import make_client

ERASE = {"reason": "Art. 17, Mail vom 30.11.2026", "confirm": True}


def test_a_month_ends_on_the_same_day_or_the_months_last() -> None:
    assert months_after(date(2026, 11, 30), 1) == date(2026, 12, 30)
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert months_after(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert months_after(date(2026, 12, 31), 2) == date(2027, 2, 28)


async def _contact(api: Any, name: str = "Petra Schulz", email: str = "petra.schulz@kunde.de") -> dict[str, Any]:
    client = await make_client(api)
    return await api.create("contacts", {"client_id": client["id"], "name": name, "email": email})


async def test_a_request_is_due_a_month_after_it_arrived(api) -> None:
    contact = await _contact(api)
    received = today() - timedelta(days=3)
    body = {
        "subject_kind": "contact",
        "subject_id": contact["id"],
        "right": "access",
        "channel": "email",
        "received_on": received.isoformat(),
        "note": "Bitte um Auskunft",
    }
    row = await api.create("privacy-requests", body, who="consultant")
    assert row["due_on"] == months_after(received, 1).isoformat()
    assert row["client_id"] == contact["client_id"] and row["status"] == "open"
    assert row["recorded_by_id"] == api.users["consultant"]

    # Bad input: a day to come, a person who is not there, a right the law does not know.
    for change, path in (
        ({"received_on": (today() + timedelta(days=1)).isoformat()}, "body.received_on"),
        ({"subject_id": 987654}, "body.subject_id"),
        ({"right": "forgetting"}, "body.right"),
    ):
        refused = await api.post("/privacy-requests", json=body | change)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["path"].startswith(path), refused.text

    # Sorted by deadline, the soonest first; filtered by state.
    later = await api.create("privacy-requests", body | {"received_on": today().isoformat(), "right": "erasure"})
    listed = (await api.get("/privacy-requests?status=open")).json()["items"]
    assert [r["id"] for r in listed] == [row["id"], later["id"]]


async def test_an_extension_has_a_reason_and_ends_three_months_after_receipt(api) -> None:
    contact = await _contact(api)
    received = today() - timedelta(days=10)
    row = await api.create(
        "privacy-requests",
        {
            "subject_kind": "contact",
            "subject_id": contact["id"],
            "right": "access",
            "channel": "letter",
            "received_on": received.isoformat(),
        },
    )
    latest = months_after(received, 3)

    no_reason = await api.patch(f"/privacy-requests/{row['id']}", json={"version": 1, "due_on": latest.isoformat()})
    assert no_reason.status_code == 422 and "extension_reason" in no_reason.text
    too_late = await api.patch(
        f"/privacy-requests/{row['id']}",
        json={"version": 1, "due_on": (latest + timedelta(days=1)).isoformat(), "extension_reason": "viele Systeme"},
    )
    assert too_late.status_code == 422 and latest.isoformat() in too_late.text
    earlier = await api.patch(
        f"/privacy-requests/{row['id']}",
        json={"version": 1, "due_on": received.isoformat(), "extension_reason": "viele Systeme"},
    )
    assert earlier.status_code == 422

    extended = await api.patch(
        f"/privacy-requests/{row['id']}",
        json={"version": 1, "due_on": latest.isoformat(), "extension_reason": "Daten aus fünf Systemen"},
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["due_on"] == latest.isoformat()
    # The reason the person was told stays with the extended deadline.
    dropped = await api.patch(f"/privacy-requests/{row['id']}", json={"version": 2, "extension_reason": None})
    assert dropped.status_code == 422 and "keeps the reason" in dropped.text
    assert (await api.get(f"/privacy-requests/{row['id']}")).json()["extension_reason"] == "Daten aus fünf Systemen"


async def test_an_answer_is_final_and_a_refusal_says_why(api) -> None:
    contact = await _contact(api)
    body = {"subject_kind": "contact", "subject_id": contact["id"], "right": "objection", "channel": "phone"}
    first = await api.create("privacy-requests", body)
    second = await api.create("privacy-requests", body)

    bare = await api.post(f"/privacy-requests/{first['id']}/transitions", json={"to": "refused", "version": 1})
    assert bare.status_code == 422
    refused = await api.post(
        f"/privacy-requests/{first['id']}/transitions",
        json={"to": "refused", "version": 1, "reason": "Vertragserfüllung, Art. 6 (1)(b): kein Widerspruchsrecht"},
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["answer"].startswith("Vertragserfüllung") and refused.json()["answered_at"]
    answered = await api.post(
        f"/privacy-requests/{second['id']}/transitions", json={"to": "answered", "version": 1, "reason": "erledigt"}
    )
    assert answered.json()["status"] == "answered"

    # What the register says was answered stays as it was answered.
    changed = await api.patch(f"/privacy-requests/{first['id']}", json={"version": 2, "note": "anders"})
    assert changed.status_code == 409
    reopened = await api.post(f"/privacy-requests/{first['id']}/transitions", json={"to": "open", "version": 2})
    assert reopened.status_code == 409
    assert (await api.delete(f"/privacy-requests/{first['id']}")).status_code in (404, 405)


async def test_the_register_is_the_teams(api, password_hash) -> None:
    contact = await _contact(api)
    await api.add_user("kunde", "client", password_hash, client_id=contact["client_id"])
    assert (await api.get("/privacy-requests", "kunde")).status_code == 403
    body = {"subject_kind": "contact", "subject_id": contact["id"], "right": "access", "channel": "email"}
    assert (await api.post("/privacy-requests", "kunde", json=body)).status_code == 403


async def test_an_erasure_answers_the_persons_open_erasure_request(api) -> None:
    contact = await _contact(api)
    body = {
        "subject_kind": "contact",
        "subject_id": contact["id"],
        "right": "erasure",
        "channel": "email",
        "note": "Petra Schulz bittet um Löschung, petra.schulz@kunde.de",
    }
    erasure_request = await api.create("privacy-requests", body)
    access_request = await api.create("privacy-requests", body | {"right": "access"})

    erased = await api.post(f"/contacts/{contact['id']}/erase", "admin", json=ERASE)
    assert erased.status_code == 200, erased.text

    done = (await api.get(f"/privacy-requests/{erasure_request['id']}")).json()
    assert done["status"] == "answered" and done["erasure_id"] == erased.json()["erasure_id"]
    assert "Petra" not in (done["note"] or "") and "petra.schulz" not in (done["note"] or "")
    # Another right of hers stays open: an erasure answers only what asked for it.
    assert (await api.get(f"/privacy-requests/{access_request['id']}")).json()["status"] == "open"


async def test_two_people_recording_the_same_answer_make_one(api) -> None:
    contact = await _contact(api)
    body = {"subject_kind": "contact", "subject_id": contact["id"], "right": "access", "channel": "email"}
    row = await api.create("privacy-requests", body)
    move = {"to": "answered", "version": 1, "reason": "Auskunft per Mail"}
    results = await asyncio.gather(
        api.post(f"/privacy-requests/{row['id']}/transitions", json=move),
        api.post(f"/privacy-requests/{row['id']}/transitions", "admin", json=move),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    assert (await api.get(f"/privacy-requests/{row['id']}")).json()["version"] == 2


async def test_the_privacy_notice_is_public_and_says_what_the_record_says(api) -> None:
    page = await api.http.get("/portal/privacy")
    assert page.status_code == 200
    assert "Datenschutzhinweise" in page.text and "Anfragen Betroffener" in page.text
    assert "Art. 77" in page.text
    # The team's employment data is not the client's people's business.
    assert "Zeiterfassung und Budgetsteuerung" not in page.text
    english = await api.http.get("/portal/privacy", headers={"Accept-Language": "en"})
    assert "Privacy notice" in english.text or "Datenschutzhinweise" in english.text


def test_the_notice_names_the_data_protection_officer_where_there_is_one() -> None:
    from backend.flows.privacy.record import notice
    from backend.kernel.config import Settings

    assert notice(Settings(), "de")["controller"]["dpo"] is None
    named = notice(Settings(dpo_name="Dr. Anna Wolf", dpo_email="dsb@beratung.de"), "de")
    assert named["controller"]["dpo"] == {"name": "Dr. Anna Wolf", "email": "dsb@beratung.de"}
    periods = {
        a["key"]: a["retention"] for a in notice(Settings(retention_privacy_request_years=4), "de")["activities"]
    }
    assert "4 Jahre" in periods["requests"]


async def test_a_client_takes_her_data_and_asks_for_erasure_in_the_portal(api, smtp_server) -> None:
    import io
    import json
    import zipfile

    from tests.portal_helpers import portal_sign_in, text_of

    contact = await _contact(api)
    await api.patch(f"/contacts/{contact['id']}", json={"version": contact["version"], "portal_access": True})
    csrf = await portal_sign_in(api, smtp_server, "petra.schulz@kunde.de")

    page = await api.http.get("/portal/my-data")
    assert page.status_code == 200 and "Meine Daten herunterladen" in page.text
    export = await api.http.get("/portal/my-data/export")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    body = json.loads(zipfile.ZipFile(io.BytesIO(export.content)).read("personal-data.json"))
    assert ("contact", contact["id"]) in {(r["kind"], r["id"]) for r in body["records"]}

    # Asking twice at once makes one request; asking again while it is open is told so.
    form = {"_csrf_token": csrf, "right": "erasure", "note": "Bitte alles löschen"}
    answers = await asyncio.gather(*(api.http.post("/portal/my-data/requests", data=form) for _ in range(3)))
    assert sorted(a.status_code for a in answers).count(303) == 1, [a.status_code for a in answers]
    assert all(a.status_code in (303, 409) for a in answers)
    rows = (await api.get(f"/privacy-requests?subject_id={contact['id']}")).json()["items"]
    assert [(r["right"], r["channel"], r["status"]) for r in rows] == [("erasure", "portal", "open")]
    assert rows[0]["due_on"] == months_after(today(), 1).isoformat()
    again = await api.http.post("/portal/my-data/requests", data=form)
    assert again.status_code == 409 and "bereits offen" in again.text

    # What the portal takes: the rights of Art. 15-21, nothing made up.
    odd = await api.http.post("/portal/my-data/requests", data=form | {"right": "forget_everything"})
    assert odd.status_code == 422
    access = await api.http.post("/portal/my-data/requests", data=form | {"right": "access"})
    assert access.status_code == 303, access.text
    shown = await api.http.get("/portal/my-data")
    assert "Löschung (Art. 17)" in shown.text and "offen" in shown.text

    # The team is told of each request once, with its deadline (here: the admins, no DPO set).
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    told = [" ".join(text_of(m).split()) for m in smtp_server.messages if m.rcpt_tos == ["admin@example.de"]]
    assert len(told) == 2, told
    due = months_after(today(), 1).strftime("%d.%m.%Y")
    assert all("Petra Schulz" in t and f"bis {due}" in t and "/privacy#requests" in t for t in told)
    assert sum("Löschung (Art. 17)" in t and "Bitte alles löschen" in t for t in told) == 1
    assert sum("Auskunft (Art. 15)" in t for t in told) == 1

    # The admin erases her: the request is answered, and she is signed out for good.
    erased = await api.post(f"/contacts/{contact['id']}/erase", "admin", json=ERASE)
    assert erased.status_code == 200
    assert (await api.get(f"/privacy-requests/{rows[0]['id']}")).json()["status"] == "answered"
    assert (await api.http.get("/portal/my-data", follow_redirects=False)).status_code in (302, 303, 401)


async def test_with_a_data_protection_officer_set_the_officer_is_told(api, smtp_server) -> None:
    from tests.portal_helpers import portal_sign_in, text_of

    api.app.state.settings = api.app.state.settings.model_copy(
        update={"dpo_name": "Dr. Anna Wolf", "dpo_email": "dsb@beratung.de"}
    )
    contact = await _contact(api)
    await api.patch(f"/contacts/{contact['id']}", json={"version": contact["version"], "portal_access": True})
    csrf = await portal_sign_in(api, smtp_server, "petra.schulz@kunde.de")
    asked = await api.http.post("/portal/my-data/requests", data={"_csrf_token": csrf, "right": "objection"})
    assert asked.status_code == 303
    for _ in range(2):  # a second run sends nothing again
        await api.run_jobs(smtp_url=smtp_server.url)
    # One mail, to the officer alone (not the admins), once.
    (mail,) = [m for m in smtp_server.messages if m.rcpt_tos != ["petra.schulz@kunde.de"]]
    said = " ".join(text_of(mail).split())
    assert mail.rcpt_tos == ["dsb@beratung.de"] and "Guten Tag Dr. Anna Wolf" in said
    assert "Petra Schulz (Müller Präzisionstechnik GmbH)" in said and "Widerspruch (Art. 21)" in said


async def test_the_person_sees_why_their_deadline_was_extended(api, smtp_server) -> None:
    from tests.portal_helpers import portal_sign_in

    contact = await _contact(api)
    await api.patch(f"/contacts/{contact['id']}", json={"version": contact["version"], "portal_access": True})
    csrf = await portal_sign_in(api, smtp_server, "petra.schulz@kunde.de")
    form = await api.http.get("/portal/my-data")
    rights = form.text.split('action="/portal/my-data/requests"')[1].split("</fieldset>")[0]
    assert "checked" not in rights and rights.count("required") == 6  # no right chosen for them
    await api.http.post("/portal/my-data/requests", data={"_csrf_token": csrf, "right": "access"})
    (row,) = (await api.get(f"/privacy-requests?subject_id={contact['id']}")).json()["items"]
    latest = months_after(date.fromisoformat(row["received_on"]), 3).isoformat()
    extended = await api.patch(
        f"/privacy-requests/{row['id']}",
        json={"version": row["version"], "due_on": latest, "extension_reason": "Daten aus drei Systemen"},
    )
    assert extended.status_code == 200
    page = " ".join((await api.http.get("/portal/my-data")).text.split())
    assert "Die Frist wurde verlängert: Daten aus drei Systemen" in page
