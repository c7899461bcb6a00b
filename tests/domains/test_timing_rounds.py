"""Anonymous timing rounds: one shared link per KPI round, times stored without a person or a
device, figures released only once enough people took part, and then nothing per person left."""

from __future__ import annotations

import asyncio
import statistics
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy import inspect

from backend.domains.pilots.timing import MOST_PER_DEVICE, end_due, parse_times
from backend.kernel.db import make_sessionmaker, unit_of_work, utcnow
from backend.kernel.errors import Invalid
from backend.kernel.time import today
from tests.conftest import Api
from tests.factories import make_client, make_engagement, pdf_text, sign_in
from tests.literacy_helpers import rows
from tests.portal_helpers import CSRF


async def _kpi(api: Api, unit: str = "minutes") -> dict[str, Any]:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "Angebotsassistent"})
    return await api.create(
        "kpis",
        {
            "pilot_id": pilot["id"],
            "name": "Bearbeitungszeit pro Angebot",
            "unit": unit,
            "baseline_value": "90",
            "monthly_volume": "100",
            "hourly_cost": "60.00",
        },
    )


async def _round(api: Api, kpi: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"kpi_id": kpi["id"], "task": "ein Angebot bis zum Versand", "closes_on": str(today() + timedelta(days=14))}
    return await api.create("timing-rounds", body | {"min_contributors": 3} | extra)


async def _link(api: Api, row: dict[str, Any]) -> str:
    response = await api.get(f"/timing-rounds/{row['id']}/link")
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    return url[url.index("/m/") :]


class Device:
    """A phone: a cookie jar of its own."""

    def __init__(self, api: Api) -> None:
        self.http = AsyncClient(transport=ASGITransport(app=api.app), base_url=str(api.http.base_url))

    async def send(self, path: str, times: str, **extra: str) -> Any:
        page = await self.http.get(path)
        if page.status_code != 200:
            return page
        csrf = CSRF.search(page.text).group(1)
        return await self.http.post(path, data={"times": times, "_csrf_token": csrf, **extra})

    async def close(self) -> None:
        await self.http.aclose()


async def _devices(api: Api, n: int) -> list[Device]:
    return [Device(api) for _ in range(n)]


async def test_figures_are_released_only_once_enough_people_took_part(api: Api) -> None:
    kpi = await _kpi(api)
    row = await _round(api, kpi)
    path = await _link(api, row)
    first, second, third = await _devices(api, 3)
    sent = await first.send(path, "7:30\n8:00")
    assert sent.status_code == 200 and "2 Zeiten gespeichert" in sent.text, sent.text
    assert (await first.send(path, "9")).status_code == 200  # the same phone again: one person still
    assert (await second.send(path, "6:15; 10:05")).status_code == 200
    read = (await api.get(f"/timing-rounds/{row['id']}")).json()
    assert (read["contributors"], read["samples"], read["status"]) == (2, 5, "open")
    assert not {"mean", "value", "times"} & set(read)  # nothing of what was timed while it is open
    refused = await api.post(f"/timing-rounds/{row['id']}/release")
    assert refused.status_code == 409 and "2 of the 3 people" in refused.json()["detail"]
    assert (await third.send(path, "1:02:00")).status_code == 200
    released = await api.post(f"/timing-rounds/{row['id']}/release")
    assert released.status_code == 200, released.text
    assert released.json()["status"] == "released"
    measurement = (await api.get(f"/measurements/{released.json()['measurement_id']}")).json()
    seconds = [450, 480, 540, 375, 605, 3720]
    assert measurement["sample_size"] == 6
    # In tenths of a minute, what a stopwatch can tell.
    tenth = Decimal("0.1")
    assert Decimal(measurement["value"]) == (Decimal(statistics.mean(seconds)) / 60).quantize(tenth, ROUND_HALF_UP)
    # Three people: the mean alone; with the spread each could work out the others' times.
    assert measurement["std_dev"] is None
    assert "3 Personen" in measurement["note"]
    # Nothing per person, nor per device, outlives the release; the link is closed.
    assert await rows(api, "SELECT id FROM timing_samples") == []
    assert await rows(api, "SELECT key FROM timing_contributors") == []
    assert (await first.send(path, "5")).status_code == 410
    assert (await api.post(f"/timing-rounds/{row['id']}/release")).status_code == 409
    for device in (first, second, third):
        await device.close()


