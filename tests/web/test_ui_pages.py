"""Admin UI pages over HTTP: sign-in, CSRF, validation next to fields, conflicts, language."""

from tests.conftest import Api
from tests.factories import TOKEN, make_client, make_engagement, sign_in


async def test_pages_need_sign_in_and_forms_need_csrf(api: Api) -> None:
    response = await api.http.get("/clients")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/clients"
    page = await api.http.get("/login")
    assert page.status_code == 200 and "Anmelden" in page.text
    wrong = await api.http.post(
        "/login",
        data={"email": "consultant@example.de", "password": "nope", "_csrf_token": TOKEN.search(page.text).group(1)},
    )
    assert wrong.status_code == 401 and "E-Mail oder Passwort ist falsch." in wrong.text
    await sign_in(api)
    forged = await api.http.post("/clients", data={"name": "Ohne Token GmbH"})
    assert forged.status_code == 403
    assert (await api.get("/clients")).json()["total"] == 0


async def test_dashboard_and_language_switch(api: Api) -> None:
    await sign_in(api)
    german = await api.http.get("/")
    assert german.status_code == 200 and "Aktive Engagements" in german.text
    switched = await api.http.get("/lang/en", headers={"referer": "https://testserver.local/"})
    assert switched.status_code in (302, 303)
    english = await api.http.get("/")
    assert "Active engagements" in english.text and 'lang="en"' in english.text
    await api.http.get("/lang/de")


async def test_client_form_errors_and_conflicts(api: Api) -> None:
    token = await sign_in(api)
    invalid = await api.http.post("/clients", data={"name": "", "employee_count": "viele", "_csrf_token": token})
    assert invalid.status_code == 422
    assert 'id="f-e-employee_count"' in invalid.text and 'value="viele"' in invalid.text
    created = await api.http.post("/clients", data={"name": "Holzmann GmbH", "city": "Freiburg", "_csrf_token": token})
    assert created.status_code == 303
    client_id = int(created.headers["location"].rsplit("/", 1)[1])
    assert (await api.get(f"/clients/{client_id}")).json()["city"] == "Freiburg"
    await api.patch(f"/clients/{client_id}", json={"city": "Ulm", "version": 1})  # someone else
    stale = await api.http.post(
        f"/clients/{client_id}", data={"name": "Holzmann GmbH", "city": "Basel", "version": "1", "_csrf_token": token}
    )
    assert stale.status_code == 409
    assert "Jemand anderes hat diesen Datensatz inzwischen geändert" in stale.text
    assert 'value="Basel"' in stale.text  # what was typed is kept
    assert (await api.get(f"/clients/{client_id}")).json()["city"] == "Ulm"


async def test_field_messages_speak_the_pages_language(api: Api) -> None:
    token = await sign_in(api)
    german = await api.http.post("/clients", data={"name": "", "employee_count": "viele", "_csrf_token": token})
    assert german.status_code == 422
    assert "Pflichtfeld." in german.text and "Bitte eine ganze Zahl eingeben." in german.text
    await api.http.get("/lang/en")
    english = await api.http.post("/clients", data={"name": "", "employee_count": "viele", "_csrf_token": token})
    assert "Bitte" not in english.text and "valid integer" in english.text
    await api.http.get("/lang/de")


async def test_contact_form_keeps_input_and_explains_a_refusal(api: Api) -> None:
    token = await sign_in(api)
    client = await make_client(api)
    contact = {
        "name": "Eva Roth",
        "email": "eva@example.de",
        "language": "de",
        "receives_digest": "on",
        "_csrf_token": token,
    }
    assert (await api.http.post(f"/clients/{client['id']}/contacts", data=contact)).status_code == 303
    twice = await api.http.post(f"/clients/{client['id']}/contacts", data={**contact, "name": "Eva R."})
    assert twice.status_code == 409
    assert "einen Eintrag mit diesem Wert gibt es schon" in twice.text and 'value="Eva R."' in twice.text
    assert (await api.get("/contacts", params={"client_id": client["id"]})).json()["total"] == 1


