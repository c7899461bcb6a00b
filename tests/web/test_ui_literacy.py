"""The team's AI-literacy pages: a workshop's content, attendance and certificates, a client's
participants and its AI guideline's invitations; refusals shown on the page."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.factories import make_client, make_engagement, sign_in
from tests.literacy_helpers import rows, workshop_now
from tests.portal_helpers import deliver
from tests.smtp_server import SmtpTestServer


async def test_a_workshop_page_records_content_attendance_and_certificates(api: Api) -> None:
    client = await make_client(api)
    workshop = await workshop_now(api, client, started_minutes_ago=5 * 60, topics=[])
    person = await api.create("participants", {"client_id": client["id"], "name": "Jana Vogt"})
    token = await sign_in(api)
    page = await api.http.get(f"/workshops/{workshop['id']}")
    assert page.status_code == 200 and "Teilnahmebescheinigungen" in page.text and "Check-in" in page.text
    # Certificates need topics: the page says so.
    refused = await api.http.post(f"/workshops/{workshop['id']}/certificates", data={"_csrf_token": token})
    assert refused.status_code == 422 and "topics" in refused.text
    saved = await api.http.post(
        f"/workshops/{workshop['id']}/content",
        data={"_csrf_token": token, "version": "1", "topic_ai_basics": "1", "materials_version": "v3",
              "learning_objectives": "Prompts schreiben"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.text
    stored = (await api.get(f"/workshops/{workshop['id']}")).json()
    assert (stored["topics"], stored["materials_version"]) == (["ai_basics"], "v3")
    # In part, but without minutes: refused next to the list, nothing stored.
    partial = await api.http.post(
        f"/workshops/{workshop['id']}/attendance", data={"_csrf_token": token, f"status_{person['id']}": "partial"}
    )
    assert partial.status_code == 422 and "minutes attended" in partial.text
    assert await rows(api, "SELECT id FROM attendances") == []
    present = await api.http.post(
        f"/workshops/{workshop['id']}/attendance", data={"_csrf_token": token, f"status_{person['id']}": "present"}
    )
    assert present.status_code == 303
    issued = await api.http.post(f"/workshops/{workshop['id']}/certificates", data={"_csrf_token": token})
    assert issued.status_code == 303 and issued.headers["location"].endswith("?planned=1#certificates")
    shown = await api.http.get(issued.headers["location"])
    assert "1 Bescheinigungen werden ausgestellt" in shown.text
    room = await api.http.get(f"/workshops/{workshop['id']}/room")
    assert room.status_code == 200 and "<svg" in room.text and "vorbei" in room.text


async def test_a_client_page_adds_participants_and_invites_to_the_guideline(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    row = await api.create(
        "deliverables",
        {"engagement_id": engagement["id"], "title": "KI-Richtlinie", "kind": "guideline", "due_week": 2},
    )
    await api.post(f"/deliverables/{row['id']}/artefacts", files={"file": ("richtlinie.txt", b"Regeln\n")})
    await deliver(api, (await api.get(f"/deliverables/{row['id']}")).json())
    token = await sign_in(api)
    url = f"/clients/{client['id']}"
    refused = await api.http.post(f"{url}/participants", data={"_csrf_token": token, "name": "Jana 🙂"})
    assert refused.status_code == 422 and "cannot print" in refused.text
    added = await api.http.post(
        f"{url}/participants", data={"_csrf_token": token, "name": "Jana Vogt", "email": "jana@kunde.de"}
    )
    assert added.status_code == 303
    page = await api.http.get(f"{url}/ai-literacy")
    assert page.status_code == 200 and "KI-Richtlinie" in page.text and "0 von 1 bestätigt" in page.text
    link = re.search(r"/a/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+", page.text).group(0)
    invited = await api.http.post(f"{url}/deliverables/{row['id']}/guideline-invitations", data={"_csrf_token": token})
    assert invited.status_code == 303 and "invited=1" in invited.headers["location"]
    await api.run_jobs(smtp_url=smtp_server.url)
    assert any(link in m.message.get_body(("plain",)).get_content() for m in smtp_server.messages)
    other = await make_client(api, "Beta AG")
    foreign = await api.http.post(
        f"/clients/{other['id']}/deliverables/{row['id']}/guideline-invitations", data={"_csrf_token": token}
    )
    assert foreign.status_code == 422
