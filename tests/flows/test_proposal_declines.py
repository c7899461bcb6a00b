"""The client's "no" to a proposal, or its change request: a reason, the engagement back to
draft, the lead told once; one answer per version, also against an acceptance at the same moment."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from backend.flows.portal.expiry import plan_expiry_notices
from tests.conftest import Api
from tests.factories import sign_in
from tests.portal_helpers import generate_and_release, portal_sign_in, portal_world
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"


async def test_a_change_request_sends_the_engagement_back_and_tells_the_lead(
    api: Api, smtp_server: SmtpTestServer, password_hash: str
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id, proposal = world["engagement"]["id"], world["proposal"]
    await api.add_user("kunde", "client", password_hash, client_id=world["client"]["id"])
    empty = await api.post(f"/documents/{proposal['id']}/decline", "kunde", json={"reason": "  "})
    assert empty.status_code == 422
    asked = {"reason": "Bitte zwei Schulungstage statt Pilot 2", "change_request": True}
    answer = await api.post(f"/documents/{proposal['id']}/decline", "kunde", json=asked)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["change_request"], answer.json()["document_number"]) == (True, 1)
    assert (await api.get(f"/engagements/{engagement_id}")).json()["status"] == "draft"
    # A draft is the team's again: the version the client answered is no longer there for it.
    again = await api.post(f"/documents/{proposal['id']}/decline", "kunde", json=asked)
    assert again.status_code == 404
    late = await api.post(
        f"/documents/{proposal['id']}/acceptance", "kunde", json={"typed_name": "Eva", "confirmed": True}
    )
    assert late.status_code == 404
    before = len(smtp_server.messages)
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    told = [m for m in smtp_server.messages[before:] if "Änderungswunsch" in m.message["Subject"]]
    assert len(told) == 1 and told[0].message["To"].endswith("<consultant@example.de>")
    assert "zwei Schulungstage" in told[0].message.get_body(("plain",)).get_content()
    listed = (await api.get(f"/engagements/{engagement_id}/declines")).json()
    assert [d["reason"] for d in listed] == ["Bitte zwei Schulungstage statt Pilot 2"]
    await sign_in(api)
    page = await api.http.get(f"/engagements/{engagement_id}")
    assert "Änderungswunsch" in page.text and "zwei Schulungstage" in page.text


async def test_a_decline_and_an_acceptance_at_once_end_in_one_of_them(api: Api, password_hash: str) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id, proposal = world["engagement"]["id"], world["proposal"]
    await api.add_user("kunde", "client", password_hash, client_id=world["client"]["id"])
    decline, accept = await asyncio.gather(
        api.post(f"/documents/{proposal['id']}/decline", "kunde", json={"reason": "Zu teuer"}),
        api.post(f"/documents/{proposal['id']}/acceptance", "kunde", json={"typed_name": "Eva", "confirmed": True}),
    )
    # The loser is refused: 409 (answered) or 404 (the engagement went back to the team's draft).
    assert sorted((decline.status_code, accept.status_code)) in ([201, 404], [201, 409])
    status = (await api.get(f"/engagements/{engagement_id}")).json()["status"]
    assert status == ("draft" if decline.status_code == 201 else "active")


async def test_the_portal_form_declines_with_a_reason(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    proposal = world["proposal"]
    page = await api.http.get(f"/portal/engagements/{world['engagement']['id']}")
    assert "Änderungen wünschen oder ablehnen" in page.text
    missing = await api.http.post(
        f"/portal/documents/{proposal['id']}/decline", data={"answer": "decline", "reason": "", "_csrf_token": csrf}
    )
    assert missing.status_code == 422 and 'role="alert"' in missing.text
    done = await api.http.post(
        f"/portal/documents/{proposal['id']}/decline",
        data={"answer": "decline", "reason": "Wir haben uns anders entschieden", "_csrf_token": csrf},
    )
    assert done.status_code == 303 and done.headers["location"] == "/portal/?done=declined"
    home = await api.http.get("/portal/?done=declined")
    assert "Ihre Absage ist bei uns angekommen" in home.text
    listed = (await api.get(f"/engagements/{world['engagement']['id']}/declines")).json()
    assert [(d["change_request"], d["reason"]) for d in listed] == [(False, "Wir haben uns anders entschieden")]


async def test_the_lead_hears_once_that_an_unanswered_proposal_expires_soon(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    until = date.fromisoformat((await api.get(f"/documents/{world['proposal']['id']}")).json()["valid_until"])
    maker, settings = api.app.state.session_maker, api.app.state.settings
    assert await plan_expiry_notices(maker, settings, today=until - timedelta(days=6)) == 0  # not yet
    assert await plan_expiry_notices(maker, settings, today=until - timedelta(days=5)) == 1
    assert await plan_expiry_notices(maker, settings, today=until - timedelta(days=2)) == 0  # told already
    assert await plan_expiry_notices(maker, settings, today=until + timedelta(days=1)) == 0  # expired
    before = len(smtp_server.messages)
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    told = [m for m in smtp_server.messages[before:] if "läuft am" in m.message["Subject"]]
    assert len(told) == 1 and told[0].message["To"].endswith("<consultant@example.de>")
    assert f"{until:%d.%m.%Y}" in told[0].message["Subject"]
    # A newer version sent for the same engagement is the one asked about: noted on its own.
    newer = await generate_and_release(api, world["engagement"]["id"])
    newer_until = date.fromisoformat(newer["valid_until"])
    assert await plan_expiry_notices(maker, settings, today=newer_until - timedelta(days=1)) == 1