async def test_nothing_stored_names_a_device_or_a_person(api: Api) -> None:
    kpi = await _kpi(api)
    path = await _link(api, await _round(api, kpi))
    device = Device(api)
    assert (await device.send(path, "4:00")).status_code == 200
    cookie = device.http.cookies.get("desk_timer")
    assert cookie and len(cookie) >= 20

    def columns(sync: Any, table: str) -> set[str]:
        return {c["name"] for c in inspect(sync).get_columns(table)}

    async with api.engine.connect() as conn:
        assert await conn.run_sync(columns, "timing_samples") == {"id", "round_id", "seconds", "taken_on"}
        assert await conn.run_sync(columns, "timing_contributors") == {"key", "round_id", "samples"}
    stored = await rows(api, "SELECT key FROM timing_contributors")
    assert len(stored) == 1 and cookie not in stored[0][0]
    (sample,) = await rows(api, "SELECT id, seconds, taken_on FROM timing_samples")
    assert sample[1] == 240 and len(sample[0]) == 32
    # Cookies come as sent: one path, never readable by script.
    set_cookie = (await Device(api).http.get(path)).headers.get("set-cookie", "")
    assert "Path=/m/" in set_cookie and "HttpOnly" in set_cookie
    await device.close()


async def test_one_device_is_bounded_and_bad_times_are_refused(api: Api) -> None:
    kpi = await _kpi(api)
    path = await _link(api, await _round(api, kpi))
    device = Device(api)
    for bad, says in (
        ("", "mindestens eine Zeit"),
        ("abc", "keine Zeit"),
        ("13:00:00", "zwölf Stunden"),
        ("0:00", "zwölf"),
    ):
        refused = await device.send(path, bad)
        assert refused.status_code == 422 and says in refused.text, (bad, refused.text[-600:])
    assert await rows(api, "SELECT id FROM timing_samples") == []
    assert (await device.send(path, "\n".join(["3"] * (MOST_PER_DEVICE - 1)))).status_code == 200
    over = await device.send(path, "3\n3")
    assert over.status_code == 409 and f"höchstens {MOST_PER_DEVICE}" in over.text
    assert len(await rows(api, "SELECT id FROM timing_samples")) == MOST_PER_DEVICE - 1
    await device.close()


async def test_a_tampered_or_ended_link_is_refused(api: Api) -> None:
    kpi = await _kpi(api)
    first = await _round(api, kpi)
    second = await _round(api, kpi)
    path = await _link(api, first)
    round_id, mac = path.removeprefix("/m/").split(".", 1)
    device = Device(api)
    for bad in (
        f"/m/{round_id}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        f"/m/{second['id']}.{mac}",  # another round under this round's signature
        f"/m/{round_id}",
        f"/m/{round_id}.{mac}.1",
        "/m/x.y",
        f"/m/{'9' * 30}.{mac}",
    ):
        page = await device.http.get(bad)
        assert page.status_code == 404 and "nicht gültig" in page.text, bad
        assert (await device.http.post(bad, data={"times": "5"})).status_code in (403, 404), bad
    cancelled = await api.post(f"/timing-rounds/{first['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ended = await device.http.get(path)
    assert ended.status_code == 410 and "beendet" in ended.text
    assert (await api.patch(f"/timing-rounds/{first['id']}", json={"version": 2, "task": "x"})).status_code == 409
    await device.close()


async def test_a_baseline_round_sets_the_kpis_baseline(api: Api) -> None:
    kpi = await _kpi(api, unit="hours")
    row = await _round(api, kpi, purpose="baseline")
    path = await _link(api, row)
    devices = await _devices(api, 5)
    for device, times in zip(devices, ("1:30:00", "2:00:00\n1:00:00", "90", "1:45:00", "75"), strict=True):
        assert (await device.send(path, times)).status_code == 200
    assert (await api.post(f"/timing-rounds/{row['id']}/release")).status_code == 200
    after = (await api.get(f"/kpis/{kpi['id']}")).json()
    hours = [1.5, 2, 1, 1.5, 1.75, 1.25]
    assert Decimal(after["baseline_value"]) == Decimal(repr(statistics.mean(hours))).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    assert after["baseline_sample_size"] == 6
    # Five people: the spread is released too.
    assert Decimal(after["baseline_std_dev"]) == Decimal(repr(statistics.stdev(hours))).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )
    assert "Stoppuhr" in after["baseline_method"]
    for device in devices:
        await device.close()


