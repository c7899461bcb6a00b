"""Staff confirm by a personal link that they read the client's AI guideline; the confirmation
keeps the deliverable's version and the digest of the files shown, and enters the register."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.literacy_helpers import rows
from tests.portal_helpers import CSRF, deliver, text_of
from tests.smtp_server import SmtpTestServer

GUIDELINE_TEXT = "KI-Richtlinie der Huber GmbH\n1. Keine Kundendaten in öffentliche KI-Dienste.\n".encode()


async def delivered_guideline(api: Api, client: dict[str, Any]) -> dict[str, Any]:
    engagement = await make_engagement(api, client["id"])
    row = await api.create(
        "deliverables",
        {"engagement_id": engagement["id"], "title": "KI-Richtlinie", "kind": "guideline", "due_week": 4},
    )
    upload = await api.post(f"/deliverables/{row['id']}/artefacts", files={"file": ("richtlinie.txt", GUIDELINE_TEXT)})
    assert upload.status_code == 201, upload.text
    return await deliver(api, (await api.get(f"/deliverables/{row['id']}")).json())


async def test_each_person_confirms_the_text_they_read_once(api: Api, smtp_server: SmtpTestServer) -> None:
    client = await make_client(api)
    other = await make_client(api, "Beta AG")
    jana = await api.create("participants", {"client_id": client["id"], "name": "Jana Vogt", "email": "jana@kunde.de"})
    await api.create("participants", {"client_id": client["id"], "name": "Ole Brandt"})
    stranger = await api.create("participants", {"client_id": other["id"], "name": "Eve Fremd"})
    guideline = await delivered_guideline(api, client)
    invited = await api.post(f"/deliverables/{guideline['id']}/guideline-invitations")
    assert invited.status_code == 202 and invited.json() == {"invited": 1, "already": 0, "without_address": 1}
    again = await api.post(f"/deliverables/{guideline['id']}/guideline-invitations")
    assert again.json() == {"invited": 0, "already": 1, "without_address": 1}
    await api.run_jobs(smtp_url=smtp_server.url)
    mails = [m for m in smtp_server.messages if "KI-Richtlinie" in m.message["Subject"]]
    assert [m.message["To"] for m in mails] == ["Jana Vogt <jana@kunde.de>"]
    links = (await api.get(f"/deliverables/{guideline['id']}/guideline-links")).json()
    assert [(link["name"], link["acknowledged_at"]) for link in links] == [("Jana Vogt", None), ("Ole Brandt", None)]
    path = links[0]["url"][links[0]["url"].index("/a/") :]
    assert path in text_of(mails[0])
    page = await api.http.get(path)
    assert page.status_code == 200 and "richtlinie.txt" in page.text and "Jana Vogt" in page.text
    file_link = f"{path}/files/"
    download = await api.http.get(file_link + page.text.split(file_link, 1)[1].split('"', 1)[0])
    assert download.content == GUIDELINE_TEXT and download.headers["content-security-policy"].startswith("sandbox")
    csrf = CSRF.search(page.text).group(1)
    unticked = await api.http.post(path, data={"_csrf_token": csrf})
    assert unticked.status_code == 422 and "Häkchen" in unticked.text
    confirmations = await asyncio.gather(
        *(api.http.post(path, data={"confirmed": "true", "_csrf_token": csrf}) for _ in range(4))
    )
    assert all(c.status_code == 200 and "bestätigt" in c.text for c in confirmations)
    stored = await rows(api, "SELECT participant_id, deliverable_version, digest FROM guideline_acknowledgements")
    assert len(stored) == 1 and stored[0][0] == jana["id"] and len(stored[0][2]) == 64
    links = (await api.get(f"/deliverables/{guideline['id']}/guideline-links")).json()
    assert links[0]["acknowledged_at"] is not None and links[0]["digest"] == stored[0][2]
    register = (await api.get(f"/clients/{client['id']}/ai-literacy-register")).json()
    assert [(a["name"], a["guideline"], a["digest"]) for a in register["acknowledgements"]] == [
        ("Jana Vogt", "KI-Richtlinie", stored[0][2])
    ]
    # Forged links: another person, another client's person, an altered signature.
    deliverable_id, participant_id, mac = path.removeprefix("/a/").split(".")
    for bad in (
        f"/a/{deliverable_id}.{stranger['id']}.{mac}",
        f"/a/{deliverable_id}.{participant_id}.{mac[:-1]}{'B' if mac[-1] == 'A' else 'A'}",
        f"/a/{deliverable_id}.{participant_id}",
        f"{path}/files/999999",
    ):
        assert (await api.http.get(bad)).status_code == 404, bad


async def test_only_a_delivered_guideline_is_read(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    draft = await api.create(
        "deliverables", {"engagement_id": engagement["id"], "title": "Richtlinie", "kind": "guideline", "due_week": 4}
    )
    assert (await api.post(f"/deliverables/{draft['id']}/guideline-invitations")).status_code == 409
    document = await api.create(
        "deliverables", {"engagement_id": engagement["id"], "title": "Bericht", "kind": "document", "due_week": 4}
    )
    assert (await api.post(f"/deliverables/{document['id']}/guideline-invitations")).status_code == 404
    empty = await deliver(api, draft)
    assert (await api.post(f"/deliverables/{empty['id']}/guideline-invitations")).status_code == 409
