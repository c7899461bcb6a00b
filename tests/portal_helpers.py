"""Building blocks of the portal tests: a client with a portal contact, sign-in by emailed link."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.smtp_server import SmtpTestServer

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
LOGIN_LINK = re.compile(r"https?://[^\s\"<>]+/portal/login/([A-Za-z0-9_\-]+)")
SHARE_LINK = re.compile(r"https?://[^\s\"<>]+(/s/[A-Za-z0-9_.\-]+)")


def text_of(mail: Any) -> str:
    part = mail.message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


async def portal_world(api: Api, name: str, email: str) -> dict[str, Any]:
    """A client with one portal contact and a proposed engagement whose proposal was sent."""
    client = await make_client(api, name)
    contact = await api.create(
        "contacts",
        {
            "client_id": client["id"],
            "name": f"Eva {name.split()[0]}",
            "email": email,
            "portal_access": True,
        },
    )
    engagement = await make_engagement(api, client["id"])
    deliverable = await api.create(
        "deliverables",
        {
            "engagement_id": engagement["id"],
            "title": f"Leitlinie {name}",
            "kind": "guideline",
            "due_week": 2,
        },
    )
    workshop = await api.create(
        "workshops",
        {
            "engagement_id": engagement["id"],
            "kind": "kickoff",
            "title": f"Kickoff {name}",
            "starts_at": "2030-01-08T09:00:00+01:00",
            "ends_at": "2030-01-08T12:00:00+01:00",
            "location": "Aalen, Raum 2",
        },
    )
    proposal = await generate_and_release(api, engagement["id"])
    return {
        "client": client,
        "contact": contact,
        "engagement": engagement,
        "deliverable": deliverable,
        "workshop": workshop,
        "proposal": proposal,
    }


async def generate_and_release(
    api: Api, engagement_id: int, kind: str = "proposal", language: str = "de"
) -> dict[str, Any]:
    queued = (
        await api.post(f"/engagements/{engagement_id}/documents", json={"kind": kind, "language": language})
    ).json()
    await api.run_jobs()
    released = await api.post(f"/documents/{queued['id']}/release")
    assert released.status_code == 202, released.text
    return (await api.get(f"/documents/{queued['id']}")).json()


async def deliver(api: Api, deliverable: dict[str, Any]) -> dict[str, Any]:
    """Walk a deliverable to 'delivered', where the client can sign it off."""
    row = deliverable
    for to in ("in_progress", "in_review", "delivered"):
        response = await api.post(f"/deliverables/{row['id']}/transitions", json={"to": to, "version": row["version"]})
        assert response.status_code == 200, response.text
        row = response.json()
    return row


async def request_link_token(api: Api, smtp: SmtpTestServer, email: str) -> str:
    before = len(smtp.messages)
    response = await api.post("/portal/login-links", None, json={"email": email})
    assert response.status_code == 202, response.text
    await api.run_jobs(smtp_url=smtp.url)
    links = [LOGIN_LINK.search(text_of(m)) for m in smtp.messages[before:] if m.rcpt_tos == [email]]
    tokens = [match.group(1) for match in links if match]
    assert len(tokens) == 1, [m.message["Subject"] for m in smtp.messages[before:]]
    return tokens[0]


async def portal_sign_in(api: Api, smtp: SmtpTestServer, email: str) -> str:
    """Sign in through the pages as a browser would; returns the CSRF token for later forms."""
    token = await request_link_token(api, smtp, email)
    page = await api.http.get(f"/portal/login/{token}")
    assert page.status_code == 200, page.text
    csrf = CSRF.search(page.text).group(1)
    response = await api.http.post(f"/portal/login/{token}", data={"_csrf_token": csrf})
    assert response.status_code == 303 and response.headers["location"] == "/portal", response.text
    return csrf