async def test_rounds_past_their_day_are_released_or_lapse_once(api: Api) -> None:
    kpi = await _kpi(api)
    enough = await _round(api, kpi)
    too_few = await _round(api, kpi)
    running = await _round(api, kpi, closes_on=str(today() + timedelta(days=40)))
    devices = await _devices(api, 3)
    for device in devices:
        assert (await device.send(await _link(api, enough), "5")).status_code == 200
    assert (await devices[0].send(await _link(api, too_few), "5\n6")).status_code == 200
    later = today() + timedelta(days=15)
    maker = make_sessionmaker(api.engine)
    async with unit_of_work(maker) as session:
        assert await end_due(session, later, utcnow()) == {"released": 1, "lapsed": 1}
    async with unit_of_work(maker) as session:
        assert await end_due(session, later, utcnow()) == {"released": 0, "lapsed": 0}
    states = {
        r["id"]: r["status"] for r in (await api.get("/timing-rounds", params={"kpi_id": kpi["id"]})).json()["items"]
    }
    assert states == {enough["id"]: "released", too_few["id"]: "lapsed", running["id"]: "open"}
    assert await rows(api, "SELECT id FROM timing_samples") == []
    measurements = (await api.get("/measurements", params={"kpi_id": kpi["id"]})).json()["items"]
    assert [m["sample_size"] for m in measurements] == [3]
    for device in devices:
        await device.close()


async def test_a_release_and_times_at_the_same_moment_lose_nothing(api: Api) -> None:
    kpi = await _kpi(api)
    row = await _round(api, kpi)
    path = await _link(api, row)
    devices = await _devices(api, 6)
    for device in devices[:3]:
        assert (await device.send(path, "5")).status_code == 200
    pages = [await device.http.get(path) for device in devices[3:]]
    csrf = [CSRF.search(page.text).group(1) for page in pages]
    results = await asyncio.gather(
        api.post(f"/timing-rounds/{row['id']}/release"),
        *(
            device.http.post(path, data={"times": "7\n8", "_csrf_token": token})
            for device, token in zip(devices[3:], csrf, strict=True)
        ),
    )
    released, *sent = results
    assert released.status_code == 200, released.text
    accepted = sum(1 for s in sent if s.status_code == 200)
    assert {s.status_code for s in sent} <= {200, 410}
    measurement = (await api.get(f"/measurements/{released.json()['measurement_id']}")).json()
    assert measurement["sample_size"] == 3 + 2 * accepted  # in the figures, or refused: never left behind
    assert await rows(api, "SELECT id FROM timing_samples") == []
    for device in devices:
        await device.close()


async def test_what_a_round_may_be(api: Api) -> None:
    kpi = await _kpi(api)
    euros = await _kpi(api, unit="eur")
    base = {"kpi_id": kpi["id"], "task": "ein Angebot", "closes_on": str(today() + timedelta(days=7))}
    for body, path in (
        ({**base, "kpi_id": euros["id"]}, "body.kpi_id"),
        ({**base, "closes_on": str(today() - timedelta(days=1))}, "body.closes_on"),
        ({**base, "closes_on": str(today() + timedelta(days=200))}, "body.closes_on"),
        ({**base, "min_contributors": 2}, "body.min_contributors"),
        ({**base, "task": "  "}, "body.task"),
    ):
        refused = await api.post("/timing-rounds", json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert path in str(refused.json()), refused.json()
    row = await _round(api, kpi)
    lowered = await api.patch(f"/timing-rounds/{row['id']}", json={"version": row["version"], "min_contributors": 1})
    assert lowered.status_code == 422  # fixed for good: the link promised it


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("7:30", [450]), ("1:02:03", [3723]), ("7,5", [450]), ("7.5 8", [450, 480]), ("2;3\n4", [120, 180, 240])],
)
def test_times_are_read_as_people_write_them(typed: str, seconds: list[int]) -> None:
    assert parse_times(typed) == seconds