async def test_a_contact_is_edited_on_the_client_page(api: Api) -> None:
    token = await sign_in(api)
    client = await make_client(api)
    contact = await api.create(
        "contacts",
        {"client_id": client["id"], "name": "Eva Roth", "email": "eva@example.de", "receives_digest": True},
    )
    page = await api.http.get(f"/clients/{client['id']}")
    assert f'action="/clients/{client["id"]}/contacts/{contact["id"]}"' in page.text
    assert f'id="c{contact["id"]}-email"' in page.text and "Portalzugang</span>" not in page.text
    url = f"/clients/{client['id']}/contacts/{contact['id']}"
    form = {"name": "Eva Roth", "email": "eva.roth@example.de", "position": "CFO", "language": "en"}
    # "receives_digest" unticked, "portal_access" ticked.
    saved = await api.http.post(url, data={**form, "portal_access": "1", "version": "1", "_csrf_token": token})
    assert saved.status_code == 303, saved.text
    stored = (await api.get(f"/contacts/{contact['id']}")).json()
    assert stored["email"] == "eva.roth@example.de" and stored["language"] == "en" and stored["position"] == "CFO"
    assert stored["portal_access"] is True and stored["receives_digest"] is False and stored["version"] == 2
    page = await api.http.get(f"/clients/{client['id']}")
    assert '<span class="badge green">Portalzugang</span>' in page.text
    # A stale version is refused with the form kept open; a bad address is named at its field.
    stale = await api.http.post(url, data={**form, "name": "Eva R.", "version": "1", "_csrf_token": token})
    assert (
        stale.status_code == 409
        and 'value="Eva R."' in stale.text
        and f'id="edit-contact-{contact["id"]}" open' in stale.text
    )
    bad = await api.http.post(url, data={**form, "email": "kein-at", "version": "2", "_csrf_token": token})
    assert bad.status_code == 422 and f'id="c{contact["id"]}-e-email"' in bad.text
    # A contact of another client is not reached through this client's page.
    other = await make_client(api, "Beta GmbH")
    elsewhere = await api.http.post(
        f"/clients/{other['id']}/contacts/{contact['id']}", data={**form, "version": "2", "_csrf_token": token}
    )
    assert elsewhere.status_code == 404
    assert (await api.get(f"/contacts/{contact['id']}")).json()["version"] == 2


async def test_readiness_form_on_the_client_page(api: Api) -> None:
    token = await sign_in(api)
    client = await make_client(api)
    levers = {
        "priorities": "1",
        "responsibility": "2",
        "people_enabled": "1",
        "pilots_in_production": "0",
        "kpi_practice": "1",
    }
    bad = await api.http.post(
        f"/clients/{client['id']}/assessments",
        data={"phase": "start", "assessed_on": "2026-11-02", **levers, "priorities": "6", "_csrf_token": token},
    )
    assert bad.status_code == 422 and 'id="f-e-priorities"' in bad.text
    good = await api.http.post(
        f"/clients/{client['id']}/assessments",
        data={"phase": "start", "assessed_on": "2026-11-02", **levers, "_csrf_token": token},
    )
    assert good.status_code == 303
    page = await api.http.get(f"/clients/{client['id']}")
    assert "KI-Reifegrad" in page.text and "5 / 25" in page.text


async def test_client_users_cannot_use_the_team_ui(api: Api, password_hash: str) -> None:
    client = await make_client(api)
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    await sign_in(api, "kunde@example.de")
    for path in ("/", "/clients", f"/clients/{client['id']}", "/engagements"):
        answer = await api.http.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/portal", path
        assert "Alpha" not in answer.text  # sent away, shown nothing
    form = TOKEN.search((await api.http.get("/portal")).text)
    posted = await api.http.post("/clients", data={"name": "X", "_csrf_token": form.group(1) if form else ""})
    assert posted.status_code == 403


async def test_every_refused_form_answers_a_page(api: Api) -> None:
    """A browser shows whatever it is told: a refusal must be HTML, never JSON or page source."""
    token = await sign_in(api)
    client = await make_client(api)
    answers = {
        "new client": await api.http.post("/clients", data={"name": "", "employee_count": "-3", "_csrf_token": token}),
        "edit client": await api.http.post(
            f"/clients/{client['id']}",
            data={"name": client["name"], "employee_count": "-3", "version": "1", "_csrf_token": token},
        ),
        "assessment": await api.http.post(f"/clients/{client['id']}/assessments", data={"_csrf_token": token}),
        "wrong password": await api.http.post(
            "/login", data={"email": "x@y.de", "password": "x", "_csrf_token": token}
        ),
    }
    expected = {"new client": 422, "edit client": 422, "assessment": 422, "wrong password": 401}
    for name, answer in answers.items():
        assert answer.status_code == expected[name], (name, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), (name, answer.headers["content-type"])
    assert "größer oder gleich 1" in answers["edit client"].text or "mindestens 1" in answers["edit client"].text
    assert (await api.get(f"/clients/{client['id']}")).json()["version"] == 1


async def test_client_search_takes_percent_and_underscore_literally(api: Api) -> None:
    await sign_in(api)
    for name in ("Müller GmbH", "Rabatt 100% AG", "Holz_Bau KG"):
        await api.create("clients", {"name": name})
    for text, found in (("%", ["Rabatt 100% AG"]), ("_", ["Holz_Bau KG"]), ("ller", ["Müller GmbH"])):
        page = (await api.http.get("/clients", params={"q": text})).text
        shown = [name for name in ("Müller GmbH", "Rabatt 100% AG", "Holz_Bau KG") if name in page]
        assert shown == found, (text, shown)


