"""Teilnahmebescheinigungen: issued in bulk by a job, once per participant and workshop, mailed
where an address exists, each with a link that says whether it is genuine and nothing more."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from backend.flows.documents.render import RenderPool
from backend.flows.literacy.certificates import issue
from tests.conftest import Api
from tests.factories import make_client, pdf_text
from tests.literacy_helpers import rows, workshop_now
from tests.smtp_server import SmtpTestServer


async def finished_workshop(api: Api, client: dict[str, Any], names: list[str], **extra: Any) -> tuple[dict, list]:
    workshop = await workshop_now(api, client, started_minutes_ago=5 * 60, **extra)
    people = [
        await api.create(
            "participants",
            {"client_id": client["id"], "name": name, "department": "Vertrieb"}
            | ({"email": f"{name.split()[0].lower()}@kunde.de"} if i == 0 else {}),
        )
        for i, name in enumerate(names)
    ]
    entries = [{"participant_id": p["id"], "status": "present"} for p in people]
    if len(entries) > 1:
        entries[1] = {"participant_id": people[1]["id"], "status": "partial", "minutes": 150}
    if len(entries) > 2:
        entries[-1] = {"participant_id": people[-1]["id"], "status": "absent"}
    response = await api.put(f"/workshops/{workshop['id']}/attendance", json={"entries": entries})
    assert response.status_code == 200, response.text
    return workshop, people


async def test_certificates_are_issued_once_and_mailed(
    api: Api, smtp_server: SmtpTestServer, password_hash: str
) -> None:
    client = await make_client(api)
    workshop, people = await finished_workshop(
        api,
        client,
        ["Jana Vogt", "Ole Brandt", "Mia Roth", "Abwesend Person"],
        learning_objectives="- Chancen und Grenzen einordnen\n- Prompts für Angebote schreiben",
        trainer_name="Dr. Ina Lehrer",
    )
    url = f"/workshops/{workshop['id']}/certificates"
    planned = await api.post(url, json={"language": "de"})
    assert planned.status_code == 202 and planned.json() == {"planned": 3}, planned.text
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)  # the mails the issuing job planned
    issued = (await api.get(url)).json()
    assert [c["participant_name"] for c in issued] == ["Jana Vogt", "Mia Roth", "Ole Brandt"]
    assert all(re.fullmatch(r"TB-\d{4}-\d{6}", c["serial"]) for c in issued)
    jana = next(c for c in issued if c["participant_name"] == "Jana Vogt")
    assert jana["mail_status"] == "sent" and {c["mail_status"] for c in issued if c is not jana} == {None}
    pdf = await api.get(f"/certificates/{jana['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
    text = pdf_text(pdf.content)
    for expected in (
        "Teilnahmebescheinigung",
        "Jana Vogt",
        jana["serial"],
        "KI-Grundlagen",
        "Halluzinationen",
        "Dr. Ina Lehrer",
        "v2.1",
        "4 Std.",
        "Prompts für Angebote schreiben",
        "Art. 4",
    ):
        assert expected in text, expected
    ole = next(c for c in issued if c["participant_name"] == "Ole Brandt")
    assert "2 Std. 30 Min. von 4 Std." in pdf_text((await api.get(f"/certificates/{ole['id']}/pdf")).content)
    mails = [m for m in smtp_server.messages if "Teilnahmebescheinigung" in m.message["Subject"]]
    assert [m.message["To"] for m in mails] == ["Jana Vogt <jana@kunde.de>"]
    attachment = next(mails[0].message.iter_attachments())
    assert attachment.get_filename() == f"{jana['serial']}.pdf" and attachment.get_content() == pdf.content
    # A second request, a second job run: nothing more is issued or mailed.
    assert (await api.post(url, json={"language": "de"})).json() == {"planned": 0}
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len((await api.get(url)).json()) == 3 and len(smtp_server.messages) == len(mails) + 0
    # Certificates are the team's to hand out (and mailed to each person).
    other = await make_client(api, "Beta AG")
    await api.add_user("kunde", "client", password_hash, client_id=client["id"])
    await api.add_user("fremd", "client", password_hash, client_id=other["id"])
    for who in ("kunde", "fremd"):  # the client reads its staff's training in the AI owner's register
        assert (await api.get(f"/certificates/{jana['id']}/pdf", who)).status_code == 403
    assert (await api.post(url, "kunde", json={})).status_code == 403
    # Certified training is evidence: neither the workshop nor its engagement can be deleted.
    gone = await api.delete(f"/workshops/{workshop['id']}", params={"version": workshop["version"]})
    assert gone.status_code == 409 and "certificate" in gone.text
    engagement = await api.get(f"/engagements/{workshop['engagement_id']}")
    gone = await api.delete(
        f"/engagements/{workshop['engagement_id']}", params={"version": engagement.json()["version"]}
    )
    assert gone.status_code == 409


async def test_two_runs_at_once_issue_each_certificate_once(api: Api) -> None:
    client = await make_client(api)
    workshop, _ = await finished_workshop(api, client, [f"Person {i:02d}" for i in range(12)])
    settings, maker = api.app.state.settings, api.app.state.session_maker
    pool = RenderPool(threads=2, name="test-certificates")
    try:
        results = await asyncio.gather(*(issue(maker, settings, pool, workshop["id"], "en") for _ in range(3)))
    finally:
        pool.close()
    assert sum(r["issued"] for r in results) == 11  # twelve people, one absent
    stored = await rows(api, "SELECT participant_id, sha256 FROM certificates")
    assert len(stored) == 11 and len({r[0] for r in stored}) == 11 and all(r[1] for r in stored)


async def test_the_verification_link_says_genuine_or_not_and_nothing_more(api: Api) -> None:
    client = await make_client(api)
    workshop, people = await finished_workshop(api, client, ["Jana Vogt", "Ole Brandt", "Mia Roth"])
    await api.post(f"/workshops/{workshop['id']}/certificates", json={"language": "en"})
    await api.run_jobs()
    issued = (await api.get(f"/workshops/{workshop['id']}/certificates")).json()
    jana = next(c for c in issued if c["participant_name"] == "Jana Vogt")
    path = jana["verification_url"][jana["verification_url"].index("/v/") :]
    page = await api.http.get(path)
    assert page.status_code == 200 and jana["serial"] in page.text and "Echt" in page.text
    assert "Jana" not in page.text and "Vogt" not in page.text and client["name"] not in page.text
    certificate_id, mac = path.removeprefix("/v/").split(".")
    other_id = next(c["id"] for c in issued if c is not jana)
    for forged in (
        f"/v/{other_id}.{mac}",
        f"/v/{certificate_id}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}",
        f"/v/{certificate_id}",
        f"/v/{certificate_id}.{mac}.1",
        "/v/999999.AAAAAAAAAAAAAAAA",
    ):
        refused = await api.http.get(forged)
        assert refused.status_code == 404 and jana["serial"] not in refused.text, forged
    # The team corrects the attendance: the certificate no longer stands.
    jana_person = next(p for p in people if p["name"] == "Jana Vogt")
    await api.put(
        f"/workshops/{workshop['id']}/attendance",
        json={"entries": [{"participant_id": jana_person["id"], "status": "absent"}]},
    )
    withdrawn = await api.http.get(path)
    assert withdrawn.status_code == 200 and "zurückgezogen" in withdrawn.text


async def test_certificates_wait_for_the_end_and_the_topics(api: Api) -> None:
    client = await make_client(api)
    running = await workshop_now(api, client)
    refused = await api.post(f"/workshops/{running['id']}/certificates", json={})
    assert refused.status_code == 409
    untaught, _ = await finished_workshop(api, client, ["Jana Vogt"], topics=[])
    refused = await api.post(f"/workshops/{untaught['id']}/certificates", json={})
    assert refused.status_code == 422 and "topics" in refused.text
    assert (await api.post(f"/workshops/{untaught['id']}/certificates", json={"language": "fr"})).status_code == 422


async def test_an_erased_person_gets_no_certificate(api: Api) -> None:
    """Their attendance still counts, nameless; a certificate for "[gelöscht]" would certify nobody."""
    client = await make_client(api)
    workshop, people = await finished_workshop(api, client, ["Jana Vogt", "Ole Brandt"])
    erased = await api.post(
        f"/participants/{people[0]['id']}/erase", "admin", json={"reason": "Anfrage", "confirm": True}
    )
    assert erased.status_code == 200, erased.text
    planned = await api.post(f"/workshops/{workshop['id']}/certificates", json={"language": "de"})
    assert planned.json() == {"planned": 1}
    await api.run_jobs()
    issued = (await api.get(f"/workshops/{workshop['id']}/certificates")).json()
    assert [c["participant_name"] for c in issued] == ["Ole Brandt"]