@pytest.mark.parametrize("typed", ["7:75", "-3", "1:2:3:4", "drei", "7,555", "１２", "𝟕", "٧:٣٠"])
def test_what_is_no_time_is_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        parse_times(typed)


async def test_the_pilot_page_starts_and_releases_a_round(api: Api) -> None:
    from tests.factories import sign_in

    kpi = await _kpi(api)
    euros = await api.create("kpis", {"pilot_id": kpi["pilot_id"], "name": "Kosten", "unit": "eur"})
    token = await sign_in(api)
    base = f"/pilots/{kpi['pilot_id']}"
    form = {"task": "eine Anfrage", "purpose": "measurement", "closes_on": str(today() + timedelta(days=5))}
    refused = await api.http.post(
        f"{base}/kpis/{kpi['id']}/timing-rounds", data={**form, "min_contributors": "2", "_csrf_token": token}
    )
    assert refused.status_code == 422 and "Messrunde starten" in refused.text
    started = await api.http.post(
        f"{base}/kpis/{kpi['id']}/timing-rounds", data={**form, "min_contributors": "3", "_csrf_token": token}
    )
    assert started.status_code == 303, started.text
    page = (await api.http.get(base)).text
    assert "0 von mindestens 3 Personen" in page and "/m/" in page
    # Both endings are final and say so before the button.
    assert "Auswerten ist endgültig" in page and "Verwerfen ist endgültig: Die 0 bisher gesendeten Zeiten" in page
    assert page.count("Messrunde starten") == 2  # the minutes KPI's form (summary and button), not the euros one
    assert f'id="kpi-{euros["id"]}"' in page
    (row,) = (await api.get("/timing-rounds", params={"kpi_id": kpi["id"]})).json()["items"]
    early = await api.http.post(f"{base}/timing-rounds/{row['id']}/release", data={"_csrf_token": token})
    assert early.status_code == 409 and "0 von 3 nötigen Personen" in early.text
    path = await _link(api, row)
    devices = await _devices(api, 3)
    for device in devices:
        assert (await device.send(path, "4:00")).status_code == 200
    released = await api.http.post(f"{base}/timing-rounds/{row['id']}/release", data={"_csrf_token": token})
    assert released.status_code == 303
    assert "Freigegeben am" in (await api.http.get(base)).text
    for device in devices:
        await device.close()


async def test_the_measurement_plan_says_what_is_measured_and_what_never_is(api: Api) -> None:

    kpi = await _kpi(api)
    pilot = (await api.get(f"/pilots/{kpi['pilot_id']}")).json()
    row = await _round(api, kpi, min_contributors=7)
    response = await api.get(f"/engagements/{pilot['engagement_id']}/measurement-plan")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Messkonzept",
        "Bearbeitungszeit pro Angebot",
        row["task"],
        "ab 7 Personen",
        "§ 87 Abs. 1 Nr. 6 BetrVG",
        "nie weniger als 3",
    ):
        assert expected in text, expected
    english = await api.get(f"/engagements/{pilot['engagement_id']}/measurement-plan", params={"lang": "en"})
    assert "Measurement plan" in " ".join(pdf_text(english.content).split())
    assert (
        await api.get(f"/engagements/{pilot['engagement_id']}/measurement-plan", params={"lang": "fr"})
    ).status_code == 422