async def test_an_engagement_says_when_it_starts_or_ended_outside_its_weeks(api: Api) -> None:
    from datetime import timedelta

    from backend.kernel.time import today

    await sign_in(api)
    client = await make_client(api)
    soon = today() + timedelta(days=40)
    cases = [
        (soon, f"startet am {soon:%d.%m.%Y}"),
        (
            today() - timedelta(weeks=20),
            f"endete am {today() - timedelta(weeks=20) + timedelta(weeks=4, days=-1):%d.%m.%Y}",
        ),
        (today() - timedelta(days=today().weekday()), "Woche 1 von 4"),
    ]
    for start, shown in cases:
        engagement = await api.create(
            "engagements",
            {
                "client_id": client["id"],
                "title": "T",
                "start_date": start.isoformat(),
                "duration_weeks": 4,
                "fixed_fee": "100.00",
            },
        )
        page = await api.http.get(f"/engagements/{engagement['id']}")
        assert shown in page.text, (start, shown)


async def test_weekly_status_and_digest_begin_in_the_first_week(api: Api) -> None:
    from datetime import timedelta

    from backend.kernel.time import iso_week, today

    await sign_in(api)
    client = await make_client(api)
    start = today() + timedelta(weeks=3)
    engagement = await make_engagement(api, client["id"], title="T", start_date=start.isoformat(), duration_weeks=4)
    page = await api.http.get(f"/engagements/{engagement['id']}")
    assert f"das Projekt startet am {start:%d.%m.%Y}" in page.text
    assert 'id="status-form"' not in page.text and "/digest" not in page.text
    assert 'value="status_report"' not in page.text and 'value="proposal"' in page.text
    report = await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "status_report"})
    assert report.status_code == 422 and report.json()["errors"][0]["path"] == "body"  # the week was not given
    early = await api.post(
        "/status-updates",
        json={"engagement_id": engagement["id"], "iso_week": iso_week(today()), "rag": "green", "summary": "x"},
    )
    assert early.status_code == 422 and early.json()["errors"][0]["path"] == "body.iso_week"
    assert iso_week(start) in early.json()["errors"][0]["message"]
    first = await api.post(
        "/status-updates",
        json={"engagement_id": engagement["id"], "iso_week": iso_week(start), "rag": "green", "summary": "x"},
    )
    assert first.status_code == 201, first.text
    moved = await api.patch(f"/status-updates/{first.json()['id']}", json={"iso_week": iso_week(today()), "version": 1})
    assert moved.status_code == 422
    # A started engagement offers both.
    begun = await make_engagement(api, client["id"], title="U", start_date=today().isoformat(), duration_weeks=4)
    page = await api.http.get(f"/engagements/{begun['id']}")
    assert 'id="status-form"' in page.text and f"/engagements/{begun['id']}/digest" in page.text


async def test_refusals_of_one_field_speak_the_pages_language(api: Api) -> None:
    from datetime import timedelta

    from backend.kernel.time import iso_week, today

    token = await sign_in(api)
    broken = await api.http.post("/clients", data={"name": "Alpha\tGmbH", "_csrf_token": token})
    assert broken.status_code == 422 and "Bitte in einer Zeile" in broken.text
    client = await make_client(api)
    start = today() + timedelta(weeks=2)
    engagement = await make_engagement(api, client["id"], title="T", start_date=start.isoformat(), duration_weeks=4)
    early = await api.http.post(
        f"/engagements/{engagement['id']}/status",
        data={"iso_week": iso_week(today()), "rag": "green", "summary": "x", "_csrf_token": token},
    )
    assert early.status_code == 422
    assert f"Das Projekt startet am {start:%d.%m.%Y} ({iso_week(start)})" in early.text


