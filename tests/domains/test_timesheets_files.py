"""A week entered at once, and time entries through CSV as German Excel writes it: all lines or
none, every refusal by line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_client, make_engagement

TODAY = berlin_today()
MONDAY = TODAY - timedelta(days=TODAY.weekday() + 7)  # last week's


async def engagement(api: Api) -> dict[str, Any]:
    client = await make_client(api)
    return await make_engagement(api, client["id"], start_date=str(MONDAY - timedelta(days=14)))


async def count(api: Api) -> int:
    return (await api.get("/time-entries", params={"total": "true"})).json()["total"]


def day(n: int) -> str:
    return str(MONDAY + timedelta(days=n))


async def test_a_week_is_recorded_whole_or_not_at_all(api: Api) -> None:
    e = await engagement(api)
    week = [
        {"engagement_id": e["id"], "day": day(n), "minutes": 60 * (n + 1), "description": f"Tag {n}"} for n in range(5)
    ]
    created = await api.post("/time-entries/bulk", json={"entries": week})
    assert created.status_code == 201, created.text
    assert [row["minutes"] for row in created.json()] == [60, 120, 180, 240, 300]
    assert {row["user_id"] for row in created.json()} == {api.users["consultant"]}
    ahead = [*week[:2], week[2] | {"day": str(TODAY + timedelta(days=3))}, week[3] | {"engagement_id": 987654}]
    refused = await api.post("/time-entries/bulk", json={"entries": ahead})
    assert refused.status_code == 422
    paths = [error["path"] for error in refused.json()["errors"]]
    assert paths == ["body.entries.2.day", "body.entries.3.engagement_id"], refused.text
    assert await count(api) == 5  # nothing of the refused week
    too_many = await api.post("/time-entries/bulk", json={"entries": week * 41})
    assert too_many.status_code == 422


HEADER = "Datum;Berater;Engagement-ID;Stunden;Beschreibung;abrechenbar;Workshop-ID"


async def test_csv_round_trip_keeps_the_totals(api: Api) -> None:
    e = await engagement(api)
    rows = [
        (day(0), 90, True, "Kickoff vorbereitet – Agenda, Teilnehmer"),
        (day(1), 330, True, "Workshop; Nachbereitung"),
        (day(2), 45, False, 'Interne Abstimmung "Budget"'),
        (day(3), 30, True, '=HYPERLINK("https://example.invalid";"Rechnung")'),
    ]
    for when, minutes, billable, text in rows:
        body = {"engagement_id": e["id"], "day": when, "minutes": minutes, "description": text, "billable": billable}
        await api.create("time-entries", body)
    before = (await api.get(f"/engagements/{e['id']}/burn")).json()
    exported = await api.get("/time-entries/export", params={"engagement_id": e["id"]})
    assert exported.status_code == 200
    # A bad parameter is named as the client wrote it.
    bad_day = await api.get("/time-entries/export", params={"from": "20.11.2026"})
    assert bad_day.status_code == 422 and bad_day.json()["errors"][0]["path"] == "query.from"
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="Zeiten_Engagement-' in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeffDatum;Berater;Engagement-ID;Stunden;")
    assert f"{MONDAY:%d.%m.%Y};consultant@example.de;{e['id']};1,50;" in text
    assert '"Workshop; Nachbereitung"' in text and "0,75" in text and ";nein;" in text
    # Excel would run a cell that starts with = as a formula: it is written as text.
    assert "'=HYPERLINK(" in text and ";=HYPERLINK" not in text and '";=' not in text
    for row in (await api.get("/time-entries", params={"engagement_id": e["id"]})).json()["items"]:
        assert (await api.delete(f"/time-entries/{row['id']}")).status_code == 204
    imported = await api.post("/time-entries/import", json={"csv": text})
    assert imported.status_code == 201, imported.text
    assert (imported.json()["created"], imported.json()["minutes"]) == (4, 495)
    after = (await api.get(f"/engagements/{e['id']}/burn")).json()
    assert {k: after[k] for k in ("hours", "billable_hours", "cost")} == {
        k: before[k] for k in ("hours", "billable_hours", "cost")
    }
    described = {row["description"] for row in (await api.get("/time-entries")).json()["items"]}
    assert described == {text for _, _, _, text in rows}


async def test_a_malformed_csv_is_refused_line_by_line_and_nothing_is_kept(api: Api) -> None:
    e = await engagement(api)
    good = f"{MONDAY:%d.%m.%Y};;{e['id']};2,5;Gut;ja;"
    lines = [
        HEADER,
        good,
        f"31.02.2026;;{e['id']};1;Falsches Datum;ja;",
        f"{MONDAY:%d.%m.%Y};;987654;1;Unbekanntes Engagement;ja;",
        f"{MONDAY:%d.%m.%Y};;{e['id']};-2;Negative Dauer;ja;",
        f"{MONDAY:%d.%m.%Y};;{e['id']};1,3333;Unklar abrechenbar;vielleicht;",
        f"{MONDAY:%d.%m.%Y};;{e['id']};1;Zu wenige Felder",
    ]
    refused = await api.post("/time-entries/import", json={"csv": "\r\n".join(lines)})
    assert refused.status_code == 422
    where = sorted({(error["line"], error.get("column")) for error in refused.json()["errors"]})
    assert where == [(3, "Datum"), (6, "abrechenbar"), (7, None)], refused.text
    # Lines that read well are checked as entries: an unknown engagement, a negative duration.
    readable = "\r\n".join(lines[:2] + lines[3:5])
    refused = await api.post("/time-entries/import", json={"csv": readable})
    assert refused.status_code == 422
    found = [(error["line"], error["column"]) for error in refused.json()["errors"]]
    assert found == [(3, "Engagement-ID"), (4, "Stunden")], refused.text
    assert "Value error" not in refused.text
    assert await count(api) == 0
    lower_case = (
        f"datum;engagement-id;stunden;beschreibung;abrechenbar\r\n{MONDAY:%d.%m.%Y};{e['id']};1.500;Tippfehler;"
    )
    refused = await api.post("/time-entries/import", json={"csv": lower_case})  # fifteen hundred hours
    assert refused.status_code == 422
    assert [(error["line"], error["column"]) for error in refused.json()["errors"]] == [(2, "Stunden")], refused.text
    assert "24 hours" in refused.text
    unknown = await api.post("/time-entries/import", json={"csv": "Datum;Stunde\r\n"})
    assert unknown.status_code == 422 and "columns missing" in unknown.text
    colleague_time = f"{HEADER}\r\n{MONDAY:%d.%m.%Y};admin@example.de;{e['id']};1;Fremde Zeit;ja;"
    refused = await api.post("/time-entries/import", json={"csv": colleague_time})
    assert refused.status_code == 422 and "their own" in refused.text
    assert (await api.post("/time-entries/import", "admin", json={"csv": colleague_time})).status_code == 201
    assert await count(api) == 1


async def test_minutes_round_trip_billable_by_default_and_no_entry_twice(api: Api) -> None:
    e = await engagement(api)
    for minutes in (10, 20, 25, 50):
        await api.create(
            "time-entries",
            {"engagement_id": e["id"], "day": day(0), "minutes": minutes, "description": f"{minutes} min"},
        )
    text = (await api.get("/time-entries/export", params={"engagement_id": e["id"]})).content.decode()
    assert ";0,33;" in text and ";0,17;" in text
    again = await api.post("/time-entries/import", json={"csv": text})
    assert again.status_code == 422
    assert {error["column"] for error in again.json()["errors"]} == {"Eintrag"}  # nothing recorded twice
    fresh = text.replace(f"{e['id']};0,", f"{e['id']};0,")  # the same lines, without the entries' ids
    lines = [";".join(line.split(";")[:-1]) for line in fresh.strip().split("\r\n")]
    imported = await api.post("/time-entries/import", json={"csv": "\r\n".join(lines)})
    assert imported.status_code == 201, imported.text
    assert imported.json()["minutes"] == 105  # 0,17 · 0,33 · 0,42 · 0,83 hours are 10, 20, 25 and 50 minutes
    # An id no row can have, or one in other digits, is refused where it stands.
    for odd in ("99999999999999999999", "2147483648", "١٢"):
        csv = f"Datum;Engagement-ID;Stunden;Beschreibung;Eintrag\n{day(1)};{e['id']};1;x;{odd}\n"
        refused = await api.post("/time-entries/import", json={"csv": csv})
        assert refused.status_code == 422 and refused.json()["errors"][0]["column"] == "Eintrag", refused.text
    typed = f"{HEADER}\r\n{MONDAY:%d.%m.%Y};;{e['id']};1;Neu getippt;;"
    created = await api.post("/time-entries/import", json={"csv": typed})
    assert created.status_code == 201, created.text
    assert (await api.get(f"/time-entries/{created.json()['ids'][0]}")).json()["billable"] is True


async def test_a_huge_file_is_refused_whole(api: Api) -> None:
    e = await engagement(api)
    line = f"\r\n{MONDAY:%d.%m.%Y};;{e['id']};1;{'x' * 100}"
    three_mb = "Datum;Berater;Engagement-ID;Stunden;Beschreibung" + line * 30_000
    assert (await api.post("/time-entries/import", json={"csv": three_mb})).status_code == 422
    ten_mb = three_mb + line * 70_000
    assert (await api.post("/time-entries/import", json={"csv": ten_mb})).status_code in (413, 422)
    many = "Datum;Berater;Engagement-ID;Stunden;Beschreibung" + f"\r\n{MONDAY:%d.%m.%Y};;{e['id']};1;x" * 2001
    refused = await api.post("/time-entries/import", json={"csv": many})
    assert refused.status_code == 422 and "at most 2000" in refused.text
    assert await count(api) == 0


async def test_clients_neither_import_nor_export(api: Api, password_hash: str) -> None:
    e = await engagement(api)
    await api.add_user("kunde", "client", password_hash, client_id=e["client_id"])
    assert (await api.get("/time-entries/export", "kunde")).status_code == 403
    assert (await api.post("/time-entries/import", "kunde", json={"csv": HEADER})).status_code == 403
    assert (await api.post("/time-entries/bulk", "kunde", json={"entries": []})).status_code in (403, 422)


async def test_what_no_spreadsheet_writes_is_refused_quickly_and_as_such(api: Api) -> None:
    import time

    e = await engagement(api)
    header = "Datum;Engagement-ID;Stunden;Beschreibung"
    started = time.perf_counter()
    for hours in ("1e999990", "1,5e1", "1_0", "٢", "--1"):
        refused = await api.post(
            "/time-entries/import", json={"csv": f"{header}\r\n{MONDAY:%d.%m.%Y};{e['id']};{hours};W"}
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["column"] == "Stunden", (hours, refused.text)
    assert time.perf_counter() - started < 5
    mac = await api.post("/time-entries/import", json={"csv": f"{header}\r{MONDAY:%d.%m.%Y};{e['id']};2,5;Mac\r"})
    assert mac.status_code == 201 and mac.json()["minutes"] == 150  # lines ended by CR alone
    long = await api.post(
        "/time-entries/import", json={"csv": f"{header}\r\n{MONDAY:%d.%m.%Y};{e['id']};1;{'x' * 200_000}"}
    )
    assert long.status_code == 422
    twice = await api.post(
        "/time-entries/import", json={"csv": f"{header};Stunden\r\n{MONDAY:%d.%m.%Y};{e['id']};1;W;2"}
    )
    assert twice.status_code == 422 and "named twice" in twice.text
