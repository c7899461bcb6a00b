"""The client's AI-literacy register: who was trained on what and when, the coverage of each AI
system's users by tool training, who is due for training or a refresher; as JSON, CSV and PDF."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.flows.literacy.jobs import plan_literacy_reminders
from backend.kernel.time import today as berlin_today
from tests.conftest import Api
from tests.factories import make_client, make_engagement, pdf_text
from tests.portal_helpers import portal_sign_in, text_of
from tests.smtp_server import SmtpTestServer


async def training(api: Api, engagement: dict, days_ago: int, topics: list[str], **extra: Any) -> dict:
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=days_ago)
    return await api.create(
        "workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "enablement",
            "title": extra.pop("title", "KI-Grundlagen"),
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(),
            "topics": topics,
            "materials_version": "v2.1",
        }
        | extra,
    )


async def attended(api: Api, workshop: dict, *people: dict) -> None:
    entries = [{"participant_id": p["id"], "status": "present"} for p in people]
    response = await api.put(f"/workshops/{workshop['id']}/attendance", json={"entries": entries})
    assert response.status_code == 200, response.text


async def literacy_world(api: Api) -> dict[str, Any]:
    client = await make_client(api, "Huber Maschinenbau GmbH")
    engagement = await make_engagement(api, client["id"])
    names = [("Anna Alt", "Vertrieb"), ("Bert Bau", "Einkauf"), ("Cem Cakir", "Service"), ("=Dora Dorn", "Vertrieb")]
    anna, bert, cem, dora = [
        await api.create("participants", {"client_id": client["id"], "name": n, "department": d}) for n, d in names
    ]
    copilot = await api.create("ai-systems", {"client_id": client["id"], "name": "Microsoft 365 Copilot"})
    for person in (anna, dora):
        await api.create("ai-system-users", {"ai_system_id": copilot["id"], "participant_id": person["id"]})
    basics = await training(api, engagement, 20, ["ai_basics", "data_protection"])
    await attended(api, basics, anna, dora)
    tool = await training(
        api, engagement, 10, ["tool_specific"], title="Copilot im Vertrieb", ai_system_id=copilot["id"]
    )
    await attended(api, tool, anna)
    old = await training(api, engagement, 430, ["ai_basics"], title="KI-Grundlagen 2025")
    await attended(api, old, bert)
    return {"client": client, "engagement": engagement, "copilot": copilot, "people": (anna, bert, cem, dora)}


async def test_the_register_counts_coverage_and_who_is_due(api: Api) -> None:
    world = await literacy_world(api)
    client = world["client"]
    anna, bert, cem, dora = world["people"]
    # A pilot going to production is an AI system in use: its users need tool training.
    pilot = await api.create("pilots", {"engagement_id": world["engagement"]["id"], "title": "Angebotsassistent"})
    for version, stage in enumerate(("prototype", "pilot", "production"), start=1):
        moved = await api.post(f"/pilots/{pilot['id']}/transitions", json={"to": stage, "version": version})
        assert moved.status_code == 200, moved.text
    systems = (await api.get("/ai-systems", params={"client_id": client["id"]})).json()["items"]
    assistant = next(s for s in systems if s["pilot_id"] == pilot["id"])
    assert assistant["name"] == "Angebotsassistent" and assistant["production_since"] is not None
    await api.create("ai-system-users", {"ai_system_id": assistant["id"], "participant_id": cem["id"]})

    register = (await api.get(f"/clients/{client['id']}/ai-literacy-register")).json()
    assert (register["participants"], register["trained"], register["trained_share"]) == (4, 2, "0.5000")
    assert register["people_enabled_suggestion"] == 3
    coverage = {c["system"]: (c["users"], c["trained"], c["share"], c["due"]) for c in register["coverage"]}
    assert coverage == {
        "Microsoft 365 Copilot": (2, 1, "0.5000", ["=Dora Dorn"]),
        "Angebotsassistent": (1, 0, "0.0000", ["Cem Cakir"]),
    }
    due = {(d["name"], d["reason"], d["ai_system"]) for d in register["due"]}
    assert due == {
        ("Bert Bau", "refresher", None),
        ("Cem Cakir", "never_trained", None),
        ("Cem Cakir", "tool_training", "Angebotsassistent"),
        ("=Dora Dorn", "tool_training", "Microsoft 365 Copilot"),
    }
    sessions = [(s["name"], s["workshop"], s["minutes"], s["topics"]) for s in register["sessions"]]
    assert sessions == [
        ("=Dora Dorn", "KI-Grundlagen", 180, ["ai_basics", "data_protection"]),
        ("Anna Alt", "KI-Grundlagen", 180, ["ai_basics", "data_protection"]),
        ("Anna Alt", "Copilot im Vertrieb", 180, ["tool_specific"]),
        ("Bert Bau", "KI-Grundlagen 2025", 180, ["ai_basics"]),
    ]


async def test_the_register_as_csv_and_pdf(api: Api, password_hash: str) -> None:
    world = await literacy_world(api)
    client = world["client"]
    url = f"/clients/{client['id']}/ai-literacy-register"
    sheet = await api.get(url, params={"format": "csv"})
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    assert "KI-Kompetenz-Register" in sheet.headers["content-disposition"]
    text = sheet.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert lines[0][:3] == ["Art", "Name", "Abteilung"]
    body = [(line[1], line[4], line[5][-4:], line[6], line[8]) for line in lines[1:]]
    year = str(datetime.now(UTC).year)
    assert ("'=Dora Dorn", "KI-Grundlagen", body[0][2], "180", "KI-Grundlagen, Datenschutz und Vertraulichkeit") in body
    assert ("Anna Alt", "Copilot im Vertrieb", body[2][2], "180", "Werkzeugschulung") in body
    assert len(body) == 4 and all(len(line) == 13 for line in lines) and body[2][2] in (year, str(int(year) - 1))
    english = await api.get(url, params={"format": "csv", "lang": "en"})
    assert english.content.decode().splitlines()[0].startswith("\ufeffKind;Name;Department")
    pdf = await api.get(url, params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    said = " ".join(pdf_text(pdf.content).split())
    for expected in (
        "KI-Kompetenz-Register",
        "Huber Maschinenbau GmbH",
        "Microsoft 365 Copilot",
        "50 %",
        "Bert Bau",
        "Auffrischung fällig seit",
        "noch keine Schulung",
        "=Dora Dorn",
        "Art. 4",
    ):
        assert expected in said, expected
    for bad in ({"format": "xlsx"}, {"lang": "fr"}):
        assert (await api.get(url, params=bad)).status_code == 422
    # Of the client's users only its AI owner reads the register (it names the staff and their
    # gaps); another client's register does not exist for them.
    other = await make_client(api, "Beta AG")
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    assert (await api.get(url, "kunde")).status_code == 403
    assert (await api.get(f"/clients/{other['id']}/ai-literacy-register", "kunde")).status_code == 404
    assert (
        await api.get(f"/clients/{other['id']}/ai-literacy-register", "kunde", params={"format": "pdf"})
    ).status_code == 404
    assert (await api.get("/clients/999999/ai-literacy-register")).status_code == 404


async def test_the_ai_owner_sees_the_register_in_the_portal_and_is_reminded_once(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await literacy_world(api)
    client = world["client"]
    owner = {"client_id": client["id"], "name": "Petra Huber", "email": "ki@huber.de", "portal_access": True}
    await api.create("contacts", owner | {"is_ai_owner": True})
    await api.create("contacts", owner | {"name": "Karl Klein", "email": "karl@huber.de"})
    await portal_sign_in(api, smtp_server, "ki@huber.de")
    page = await api.http.get("/portal/ai-literacy")
    assert page.status_code == 200, page.text
    for expected in ("Microsoft 365 Copilot", "50 %", "Bert Bau", "Auffrischung fällig seit", "=Dora Dorn"):
        assert expected in page.text, expected
    sheet = await api.http.get("/portal/ai-literacy/register?format=csv")
    assert sheet.status_code == 200 and "Anna Alt" in sheet.content.decode()
    assert (await api.http.get("/portal/ai-literacy/register?format=pdf")).content.startswith(b"%PDF")
    assert (await api.http.get("/portal/ai-literacy/register?format=xlsx")).status_code in (400, 404, 422)
    await portal_sign_in(api, smtp_server, "karl@huber.de")
    refused = await api.http.get("/portal/ai-literacy")
    assert refused.status_code == 403 and "KI-Verantwortliche" in refused.text
    assert (await api.http.get("/portal/ai-literacy/register?format=csv")).status_code == 403
    # The daily job reminds the AI owner once a month while someone is due.
    ctx = {"session_maker": api.app.state.session_maker, "settings": api.app.state.settings}
    day = berlin_today()
    first = await asyncio.gather(*(plan_literacy_reminders(ctx, day) for _ in range(3)))  # type: ignore[arg-type]
    assert sum(r["planned"] for r in first) == 1
    assert (await plan_literacy_reminders(ctx, day))["planned"] == 0  # once a month
    next_month = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert (await plan_literacy_reminders(ctx, next_month))["planned"] == 1  # still due: reminded again
    await api.run_jobs(smtp_url=smtp_server.url)
    reminders = [m for m in smtp_server.messages if "KI-Kompetenz bei" in m.message["Subject"]]
    assert [m.message["To"] for m in reminders][:1] == ["Petra Huber <ki@huber.de>"]
    said = text_of(reminders[0])
    assert "Bert Bau: Auffrischung fällig seit" in said and "Cem Cakir: noch keine Schulung" in said
    assert "3 Personen" in said or "3 Personen".replace(" ", "\xa0") in said