async def test_a_device_counts_only_with_the_cookie_this_server_gave(api: Api) -> None:
    """Made-up or missing device cookies would let one person fill the threshold alone."""
    kpi = await _kpi(api)
    row = await _round(api, kpi)
    path = await _link(api, row)
    device = Device(api)
    page = await device.http.get(path)
    csrf = CSRF.search(page.text).group(1)
    real = device.http.cookies.get("desk_timer")
    for forged in (None, "a" * 32, "a" * 32 + ".forgedmac", real.split(".")[0] + ".x" if real else None):
        device.http.cookies.delete("desk_timer")
        if forged:
            device.http.cookies.set("desk_timer", forged, domain="testserver.local", path="/m/")
        refused = await device.http.post(path, data={"times": "5", "_csrf_token": csrf})
        assert refused.status_code == 422 and "Dieses Gerät ist für die Messung neu" in refused.text, forged
        assert ">5</textarea>" in refused.text  # the times are kept to send again
    assert (await api.get(f"/timing-rounds/{row['id']}")).json()["contributors"] == 0
    # With the cookie the refusal set, the same times go in.
    again = await device.http.post(path, data={"times": "5", "_csrf_token": csrf})
    assert again.status_code == 200, again.text
    assert (await api.get(f"/timing-rounds/{row['id']}")).json()["contributors"] == 1
    await device.close()


async def test_a_client_user_sees_no_round_and_a_late_baseline_is_refused(api: Api, password_hash: str) -> None:
    kpi = await _kpi(api)
    row = await _round(api, kpi)
    await api.add_user("kunde", "client", password_hash, client_id=(await api.get("/clients")).json()["items"][0]["id"])
    assert (await api.get(f"/timing-rounds/{row['id']}", "kunde")).status_code == 403
    assert (await api.get("/timing-rounds", "kunde")).status_code == 403
    await api.create("measurements", {"kpi_id": kpi["id"], "measured_on": "2026-11-20", "value": "41"})
    late = await api.post(
        "/timing-rounds",
        json={"kpi_id": kpi["id"], "purpose": "baseline", "task": "x", "closes_on": str(today() + timedelta(days=3))},
    )
    assert late.status_code == 409 and "baseline taken now would come after them" in late.json()["detail"]
    # The last day moves, but never beyond the longest a round may run.
    far = await api.patch(
        f"/timing-rounds/{row['id']}", json={"version": row["version"], "closes_on": str(today() + timedelta(days=119))}
    )
    assert far.status_code == 200
    beyond = await api.patch(
        f"/timing-rounds/{row['id']}",
        json={"version": far.json()["version"], "closes_on": str(today() + timedelta(days=125))},
    )
    assert beyond.status_code == 422


async def test_a_kpi_no_longer_timed_lets_the_round_lapse_not_fail(api: Api) -> None:
    kpi = await _kpi(api)
    row = await _round(api, kpi)
    other = await _round(api, kpi)
    path, other_path = await _link(api, row), await _link(api, other)
    devices = await _devices(api, 3)
    for device in devices:
        assert (await device.send(path, "5")).status_code == 200
        assert (await device.send(other_path, "6")).status_code == 200
    current = (await api.get(f"/kpis/{kpi['id']}")).json()
    assert (
        await api.patch(f"/kpis/{kpi['id']}", json={"version": current["version"], "unit": "percent"})
    ).status_code == 200
    refused = await api.post(f"/timing-rounds/{row['id']}/release")
    assert refused.status_code == 409 and "percent" in refused.json()["detail"]
    async with unit_of_work(make_sessionmaker(api.engine)) as session:
        assert await end_due(session, today() + timedelta(days=15), utcnow()) == {"released": 0, "lapsed": 2}
    assert await rows(api, "SELECT id FROM timing_samples") == []
    for device in devices:
        await device.close()


