"""A contact's personal data on the team's pages: marked fields, the export, and an admin's
erasure with its report (GDPR Art. 15, 17)."""

from __future__ import annotations

import io
import zipfile

from tests.conftest import Api
from tests.factories import make_client, make_engagement, sign_in


async def test_an_admin_erases_a_contact_from_the_client_page(api: Api) -> None:
    client = await make_client(api)
    contact = await api.create(
        "contacts", {"client_id": client["id"], "name": "Sabine Müller", "email": "s.mueller@kunde.de"}
    )
    await api.patch(f"/clients/{client['id']}", json={"notes": "Sabine Müller ruft montags an", "version": 1})
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    await api.create(
        "sub-processors",
        {"pilot_id": pilot["id"], "provider": "Amazon Web Services EMEA SARL", "service": "Bedrock",
         "hosting_region": "Frankfurt", "hosting_country": "DE", "personal_data": True,
         "data_categories": ["Kontaktdaten"]},
    )  # fmt: skip

    # A consultant sees the marked fields and the export, not the erasure.
    await sign_in(api)
    page = await api.http.get(f"/clients/{client['id']}")
    assert page.status_code == 200 and "personenbezogen" in page.text
    assert "Person löschen" not in page.text
    export = await api.http.get(f"/clients/{client['id']}/contacts/{contact['id']}/personal-data")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    assert "personal-data.json" in zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    # A consultant cannot open the erasure: a page that says so, not JSON.
    denied = await api.http.get(
        f"/clients/{client['id']}/contacts/{contact['id']}/erase", headers={"Accept": "text/html"}
    )
    assert denied.status_code == 403 and "Keine Berechtigung" in denied.text
    api.http.cookies.clear()

    token = await sign_in(api, "admin@example.de")
    page = await api.http.get(f"/clients/{client['id']}")
    assert "Person löschen (Art. 17 DSGVO)" in page.text
    # The preview: what would go, what is kept, who to tell; nothing changes by looking.
    preview = await api.http.get(f"/clients/{client['id']}/contacts/{contact['id']}/erase")
    assert preview.status_code == 200 and "Sabine Müller löschen" in preview.text
    assert "Was gelöscht würde" in preview.text and "Name im Text ersetzt" in preview.text
    assert "Amazon Web Services EMEA SARL" in preview.text  # Art. 19: the provider to tell
    assert (await api.get(f"/contacts/{contact['id']}", "admin")).json()["erased_at"] is None
    api_preview = (await api.get(f"/contacts/{contact['id']}/erasure-preview", "admin")).json()
    assert {"table": "clients", "action": "redacted", "rows": 1} in api_preview["erased"]
    assert api_preview["recipients"] == [{"provider": "Amazon Web Services EMEA SARL", "service": "Bedrock"}]
    # Without the confirmation: refused on the page, nothing erased.
    refused = await api.http.post(
        f"/clients/{client['id']}/contacts/{contact['id']}/erase", data={"_csrf_token": token, "reason": "Mail"}
    )
    assert refused.status_code == 422 and 'id="erase"' in refused.text and "Was gelöscht würde" in refused.text
    assert (await api.get(f"/contacts/{contact['id']}", "admin")).json()["erased_at"] is None

    erased = await api.http.post(
        f"/clients/{client['id']}/contacts/{contact['id']}/erase",
        data={"_csrf_token": token, "reason": "Anfrage per Mail", "confirm": "1"},
    )
    assert erased.status_code == 303 and erased.headers["location"].startswith("/erasures/")
    report = await api.http.get(erased.headers["location"])
    assert report.status_code == 200 and "Löschung nach Art. 17 DSGVO" in report.text
    assert "clients" in report.text and "Name im Text ersetzt" in report.text
    assert "Empfänger benachrichtigen" in report.text and "Amazon Web Services EMEA SARL" in report.text
    assert "Sabine Müller" not in report.text
    page = await api.http.get(f"/clients/{client['id']}")
    assert "gelöscht am" in page.text and "Sabine Müller" not in page.text
    # Erased already: the erasure page leads to its report; the preview is refused.
    again = await api.http.get(f"/clients/{client['id']}/contacts/{contact['id']}/erase")
    assert again.status_code == 303 and again.headers["location"] == erased.headers["location"]
    assert (await api.get(f"/contacts/{contact['id']}/erasure-preview", "admin")).status_code == 409


async def test_an_admin_erases_a_participant_from_the_literacy_page(api: Api) -> None:
    client = await make_client(api)
    person = await api.create(
        "participants", {"client_id": client["id"], "name": "Jana Vogt", "email": "jana@kunde.de"}
    )
    token = await sign_in(api, "admin@example.de")
    page = await api.http.get(f"/clients/{client['id']}/ai-literacy")
    assert f"/clients/{client['id']}/participants/{person['id']}/erase" in page.text
    preview = await api.http.get(f"/clients/{client['id']}/participants/{person['id']}/erase")
    assert preview.status_code == 200 and "Jana Vogt löschen" in preview.text
    assert "Keine: die Piloten dieses Kunden" in preview.text
    other = await make_client(api, "Andere GmbH")
    for path in (f"/clients/{other['id']}/participants/{person['id']}/erase", f"/clients/{client['id']}/users/1/erase"):
        assert (await api.http.get(path)).status_code == 404
    erased = await api.http.post(
        f"/clients/{client['id']}/participants/{person['id']}/erase",
        data={"_csrf_token": token, "reason": "Bitte per Telefon", "confirm": "on"},
    )
    assert erased.status_code == 303 and erased.headers["location"].startswith("/erasures/")
    assert (await api.get(f"/participants/{person['id']}", "admin")).json()["name"] == "[gelöscht]"