async def test_the_start_cannot_move_past_weekly_status(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"], start_date="2026-11-02")
    await api.create("status-updates", {"engagement_id": engagement["id"], "iso_week": "2026-W46", "rag": "green"})
    later = await api.patch(f"/engagements/{engagement['id']}", json={"start_date": "2026-11-16", "version": 1})
    assert later.status_code == 422 and later.json()["errors"][0]["path"] == "body.start_date"
    assert "2026-W46" in later.json()["errors"][0]["message"]
    # Within the week of the status, or earlier, the start may move.
    same_week = await api.patch(f"/engagements/{engagement['id']}", json={"start_date": "2026-11-12", "version": 1})
    assert same_week.status_code == 200, same_week.text


async def test_the_dashboard_counts_weeks_from_the_start(api: Api) -> None:
    from datetime import timedelta

    from backend.flows.dashboard.service import load
    from backend.kernel.time import today

    client = await make_client(api)
    monday = today() - timedelta(days=today().weekday())
    starts_next_week = await make_engagement(
        api, client["id"], title="T", start_date=(monday + timedelta(weeks=1)).isoformat(), duration_weeks=4
    )
    moved = await api.post(f"/engagements/{starts_next_week['id']}/transitions", json={"to": "proposed", "version": 1})
    moved = await api.post(
        f"/engagements/{starts_next_week['id']}/transitions", json={"to": "active", "version": moved.json()["version"]}
    )
    assert moved.status_code == 200, moved.text
    for week in (1, 2):
        await api.create(
            "deliverables",
            {"engagement_id": starts_next_week["id"], "title": f"W{week}", "kind": "document", "due_week": week},
        )
    async with api.app.state.session_maker() as session:
        board = await load(session)
    # Due next week: the first week's; the second week's is not yet due.
    assert [item.title for item, _, _ in board.deliverables] == ["W1"]
    assert [late for _, _, late in board.deliverables] == [False]


async def test_the_dashboard_shows_each_engagements_burn(api: Api) -> None:
    """A fixed fee of 1,000 € and 9 hours at 100 €/h: 90 % used, to watch."""
    from datetime import timedelta

    from backend.kernel.time import today

    client = await make_client(api)
    start = today() - timedelta(days=7)
    engagement = await make_engagement(api, client["id"], start_date=start.isoformat(), fixed_fee="1000.00")
    proposed = await api.post(f"/engagements/{engagement['id']}/transitions", json={"to": "proposed", "version": 1})
    active = await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "active", "version": proposed.json()["version"]}
    )
    assert active.status_code == 200, active.text
    consultant = api.users["consultant"]
    await api.create(
        "cost-rates", {"user_id": consultant, "valid_from": "2026-01-01", "hourly_cost": "100.00"}, "admin"
    )
    await api.create(
        "time-entries", {"engagement_id": engagement["id"], "day": str(start), "minutes": 540, "description": "Analyse"}
    )
    await sign_in(api)
    page = (await api.http.get("/")).text
    row = page[page.index(f'/engagements/{engagement["id"]}"') :].split("</tr>")[0]
    assert '<span class="badge amber">90 %</span>' in row and 'title="beobachten"' in row
    # The engagement page: the figures, and the chart with its budget line and forecast.
    shown = (await api.http.get(f"/engagements/{engagement['id']}")).text
    burn = shown[shown.index('id="burn"') :].split("</section>")[0].replace("\xa0", " ")
    assert "Verbraucht <strong>900,00 €</strong> von 1.000,00 €" in burn and "<strong>90 %</strong> verbraucht" in burn
    assert "Marge <strong>100,00 €</strong>" in burn
    assert '<svg class="burn-chart"' in burn and burn.count("<polyline") == 2 and 'stroke="#c62828"' in burn


async def test_an_ended_engagement_offers_no_weekly_status_or_digest(api: Api) -> None:
    from sqlalchemy import text

    client = await make_client(api)
    engagement = await make_engagement(api, client["id"], start_date="2026-06-01", duration_weeks=6)
    await sign_in(api)
    running = await api.http.get(f"/engagements/{engagement['id']}")
    assert (
        f'action="/engagements/{engagement["id"]}/digest"' in running.text and 'value="status_report"' in running.text
    )
    async with api.engine.begin() as conn:
        await conn.execute(text("UPDATE engagements SET status = 'completed' WHERE id = :e"), {"e": engagement["id"]})
    ended = await api.http.get(f"/engagements/{engagement['id']}")
    assert f'action="/engagements/{engagement["id"]}/digest"' not in ended.text
    assert 'value="status_report"' not in ended.text and "Das Engagement ist beendet" in ended.text
    assert 'value="result_report"' in ended.text


def test_the_burn_charts_line_labels_never_sit_on_each_other() -> None:
    from datetime import date
    from decimal import Decimal

    from backend.domains.engagements.models import Engagement
    from backend.domains.timesheets.burn import Burn
    from backend.web.admin.burn_chart import LABEL_GAP, burn_chart

    engagement = Engagement(client_id=1, title="T", start_date=date(2026, 11, 2), duration_weeks=8)
    for forecast in ("1000", "1010", "990", "1500", "0"):
        burn = Burn.model_construct(budget=Decimal(1000), spent=Decimal(400), forecast=Decimal(forecast), weeks=[])
        chart = burn_chart(burn, engagement, date(2026, 11, 20))
        assert chart.budget_y is not None and abs(chart.forecast_label_y - chart.budget_y) >= LABEL_GAP - 0.01
        if abs(chart.forecast_y - chart.budget_y) >= LABEL_GAP:
            assert chart.forecast_label_y == chart.forecast_y  # far apart: each label at its line