async def test_with_participation_codes_a_code_counts_as_a_person_not_a_device(api: Api) -> None:
    kpi = await _kpi(api)
    refused = await api.post(
        "/timing-rounds",
        json={"kpi_id": kpi["id"], "task": "ein Angebot", "closes_on": str(today() + timedelta(days=7)),
              "min_contributors": 3, "codes": 2},
    )  # fmt: skip
    assert refused.status_code == 422 and "at least as many codes" in refused.text
    row = await _round(api, kpi, codes=4)
    link = (await api.get(f"/timing-rounds/{row['id']}/link")).json()
    codes = link["codes"]
    assert len(codes) == 4 and len(set(codes)) == 4 and all(len(c) == 9 and c[4] == "-" for c in codes)
    path = link["url"][link["url"].index("/m/") :]
    # The codes are those of this round alone.
    other = (await api.get(f"/timing-rounds/{(await _round(api, kpi, codes=3))['id']}/link")).json()["codes"]
    assert not set(other) & set(codes)

    one_person = await _devices(api, 3)  # one person, three phones, one slip
    page = await one_person[0].http.get(path)
    assert 'name="code"' in page.text and "desk_timer" not in page.headers.get("set-cookie", "")
    missing = await one_person[0].send(path, "7:30")
    assert missing.status_code == 422 and "Teilnahmecode" in missing.text and "7:30" in missing.text
    wrong = await one_person[0].send(path, "7:30", code="ABCD-EFGH")
    assert wrong.status_code == 422 and "kennt diese Messung nicht" in wrong.text and "7:30" in wrong.text
    # Typed the way people type: small letters, no dash, a zero for an O.
    sloppy = codes[0].replace("-", " ").lower().replace("o", "0")
    for n, phone in enumerate(one_person):
        sent = await phone.send(path, "7:30", code=sloppy if n == 0 else codes[0])
        assert sent.status_code == 200, sent.text
    # The code is kept for this round's link: the next visit needs none.
    again = await one_person[0].http.get(path)
    assert "gespeichert" in again.text and "Anderer Teilnahmecode" in again.text  # another may be typed
    assert (await one_person[0].send(path, "8:00")).status_code == 200
    read = (await api.get(f"/timing-rounds/{row['id']}")).json()
    assert (read["contributors"], read["samples"]) == (1, 4)

    # Another round's code, or one of its own from another round, counts for nothing here.
    stranger = Device(api)
    assert (await stranger.send(path, "6:00", code=other[0])).status_code == 422
    assert (await api.post(f"/timing-rounds/{row['id']}/release")).status_code == 409
    for code in codes[1:3]:
        assert (await Device(api).send(path, "6:00", code=code)).status_code == 200
    released = await api.post(f"/timing-rounds/{row['id']}/release")
    assert (
        released.status_code == 200
        and "3 Personen" in (await api.get(f"/measurements/{released.json()['measurement_id']}")).json()["note"]
    )
    assert (await api.get(f"/timing-rounds/{row['id']}/link")).json()["codes"] == []
    assert await rows(api, "SELECT key FROM timing_contributors WHERE round_id = :r", r=row["id"]) == []
    for phone in [*one_person, stranger]:
        await phone.close()


async def test_the_pilot_page_prints_the_codes_as_slips(api: Api) -> None:
    kpi = await _kpi(api)
    await sign_in(api)
    page = await api.http.get(f"/pilots/{kpi['pilot_id']}")
    token = CSRF.search(page.text).group(1)
    started = await api.http.post(
        f"/pilots/{kpi['pilot_id']}/kpis/{kpi['id']}/timing-rounds",
        data={"_csrf_token": token, "task": "ein Angebot", "purpose": "measurement", "min_contributors": "3",
              "codes": "6", "closes_on": str(today() + timedelta(days=7))},
    )  # fmt: skip
    assert started.status_code in (200, 303), started.text
    (row,) = (await api.get("/timing-rounds", params={"kpi_id": kpi["id"]})).json()["items"]
    assert row["codes"] == 6
    shown = await api.http.get(f"/pilots/{kpi['pilot_id']}")
    assert "6 Teilnahmecodes drucken" in shown.text
    slips = await api.http.get(f"/pilots/{kpi['pilot_id']}/timing-rounds/{row['id']}/codes")
    codes = (await api.get(f"/timing-rounds/{row['id']}/link")).json()["codes"]
    assert slips.status_code == 200 and all(code in slips.text for code in codes)
    assert slips.text.count('class="slip"') == 6 and "<svg" in slips.text