async def test_the_literacy_page_marks_a_participants_data_and_exports_it(api: Api) -> None:
    client = await make_client(api)
    person = await api.create(
        "participants", {"client_id": client["id"], "name": "Jana Vogt", "email": "jana@kunde.de"}
    )
    await sign_in(api)
    page = await api.http.get(f"/clients/{client['id']}/ai-literacy")
    assert page.status_code == 200 and "personenbezogen" in page.text and "Auskunft (ZIP)" in page.text
    export = await api.http.get(f"/clients/{client['id']}/participants/{person['id']}/personal-data")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    other = await make_client(api, "Andere GmbH")
    assert (await api.http.get(f"/clients/{other['id']}/participants/{person['id']}/personal-data")).status_code == 404


async def test_the_team_records_and_answers_a_request_in_the_register(api: Api) -> None:
    from datetime import timedelta

    from backend.flows.privacy.requests import months_after
    from backend.kernel.time import today

    client = await make_client(api)
    contact = await api.create("contacts", {"client_id": client["id"], "name": "Jonas Weber", "email": "jw@kunde.de"})
    token = await sign_in(api)
    page = await api.http.get(f"/clients/{client['id']}")
    assert "Anfrage erfassen" in page.text
    received = today() - timedelta(days=40)  # a letter found late: overdue already
    recorded = await api.http.post(
        f"/clients/{client['id']}/contacts/{contact['id']}/privacy-requests",
        data={
            "_csrf_token": token,
            "right": "access",
            "channel": "letter",
            "received_on": received.isoformat(),
            "note": "Auskunft erbeten",
        },
    )
    assert recorded.status_code == 303 and recorded.headers["location"] == "/privacy#requests"
    bad = await api.http.post(
        f"/clients/{client['id']}/contacts/{contact['id']}/privacy-requests",
        data={"_csrf_token": token, "right": "vergessen", "channel": "letter"},
    )
    assert bad.status_code == 422 and f'id="request-contact-{contact["id"]}" open' in bad.text

    register = await api.http.get("/privacy")
    assert register.status_code == 200
    assert "Jonas Weber" in register.text and "Tage überfällig" in register.text
    due = months_after(received, 1)
    assert f"{due.day:02d}.{due.month:02d}.{due.year}" in register.text
    # The record of processing is an admin's.
    assert "Verarbeitungsverzeichnis (PDF)" not in register.text
    assert (await api.http.get("/privacy/record.pdf")).status_code == 403

    row = (await api.get(f"/privacy-requests?subject_id={contact['id']}")).json()["items"][0]
    # The deadline put off: only within the first month (this one is overdue), at most three
    # months from receipt, and only with the reason.
    extend = f"/privacy-requests/{row['id']}/deadline"
    late = await api.http.post(
        extend,
        data={"_csrf_token": token, "version": row["version"], "due_on": months_after(received, 3).isoformat(),
              "extension_reason": "Umfang der Daten"},
    )  # fmt: skip
    assert late.status_code == 422 and "nur innerhalb des ersten Monats" in late.text
    fresh = await api.post(
        "/privacy-requests",
        json={"subject_kind": "contact", "subject_id": contact["id"], "right": "portability", "channel": "email"},
    )
    fresh = fresh.json()
    latest = months_after(today(), 3)
    assert f'max="{latest.isoformat()}"' in (await api.http.get("/privacy")).text
    extend = f"/privacy-requests/{fresh['id']}/deadline"
    for form, said in (
        ({"due_on": (latest + timedelta(days=1)).isoformat(), "extension_reason": "Umfang"}, "Höchstens drei Monate"),
        ({"due_on": latest.isoformat()}, "braucht den Grund"),
        ({"extension_reason": "Umfang der Daten"}, "neuen Tag der Frist"),
    ):
        failed = await api.http.post(extend, data={"_csrf_token": token, "version": fresh["version"], **form})
        assert failed.status_code == 422 and said in failed.text and f'id="request-{fresh["id"]}"' in failed.text
    put_off = await api.http.post(
        extend,
        data={"_csrf_token": token, "version": fresh["version"], "due_on": latest.isoformat(),
              "extension_reason": "Umfang der Daten aus drei Systemen"},
    )  # fmt: skip
    assert put_off.status_code == 303
    fresh = (await api.get(f"/privacy-requests/{fresh['id']}")).json()
    assert (fresh["due_on"], fresh["extension_reason"]) == (latest.isoformat(), "Umfang der Daten aus drei Systemen")
    assert "verlängert: Umfang der Daten aus drei Systemen" in (await api.http.get("/privacy")).text
    refused = await api.http.post(
        f"/privacy-requests/{row['id']}/transitions",
        data={"_csrf_token": token, "to": "refused", "version": row["version"], "reason": ""},
    )
    assert refused.status_code == 422 and f'id="request-{row["id"]}"' in refused.text
    assert 'role="alert"' in refused.text
    answered = await api.http.post(
        f"/privacy-requests/{row['id']}/transitions",
        data={"_csrf_token": token, "to": "answered", "version": row["version"], "reason": "Auskunft per Brief"},
    )
    assert answered.status_code == 303
    register = await api.http.get("/privacy")
    assert "Auskunft per Brief" in register.text
    assert "verspätet" in register.text
    api.http.cookies.clear()

    await sign_in(api, "admin@example.de")
    record = await api.http.get("/privacy/record.pdf")
    assert record.status_code == 200 and record.content.startswith(b"%PDF")