async def test_new_contributors_from_one_address_are_counted_when_they_send(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening the link costs nothing (a whole department scans the QR code in one meeting);
    each new device that sends counts against its address's hourly allowance."""
    from backend.web.portal import timing as pages

    monkeypatch.setattr(pages, "NEW_DEVICES_PER_HOUR", 2)
    kpi = await _kpi(api)
    path = await _link(api, await _round(api, kpi))
    lookers = await _devices(api, 6)
    for looker in lookers:
        assert (await looker.http.get(path)).status_code == 200
    first, second, third = lookers[:3]
    assert (await first.send(path, "5")).status_code == 200
    assert (await second.send(path, "6")).status_code == 200
    assert (await first.send(path, "7")).status_code == 200  # a device that took part is not new
    refused = await third.send(path, "8")
    assert refused.status_code == 429 and "Zu viele Anfragen" in refused.text and ">8</textarea>" in refused.text
    for looker in lookers:
        await looker.close()


async def test_a_task_the_messkonzept_cannot_print_is_refused_and_old_names_print_as_marks(api: Api) -> None:
    kpi = await _kpi(api)
    refused = await api.post(
        "/timing-rounds",
        json={"kpi_id": kpi["id"], "task": "中文任务", "closes_on": str(today() + timedelta(days=7))},
    )
    assert refused.status_code == 422 and "cannot print" in refused.text
    # A KPI named before names were checked: the plan prints what its fonts lack as "?".
    await api.patch(f"/kpis/{kpi['id']}", json={"version": kpi["version"], "name": "处理时间 je Angebot"})
    await _round(api, kpi)
    pilot = (await api.get(f"/pilots/{kpi['pilot_id']}")).json()
    plan = await api.get(f"/engagements/{pilot['engagement_id']}/measurement-plan")
    assert plan.status_code == 200 and "je Angebot" in " ".join(pdf_text(plan.content).split())
    assert "bisher" not in pdf_text(plan.content)  # no live count of who took part


async def test_no_measurement_while_a_baseline_round_is_open(api: Api) -> None:
    """It would leave the round unreleasable (a baseline after measurements): refused up front."""
    kpi = await _kpi(api)
    row = await _round(api, kpi, purpose="baseline")
    body = {"kpi_id": kpi["id"], "measured_on": str(today()), "value": "40"}
    refused = await api.post("/measurements", json=body)
    assert refused.status_code == 409 and "baseline timing round is open" in refused.json()["detail"]
    assert (await api.post(f"/timing-rounds/{row['id']}/cancel")).status_code == 200
    assert (await api.post("/measurements", json=body)).status_code == 201


async def test_a_deleted_rounds_link_and_codes_open_no_later_round(api: Api) -> None:
    first_kpi = await _kpi(api)
    old = await _round(api, first_kpi, codes=5)
    old_link = (await api.get(f"/timing-rounds/{old['id']}/link")).json()
    kpi = (await api.get(f"/kpis/{first_kpi['id']}")).json()
    assert (await api.request("DELETE", f"/kpis/{kpi['id']}", params={"version": kpi["version"]})).status_code == 204
    new = await _round(api, await _kpi(api), codes=5)
    assert new["id"] != old["id"]
    new_link = (await api.get(f"/timing-rounds/{new['id']}/link")).json()
    assert new_link["url"] != old_link["url"] and not set(new_link["codes"]) & set(old_link["codes"])


async def test_a_baseline_and_a_measurement_round_never_run_side_by_side(api: Api) -> None:
    kpi = await _kpi(api)
    await _round(api, kpi, purpose="baseline")
    body = {"kpi_id": kpi["id"], "task": "ein Angebot", "closes_on": str(today() + timedelta(days=7))}
    refused = await api.post("/timing-rounds", json=body | {"purpose": "measurement"})
    assert refused.status_code == 409 and "baseline round is open" in refused.json()["detail"]
    other = await _kpi(api)
    await _round(api, other)  # a measurement round
    refused = await api.post("/timing-rounds", json=body | {"kpi_id": other["id"], "purpose": "baseline"})
    assert refused.status_code == 409 and "measurement round is open" in refused.json()["detail"]


async def test_times_that_store_nothing_cost_the_address_nothing(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.web.portal import timing as pages

    monkeypatch.setattr(pages, "NEW_DEVICES_PER_HOUR", 1)
    kpi = await _kpi(api)
    path = await _link(api, await _round(api, kpi))
    typo, colleague = await _devices(api, 2)
    for _ in range(3):  # thirteen hours: refused, and not counted as a new contributor
        assert (await typo.send(path, "13:00:00")).status_code == 422
    assert (await colleague.send(path, "7:30")).status_code == 200
    for device in (typo, colleague):
        await device.close()
