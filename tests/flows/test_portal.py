"""Client portal: sign-in by emailed link, proposal acceptance, sign-off, share links."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text, update

from backend.flows.portal.models import LoginLink
from backend.kernel.db import utcnow
from tests.conftest import Api
from tests.factories import make_client, make_engagement, proposable_engagement, sign_in
from tests.portal_helpers import (
    CSRF,
    LOGIN_LINK,
    SHARE_LINK,
    deliver,
    generate_and_release,
    portal_sign_in,
    portal_world,
    request_link_token,
    text_of,
)
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"


async def portal_bearer(api: Api, smtp_server: SmtpTestServer) -> dict[str, str]:
    token = await request_link_token(api, smtp_server, EMAIL)
    bearer = (await api.post("/portal/sessions", None, json={"token": token})).json()["access_token"]
    return {"Authorization": f"Bearer {bearer}"}


BADGE = '<span class="badge">ersetzt</span>'


async def test_sign_in_link_is_single_use_and_hashed(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    token = await request_link_token(api, smtp_server, EMAIL)
    async with api.engine.connect() as conn:
        stored = (await conn.exec_driver_sql("SELECT token_hash FROM portal_login_links")).scalars().all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
    session = await api.post("/portal/sessions", None, json={"token": token})
    assert session.status_code == 200, session.text
    user = session.json()["user"]
    assert user["role"] == "client" and user["client_id"] == world["client"]["id"]
    assert user["contact_id"] == world["contact"]["id"]
    again = await api.post("/portal/sessions", None, json={"token": token})
    assert again.status_code == 410 and again.headers["content-type"] == "application/problem+json"
    tampered = await api.post(
        "/portal/sessions", None, json={"token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")}
    )
    assert tampered.status_code == 401
    # The portal user has no password: nobody signs in as them with one.
    login = await api.post("/auth/login", None, json={"email": EMAIL, "password": "!portal-sign-in-link-only"})
    assert login.status_code == 401


async def test_expired_link_is_gone_and_unknown_address_gets_the_same_answer(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    await portal_world(api, "Alpha GmbH", EMAIL)
    token = await request_link_token(api, smtp_server, EMAIL)
    async with api.engine.begin() as conn:
        await conn.execute(update(LoginLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await api.post("/portal/sessions", None, json={"token": token})).status_code == 410
    page = await api.http.get(f"/portal/login/{token}")
    assert page.status_code == 410 and "abgelaufen" in page.text
    known = await api.post("/portal/login-links", None, json={"email": EMAIL})
    unknown = await api.post("/portal/login-links", None, json={"email": "niemand@example.de"})
    assert known.status_code == unknown.status_code == 202 and known.json() == unknown.json()
    sent = len(smtp_server.messages)
    await api.run_jobs(smtp_url=smtp_server.url)
    assert [m.rcpt_tos for m in smtp_server.messages[sent:]] == [[EMAIL]]


async def test_contact_without_portal_access_gets_no_link(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    await api.patch(f"/contacts/{contact['id']}", json={"portal_access": False, "version": contact["version"]})
    await api.post("/portal/login-links", None, json={"email": EMAIL})
    await api.run_jobs(smtp_url=smtp_server.url)
    assert [m for m in smtp_server.messages if m.rcpt_tos == [EMAIL] and "Anmeldelink" in m.message["Subject"]] == []


async def test_a_new_address_ends_the_old_holders_access(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    bearer = await portal_bearer(api, smtp_server)  # Eva is signed in ...
    unused = await request_link_token(api, smtp_server, EMAIL)  # ... and has a link in her inbox
    assert (await api.get("/auth/me", None, headers=bearer)).status_code == 200
    successor = {"email": "otto@alpha.de", "name": "Otto Alpha", "version": contact["version"]}
    assert (await api.patch(f"/contacts/{contact['id']}", json=successor)).status_code == 200
    assert (await api.get("/auth/me", None, headers=bearer)).status_code == 401
    assert (await api.post("/portal/sessions", None, json={"token": unused})).status_code == 410
    # The successor signs in as a user of their own, named as they are.
    token = await request_link_token(api, smtp_server, "otto@alpha.de")
    session = await api.post("/portal/sessions", None, json={"token": token})
    assert session.status_code == 200, session.text
    user = session.json()["user"]
    assert user["email"] == "otto@alpha.de" and user["full_name"] == "Otto Alpha"
    assert user["contact_id"] == contact["id"]


async def test_a_link_mailed_before_access_ended_stays_dead(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    token = await request_link_token(api, smtp_server, EMAIL)
    off = await api.patch(f"/contacts/{contact['id']}", json={"portal_access": False, "version": contact["version"]})
    on = await api.patch(f"/contacts/{contact['id']}", json={"portal_access": True, "version": off.json()["version"]})
    assert on.status_code == 200
    assert (await api.post("/portal/sessions", None, json={"token": token})).status_code == 410


async def test_portal_access_needs_an_address_that_can_sign_in(api: Api) -> None:
    ours = await make_client(api, "Alpha GmbH")
    team = "consultant@example.de"
    refused = await api.post(
        "/contacts", json={"client_id": ours["id"], "name": "X", "email": team, "portal_access": True}
    )
    assert refused.status_code == 409 and "team member" in refused.json()["detail"]
    # Without portal access the address is only a mail recipient: allowed.
    plain = await api.create("contacts", {"client_id": ours["id"], "name": "X", "email": team})
    granted = await api.patch(f"/contacts/{plain['id']}", json={"portal_access": True, "version": plain["version"]})
    assert granted.status_code == 409
    assert (await api.get(f"/contacts/{plain['id']}")).json()["portal_access"] is False


async def test_a_contact_whose_user_an_admin_stopped_stays_editable(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    token = await request_link_token(api, smtp_server, EMAIL)
    user = (await api.post("/portal/sessions", None, json={"token": token})).json()["user"]
    stopped = await api.patch(f"/users/{user['id']}", "admin", json={"is_active": False, "version": user["version"]})
    assert stopped.status_code == 200, stopped.text
    moved = await api.patch(f"/contacts/{contact['id']}", json={"position": "CFO", "version": contact["version"]})
    assert moved.status_code == 200, moved.text
    # ... while the sign-in stays refused.
    await api.post("/portal/login-links", None, json={"email": EMAIL})
    sent = len(smtp_server.messages)
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == sent


async def test_login_link_requests_are_rate_limited(api: Api) -> None:
    limit = api.app.state.settings.login_links_per_email_hour
    codes = [(await api.post("/portal/login-links", None, json={"email": EMAIL})).status_code for _ in range(limit + 1)]
    assert codes == [202] * limit + [429]
    refused = await api.post("/portal/login-links", None, json={"email": EMAIL})
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 3600


async def test_accept_proposal_through_the_portal(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    engagement_id, proposal = world["engagement"]["id"], world["proposal"]
    home = await api.http.get("/portal")
    assert home.status_code == 303 and home.headers["location"] == f"/portal/engagements/{engagement_id}"
    page = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert page.status_code == 200
    assert "Woche" in page.text and "Kickoff Alpha" in page.text and "Angebot verbindlich annehmen" in page.text
    unchecked = await api.http.post(
        f"/portal/documents/{proposal['id']}/accept", data={"typed_name": "Eva Alpha", "_csrf_token": csrf}
    )
    assert unchecked.status_code == 422 and "Häkchen" in unchecked.text
    nameless = await api.http.post(
        f"/portal/documents/{proposal['id']}/accept", data={"typed_name": " ", "confirmed": "true", "_csrf_token": csrf}
    )
    assert nameless.status_code == 422
    assert '<div class="alert error" role="alert">Bitte geben Sie Ihren vollständigen Namen ein.</div>' in nameless.text
    assert (await api.get(f"/engagements/{engagement_id}")).json()["status"] == "proposed"
    accepted = await api.http.post(
        f"/portal/documents/{proposal['id']}/accept",
        data={"typed_name": "Eva Alpha", "confirmed": "true", "_csrf_token": csrf},
    )
    assert accepted.status_code == 303, accepted.text
    engagement = (await api.get(f"/engagements/{engagement_id}")).json()
    assert engagement["status"] == "active"
    record = (await api.get(f"/engagements/{engagement_id}/acceptance")).json()
    assert record["typed_name"] == "Eva Alpha" and record["document_sha256"] == proposal["sha256"]
    assert record["document_number"] == 1 and record["ip_address"] and record["contact_id"] == world["contact"]["id"]
    twice = await api.http.post(
        f"/portal/documents/{proposal['id']}/accept",
        data={"typed_name": "Eva Alpha", "confirmed": "true", "_csrf_token": csrf},
    )
    assert twice.status_code == 409 and "bereits am" in twice.text and "Eva Alpha" in twice.text
    actions = {e["action"] for e in (await api.get("/audit-events", "admin", params={"limit": 100})).json()["items"]}
    assert {"portal_link_sent", "portal_login", "accept_proposal"} <= actions


async def test_superseded_proposal_cannot_be_accepted(
    api: Api, smtp_server: SmtpTestServer, password_hash: str
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    newer = await generate_and_release(api, world["engagement"]["id"])
    assert newer["number"] == 2
    token = await request_link_token(api, smtp_server, EMAIL)
    bearer = (await api.post("/portal/sessions", None, json={"token": token})).json()["access_token"]
    headers = {"Authorization": f"Bearer {bearer}"}
    old = await api.post(
        f"/documents/{world['proposal']['id']}/acceptance",
        None,
        headers=headers,
        json={"typed_name": "Eva Alpha", "confirmed": True},
    )
    assert old.status_code == 409 and "replaced by version 2" in old.json()["detail"]
    current = await api.post(
        f"/documents/{newer['id']}/acceptance",
        None,
        headers=headers,
        json={"typed_name": "Eva Alpha", "confirmed": True},
    )
    assert current.status_code == 201, current.text
    assert current.json()["document_number"] == 2


async def test_the_same_offer_in_another_language_replaces_nothing(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id, german = world["engagement"]["id"], world["proposal"]
    sent = len(smtp_server.messages)
    english = await generate_and_release(api, engagement_id, language="en")
    assert english["number"] == 2 and english["language"] == "en"
    await api.run_jobs(smtp_url=smtp_server.url)
    # The German reader is told that the new version is the English one.
    assert [("Angebot v2 (englische Fassung)" in text_of(m)) for m in smtp_server.messages[sent:]] == [True]
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    page = await api.http.get(f"/portal/engagements/{engagement_id}")
    # Both are current; the German reader is offered the German one.
    assert BADGE not in page.text and f'action="/portal/documents/{german["id"]}/accept"' in page.text
    await api.http.get("/lang/en")
    english_page = await api.http.get(f"/portal/engagements/{engagement_id}")
    await api.http.get("/lang/de")
    assert f'action="/portal/documents/{english["id"]}/accept"' in english_page.text
    # Once the offer changes, the new version replaces both languages' earlier ones.
    engagement = (await api.get(f"/engagements/{engagement_id}")).json()
    changed = await api.patch(
        f"/engagements/{engagement_id}", json={"title": "KI-Einführung, erweitert", "version": engagement["version"]}
    )
    assert changed.status_code == 200, changed.text
    newest = await generate_and_release(api, engagement_id)
    assert newest["number"] == 3
    page = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert page.text.count(BADGE) == 2 and f'action="/portal/documents/{newest["id"]}/accept"' in page.text
    for old in (german, english):
        refused = await api.http.post(
            f"/portal/documents/{old['id']}/accept",
            data={"typed_name": "Eva Alpha", "confirmed": "true", "_csrf_token": csrf},
        )
        assert refused.status_code == 409 and "Version 3" in refused.text, refused.text


async def test_a_reader_of_english_signs_in_to_an_english_portal(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    await api.patch(f"/contacts/{contact['id']}", json={"language": "en", "version": contact["version"]})
    engagement_id = world["engagement"]["id"]
    sent = len(smtp_server.messages)
    english = await generate_and_release(api, engagement_id, language="en")
    await api.run_jobs(smtp_url=smtp_server.url)
    # The release mail of an English version to an English reader names no language ...
    mails = [text_of(m) for m in smtp_server.messages[sent:] if m.rcpt_tos == [EMAIL]]
    assert len(mails) == 1 and "Proposal v2" in mails[0] and "version)" not in mails[0]
    # ... the sign-in mail's link carries its language, and the portal opens in it and keeps it.
    await api.post("/portal/login-links", None, json={"email": EMAIL})
    await api.run_jobs(smtp_url=smtp_server.url)
    link = LOGIN_LINK.search(text_of(smtp_server.messages[-1]))
    assert link and "?lang=en" in text_of(smtp_server.messages[-1])
    confirm = await api.http.get(f"/portal/login/{link.group(1)}?lang=en")
    assert '<html lang="en">' in confirm.text and f"/portal/login/{link.group(1)}?lang=en" in confirm.text
    csrf = CSRF.search(confirm.text)
    assert csrf
    signed_in = await api.http.post(f"/portal/login/{link.group(1)}?lang=en", data={"_csrf_token": csrf.group(1)})
    assert signed_in.status_code == 303
    page = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert '<html lang="en">' in page.text
    assert f'action="/portal/documents/{english["id"]}/accept"' in page.text
    # The German version is listed as such.
    assert "(German version)" in page.text
    await api.http.get("/lang/de")


async def test_who_is_addressed_or_signs_leaves_the_offer_as_it_was(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id, contact = world["engagement"]["id"], world["contact"]
    await api.create(
        "contacts",
        {"client_id": world["client"]["id"], "name": "Otto Alpha", "email": "otto@alpha.de", "portal_access": True},
    )
    moved = await api.patch(f"/contacts/{contact['id']}", json={"position": "CFO", "version": contact["version"]})
    assert moved.status_code == 200
    engagement = (await api.get(f"/engagements/{engagement_id}")).json()
    lead = {"lead_consultant_id": api.users["admin"], "version": engagement["version"]}
    assert (await api.patch(f"/engagements/{engagement_id}", json=lead)).status_code == 200
    accepted = await api.post(
        f"/documents/{world['proposal']['id']}/acceptance",
        None,
        headers=await portal_bearer(api, smtp_server),
        json={"typed_name": "Eva Alpha", "confirmed": True},
    )
    assert accepted.status_code == 201, accepted.text


async def test_only_the_current_unexpired_offer_can_be_accepted(api: Api, smtp_server: SmtpTestServer) -> None:
    from backend.flows.documents.models import Document

    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id, first = world["engagement"]["id"], world["proposal"]
    assert first["valid_until"] is not None
    bearer = await portal_bearer(api, smtp_server)

    async def accept(document: dict[str, Any]) -> Any:
        return await api.post(
            f"/documents/{document['id']}/acceptance",
            None,
            headers=bearer,
            json={"typed_name": "Eva Alpha", "confirmed": True},
        )

    # The fee changed after version 1 was sent: version 1 no longer says what would be agreed.
    engagement = (await api.get(f"/engagements/{engagement_id}")).json()
    changed = await api.patch(
        f"/engagements/{engagement_id}", json={"fixed_fee": "99000.00", "version": engagement["version"]}
    )
    assert changed.status_code == 200
    refused = await accept(first)
    assert refused.status_code == 409 and "changed since version 1" in refused.json()["detail"]
    await sign_in(api)  # the team is told on the engagement page
    panel = await api.http.get(f"/engagements/{engagement_id}/documents-panel")
    assert "v1 kann nicht mehr angenommen werden" in panel.text
    assert (await api.get(f"/engagements/{engagement_id}")).json()["status"] == "proposed"
    second = await generate_and_release(api, engagement_id)
    # The replaced version is sent no more, by release or by link.
    again = await api.post(f"/documents/{first['id']}/release")
    assert again.status_code == 409 and "replaced by version 2" in again.json()["detail"]
    link = await api.post(f"/documents/{first['id']}/share-links", json={"valid_days": 7})
    assert link.status_code == 409
    # An offer past its date is not accepted.
    async with api.engine.begin() as conn:
        await conn.execute(
            update(Document).where(Document.id == second["id"]).values(valid_until=utcnow().date() - timedelta(days=1))
        )
    expired = await accept(second)
    assert expired.status_code == 409 and "valid until" in expired.json()["detail"]
    assert expired.json()["type"] == "/problems/proposal-expired"  # a late acceptance is a new offer
    async with api.engine.begin() as conn:
        await conn.execute(
            update(Document).where(Document.id == second["id"]).values(valid_until=utcnow().date() + timedelta(days=1))
        )
    accepted = await accept(second)
    assert accepted.status_code == 201 and accepted.json()["document_number"] == 2
    panel = await api.http.get(f"/engagements/{engagement_id}/documents-panel")
    assert "nicht mehr angenommen" not in panel.text
    # The accepted version may still be shared (the contract, for the client's colleagues).
    shared = await api.post(f"/documents/{second['id']}/share-links", json={"valid_days": 7})
    assert shared.status_code == 201, shared.text


async def test_sign_off_and_reject_deliverables(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    row = await deliver(api, world["deliverable"])
    second = await deliver(
        api,
        await api.create(
            "deliverables",
            {
                "engagement_id": world["engagement"]["id"],
                "title": "Prompt-Bibliothek",
                "kind": "document",
                "due_week": 3,
            },
        ),
    )
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    no_reason = await api.http.post(
        f"/portal/deliverables/{second['id']}/sign-off",
        data={"decision": "reject", "version": second["version"], "_csrf_token": csrf},
    )
    assert no_reason.status_code == 422
    assert f'id="deliverable-{second["id"]}"' in no_reason.text
    assert (
        '<div class="alert error" role="alert">Bitte schreiben Sie, was fehlt oder falsch ist.</div>' in no_reason.text
    )
    stale = await api.http.post(
        f"/portal/deliverables/{second['id']}/sign-off",
        data={"decision": "accept", "version": second["version"] - 1, "_csrf_token": csrf},
    )
    assert stale.status_code == 409 and "Jemand anderes hat dieses Ergebnis inzwischen geändert." in stale.text
    signed = await api.http.post(
        f"/portal/deliverables/{row['id']}/sign-off",
        data={"decision": "accept", "version": row["version"], "_csrf_token": csrf},
    )
    assert signed.status_code == 303
    after = (await api.get(f"/deliverables/{row['id']}")).json()
    assert after["status"] == "accepted" and after["signed_off_by_contact_id"] == world["contact"]["id"]
    assert after["version"] == row["version"] + 1  # one change, one audit event that shows the signer
    events = (await api.get("/audit-events", "admin", params={"entity_type": "deliverable", "sort": "-id"})).json()
    sign_off = next(e for e in events["items"] if e["entity_id"] == row["id"])
    assert sign_off["action"] == "transition:delivered->accepted"
    assert sign_off["after"]["signed_off_by_contact_id"] == world["contact"]["id"]
    rejected = await api.http.post(
        f"/portal/deliverables/{second['id']}/sign-off",
        data={
            "decision": "reject",
            "reason": "Abschnitt Datenschutz fehlt",
            "version": second["version"],
            "_csrf_token": csrf,
        },
    )
    assert rejected.status_code == 303
    after = (await api.get(f"/deliverables/{second['id']}")).json()
    assert after["status"] == "rejected" and after["rejection_reason"] == "Abschnitt Datenschutz fehlt"
    again = await api.http.post(
        f"/portal/deliverables/{row['id']}/sign-off",
        data={"decision": "accept", "version": row["version"] + 1, "_csrf_token": csrf},
    )
    assert again.status_code == 409 and "wartet nicht" in again.text


async def test_workshop_calendar_file(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await portal_sign_in(api, smtp_server, EMAIL)
    response = await api.http.get(f"/portal/workshops/{world['workshop']['id']}/calendar.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert "DTSTART:20300108T080000Z" in body and "DTEND:20300108T110000Z" in body
    assert "LOCATION:Aalen\\, Raum 2" in body and "SUMMARY:Kickoff Alpha GmbH" in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


async def test_release_mails_share_links_that_expire_and_can_be_revoked(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.run_jobs(smtp_url=smtp_server.url)
    mails = [m for m in smtp_server.messages if m.rcpt_tos == [EMAIL]]
    assert len(mails) == 1 and "Angebot v1" in mails[0].message["Subject"]
    path = SHARE_LINK.search(text_of(mails[0])).group(1)
    opened = await api.http.get(path)
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    forged = await api.http.get(path[:-3] + ("xyz" if not path.endswith("xyz") else "abc"))
    assert forged.status_code == 401
    # Releasing again mails nobody twice.
    await api.post(f"/documents/{world['proposal']['id']}/release")
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len([m for m in smtp_server.messages if m.rcpt_tos == [EMAIL]]) == 1
    links = (await api.get("/share-links", params={"document_id": world["proposal"]["id"]})).json()
    assert links["total"] == 1 and links["items"][0]["download_count"] == 1
    revoked = await api.post(f"/share-links/{links['items'][0]['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await api.http.get(path)).status_code == 410
    made = await api.post(f"/documents/{world['proposal']['id']}/share-links", json={"valid_days": 1})
    assert made.status_code == 201
    url = made.json()["url"]
    link_path = url[url.index("/s/") :]
    link_id, expires, mac = link_path.removeprefix("/s/").split(".")
    stretched = f"/s/{link_id}.{int(expires) + 86400}.{mac}"
    assert (await api.http.get(stretched)).status_code == 401  # a longer life cannot be forged


async def test_digest_mail_carries_a_share_link(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    await api.patch(f"/contacts/{contact['id']}", json={"receives_digest": True, "version": contact["version"]})
    engagement = (await api.get(f"/engagements/{world['engagement']['id']}")).json()
    await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "active", "version": engagement["version"]}
    )
    await api.run_jobs(smtp_url=smtp_server.url)
    response = await api.post(f"/engagements/{engagement['id']}/digests", json={"iso_week": "2026-W48"})
    assert response.status_code == 202, response.text
    await api.run_jobs(smtp_url=smtp_server.url)
    digest = [m for m in smtp_server.messages if "Statusbericht" in m.message["Subject"]]
    assert len(digest) == 1
    path = SHARE_LINK.search(text_of(digest[0])).group(1)
    report = await api.http.get(path)
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    sent = (await api.get(f"/engagements/{engagement['id']}/documents", params={"kind": "status_report"})).json()
    assert sent["items"][0]["sent_at"]


async def test_taking_portal_access_away_ends_the_session(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await portal_sign_in(api, smtp_server, EMAIL)
    assert (await api.http.get(f"/portal/engagements/{world['engagement']['id']}")).status_code == 200
    contact = world["contact"]
    await api.patch(f"/contacts/{contact['id']}", json={"portal_access": False, "version": contact["version"]})
    after = await api.http.get(f"/portal/engagements/{world['engagement']['id']}")
    assert after.status_code == 303 and after.headers["location"] == "/portal/login"


async def test_staff_cannot_use_client_decisions(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    response = await api.post(
        f"/documents/{world['proposal']['id']}/acceptance", json={"typed_name": "Berater", "confirmed": True}
    )
    assert response.status_code == 403
    page = await api.http.get("/portal/login")
    assert page.status_code == 200 and CSRF.search(page.text)


async def test_deleting_the_contact_or_archiving_the_client_ends_portal_access(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.create(
        "contacts", {"client_id": world["client"]["id"], "name": "Max", "email": "max@alpha.de", "portal_access": True}
    )
    page = f"/portal/engagements/{world['engagement']['id']}"
    await portal_sign_in(api, smtp_server, EMAIL)
    assert (await api.http.get(page)).status_code == 200
    assert (await api.delete(f"/contacts/{world['contact']['id']}")).status_code == 204
    assert (await api.http.get(page)).status_code == 303  # the session ended with the contact

    api.http.cookies.clear()
    unused = await request_link_token(api, smtp_server, "max@alpha.de")
    await portal_sign_in(api, smtp_server, "max@alpha.de")
    assert (await api.http.get(page)).status_code == 200
    assert (await api.delete(f"/clients/{world['client']['id']}")).status_code in (200, 204)
    assert (await api.http.get(page)).status_code == 303
    # A link mailed before the client was archived no longer signs anyone in.
    assert (await api.post("/portal/sessions", None, json={"token": unused})).status_code == 401


async def test_share_links_end_with_the_client_and_the_contact(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.run_jobs(smtp_url=smtp_server.url)
    released = SHARE_LINK.search(text_of(next(m for m in smtp_server.messages if m.rcpt_tos == [EMAIL]))).group(1)
    made = (await api.post(f"/documents/{world['proposal']['id']}/share-links", json={"valid_days": 3})).json()
    manual = made["url"][made["url"].index("/s/") :]
    assert (await api.http.get(released)).status_code == (await api.http.get(manual)).status_code == 200
    assert (await api.delete(f"/contacts/{world['contact']['id']}")).status_code == 204
    assert (await api.http.get(released)).status_code == 410  # the deleted contact's link
    assert (await api.http.get(manual)).status_code == 200
    assert (await api.delete(f"/clients/{world['client']['id']}")).status_code == 204
    gone = await api.http.get(manual)
    assert gone.status_code == 410 and "zurückgezogen" in gone.text


async def test_portal_speaks_english_too(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await portal_sign_in(api, smtp_server, EMAIL)
    page = f"/portal/engagements/{world['engagement']['id']}"
    await api.http.get("/lang/en", headers={"referer": f"https://testserver.local{page}"})
    english = await api.http.get(page)
    assert 'lang="en"' in english.text and "Progress" in english.text and "Accept the proposal" in english.text
    assert "Fortschritt" not in english.text
    await api.http.get("/lang/de")


async def test_releasing_again_and_again_mails_each_recipient_once(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.create(
        "contacts",
        {"client_id": world["client"]["id"], "name": "Jan", "email": "jan@alpha.de", "receives_digest": True},
    )
    for _ in range(3):  # each release plans a mailing job; they run at once
        assert (await api.post(f"/documents/{world['proposal']['id']}/release")).status_code == 202
    await api.run_jobs(smtp_url=smtp_server.url)
    recipients = sorted(m.rcpt_tos[0] for m in smtp_server.messages if "Angebot" in m.message["Subject"])
    assert recipients == ["eva@alpha.de", "jan@alpha.de"], recipients


async def test_addresses_are_held_to_what_mail_can_carry(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    client_id = world["client"]["id"]
    idn = await api.create("contacts", {"client_id": client_id, "name": "Bücher", "email": "info@bücher.de"})
    assert idn["email"] == "info@xn--bcher-kva.de"
    faß = await api.create("contacts", {"client_id": client_id, "name": "Faß", "email": "Info@Faß.de"})
    assert faß["email"] == "info@xn--fa-hia.de"  # IDNA 2008: not fass.de, someone else's domain
    twice = await api.post("/contacts", json={"client_id": client_id, "name": "B", "email": "INFO@bücher.de"})
    assert twice.status_code == 409  # one address, one inbox
    refused = await api.post("/contacts", json={"client_id": client_id, "name": "Ü", "email": "ü@alpha.de"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["path"] == "body.email"
    # One stored before addresses were held to ASCII does not stop the mails to the others.
    legacy = await api.create(
        "contacts", {"client_id": client_id, "name": "Alt", "email": "alt@alpha.de", "receives_digest": True}
    )
    later = await api.create(
        "contacts", {"client_id": client_id, "name": "Zoe", "email": "zoe@alpha.de", "receives_digest": True}
    )
    async with api.engine.begin() as conn:
        await conn.execute(text("UPDATE contacts SET email = 'jö@bücher.de' WHERE id = :id"), {"id": legacy["id"]})
    second = (await api.post(f"/engagements/{world['engagement']['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs(smtp_url=smtp_server.url)
    assert (await api.post(f"/documents/{second['id']}/release")).status_code == 202
    await api.run_jobs(smtp_url=smtp_server.url)
    v2 = sorted(m.rcpt_tos[0] for m in smtp_server.messages if "Angebot v2" in m.message["Subject"])
    assert v2 == [EMAIL, later["email"]], v2
    # The weekly digest alike: the unusable address bounces, nobody else waits for it.
    engagement = (await api.get(f"/engagements/{world['engagement']['id']}")).json()
    await api.post(
        f"/engagements/{engagement['id']}/transitions", json={"to": "active", "version": engagement["version"]}
    )
    assert (
        await api.post(f"/engagements/{engagement['id']}/digests", json={"iso_week": "2026-W48"})
    ).status_code == 202
    await api.run_jobs(smtp_url=smtp_server.url)
    deliveries = (await api.get("/digest-deliveries", params={"engagement_id": engagement["id"]})).json()["items"]
    assert {d["contact_id"]: d["status"] for d in deliveries} == {legacy["id"]: "bounced", later["id"]: "sent"}


async def test_a_proposal_superseded_while_being_accepted_is_not_accepted(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    token = await request_link_token(api, smtp_server, EMAIL)
    client = (await api.post("/portal/sessions", None, json={"token": token})).json()["access_token"]
    second = (await api.post(f"/engagements/{world['engagement']['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs(smtp_url=smtp_server.url)
    release, accept = await asyncio.gather(
        api.post(f"/documents/{second['id']}/release"),
        api.http.post(
            f"/api/v1/documents/{world['proposal']['id']}/acceptance",
            json={"typed_name": "Eva Alpha", "confirmed": True},
            headers={"Authorization": f"Bearer {client}"},
        ),
    )
    assert not (release.status_code == 202 and accept.status_code == 201), (release.text, accept.text)


async def test_releases_at_once_make_one_link_per_new_recipient(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)  # released once already
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.create(
        "contacts",
        {"client_id": world["client"]["id"], "name": "Jan", "email": "jan@alpha.de", "receives_digest": True},
    )
    answers = await asyncio.gather(*(api.post(f"/documents/{world['proposal']['id']}/release") for _ in range(6)))
    assert {a.status_code for a in answers} == {202}, [a.text for a in answers]
    await api.run_jobs(smtp_url=smtp_server.url)
    to_jan = [m for m in smtp_server.messages if m.rcpt_tos == ["jan@alpha.de"]]
    assert len(to_jan) == 1, len(to_jan)
    links = (await api.get("/share-links", params={"document_id": world["proposal"]["id"]})).json()["items"]
    assert sorted(link["contact_id"] for link in links if link["revoked_at"] is None) == sorted(
        {link["contact_id"] for link in links if link["revoked_at"] is None}
    )


async def test_first_releases_at_once_all_answer_202_and_move_the_engagement_once(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    client = await make_client(api, "Beta GmbH")
    await api.create(
        "contacts",
        {"client_id": client["id"], "name": "Uwe", "email": "uwe@beta.de", "receives_digest": True},
    )
    engagement = await proposable_engagement(api, client["id"])
    queued = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs()
    answers = await asyncio.gather(*(api.post(f"/documents/{queued['id']}/release") for _ in range(8)))
    assert [a.status_code for a in answers] == [202] * 8, [a.text for a in answers if a.status_code != 202]
    moved = (await api.get(f"/engagements/{engagement['id']}")).json()
    assert moved["status"] == "proposed" and moved["version"] == engagement["version"] + 1
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len([m for m in smtp_server.messages if m.rcpt_tos == ["uwe@beta.de"]]) == 1


async def test_a_draft_engagement_is_the_teams_alone(api: Api, smtp_server: SmtpTestServer, password_hash: str) -> None:
    """Neither the portal nor the API shows a client its draft, or lets it decide on one."""
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    draft = await make_engagement(api, world["client"]["id"], title="Noch intern", terms="INTERNE KONDITIONEN")
    item = await deliver(
        api,
        await api.create(
            "deliverables", {"engagement_id": draft["id"], "title": "Entwurf", "kind": "document", "due_week": 1}
        ),
    )
    await api.add_user("client_a", "client", password_hash, client_id=world["client"]["id"])
    csrf = await portal_sign_in(api, smtp_server, EMAIL)

    assert (await api.http.get(f"/portal/engagements/{draft['id']}")).status_code == 404
    signed = await api.http.post(
        f"/portal/deliverables/{item['id']}/sign-off",
        data={"decision": "accept", "version": item["version"], "_csrf_token": csrf},
    )
    assert signed.status_code == 404
    for path in (f"/engagements/{draft['id']}", f"/deliverables/{item['id']}"):
        assert (await api.get(path, "client_a")).status_code == 404, path
    listed = (await api.get("/engagements", "client_a")).json()["items"]
    assert [e["id"] for e in listed] == [world["engagement"]["id"]]
    assert (await api.get("/deliverables", "client_a", params={"engagement_id": draft["id"]})).json()["total"] == 0
    body = {"decision": "accept", "version": item["version"]}
    assert (await api.post(f"/deliverables/{item['id']}/sign-off", "client_a", json=body)).status_code == 404
    assert (await api.get(f"/deliverables/{item['id']}")).json()["status"] == "delivered"  # nothing decided
    assert "INTERNE KONDITIONEN" not in (await api.get("/engagements", "client_a")).text


async def test_of_ten_people_accepting_at_once_one_wins_and_the_others_are_told_who(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    url = f"/portal/documents/{world['proposal']['id']}/accept"
    answers = await asyncio.gather(
        *(
            api.http.post(url, data={"typed_name": f"Eva Alpha {i}", "confirmed": "true", "_csrf_token": csrf})
            for i in range(10)
        )
    )
    assert sorted(a.status_code for a in answers) == [303] + [409] * 9
    record = (await api.get(f"/engagements/{world['engagement']['id']}/acceptance")).json()
    for loser in (a for a in answers if a.status_code == 409):
        assert "bereits am" in loser.text and record["typed_name"] in loser.text, loser.text
    assert (await api.get(f"/engagements/{world['engagement']['id']}")).json()["status"] == "active"
    events = (await api.get("/audit-events", "admin", params={"limit": 100})).json()["items"]
    assert [e["action"] for e in events].count("accept_proposal") == 1


async def test_a_signature_is_a_name_someone_can_read(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    url = f"/portal/documents/{world['proposal']['id']}/accept"
    refused = {
        "Eva\u202eAlpha": "Darf keine Steuerzeichen, Richtungswechsel oder unlesbaren Zeichen enthalten.",
        "\u200b\u200b\u200b": "Bitte geben Sie Ihren vollständigen Namen ein.",
        "\u3164\u3164\u3164": "Bitte geben Sie Ihren vollständigen Namen ein.",  # Hangul fillers print as nothing
        "Eva \x1b[31m": "Darf keine Steuerzeichen, Richtungswechsel oder unlesbaren Zeichen enthalten.",
        "E" * 201: "Höchstens 200 Zeichen.",
    }
    for name, message in refused.items():
        answer = await api.http.post(url, data={"typed_name": name, "confirmed": "true", "_csrf_token": csrf})
        assert answer.status_code == 422 and f'role="alert">{message}</div>' in answer.text, (name, answer.text)
    twice = await api.http.post(
        url,
        content=f"typed_name=Eva&typed_name=Mallory&confirmed=true&_csrf_token={csrf}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 422
    undecodable = await api.http.post(
        url,
        content=f"typed_name=Eva%FF%FEAlpha&confirmed=true&_csrf_token={csrf}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert undecodable.status_code == 422
    assert (await api.get(f"/engagements/{world['engagement']['id']}")).json()["status"] == "proposed"


async def test_the_api_takes_only_true_as_confirmation(api: Api, password_hash: str) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.add_user("client_a", "client", password_hash, client_id=world["client"]["id"])
    url = f"/documents/{world['proposal']['id']}/acceptance"
    for confirmed in (1, 1.0, "true", False):
        answer = await api.post(url, "client_a", json={"typed_name": "Eva Alpha", "confirmed": confirmed})
        assert answer.status_code == 422, (confirmed, answer.text)
    assert (await api.post(url, "client_a", json={"typed_name": "Eva Alpha", "confirmed": True})).status_code == 201


async def test_a_tampered_hidden_field_asks_to_reload(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    row = await deliver(api, world["deliverable"])
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    for field, value in (("version", "99999999999999999999"), ("version", "abc"), ("decision", "maybe")):
        data = {"decision": "accept", "version": row["version"], "_csrf_token": csrf} | {field: value}
        answer = await api.http.post(f"/portal/deliverables/{row['id']}/sign-off", data=data)
        assert answer.status_code == 422
        assert (
            'role="alert">Dieses Formular ist nicht mehr aktuell. Bitte laden Sie die Seite neu.</div>' in answer.text
        )
    assert (await api.get(f"/deliverables/{row['id']}")).json()["status"] == "delivered"


async def test_the_sign_in_mail_speaks_the_contacts_language_unless_the_reader_chose_one(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    contact = world["contact"]
    english = await api.patch(f"/contacts/{contact['id']}", json={"language": "en", "version": contact["version"]})
    assert english.status_code == 200, english.text
    await api.run_jobs(smtp_url=smtp_server.url)  # the proposal's release mail goes first

    async def subject_of_link_mail() -> str:
        page = await api.http.get("/portal/login")
        csrf = CSRF.search(page.text).group(1)
        before = len(smtp_server.messages)
        sent = await api.http.post("/portal/login", data={"email": EMAIL, "_csrf_token": csrf})
        assert sent.status_code == 200, sent.text
        await api.run_jobs(smtp_url=smtp_server.url)
        (mail,) = smtp_server.messages[before:]
        return str(mail.message["Subject"])

    assert (await subject_of_link_mail()).startswith("Your sign-in link")  # no choice made: the contact's
    await api.http.get("/lang/de")
    assert (await subject_of_link_mail()).startswith("Ihr Anmeldelink")  # the reader chose German


async def test_signed_in_on_the_wrong_side_one_is_sent_to_ones_own(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await portal_sign_in(api, smtp_server, EMAIL)
    for path in ("/", "/clients", f"/engagements/{world['engagement']['id']}"):
        answer = await api.http.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/portal", path
    api.http.cookies.clear()
    await sign_in(api)  # the consultant, through the team's sign-in page
    answer = await api.http.get(f"/portal/engagements/{world['engagement']['id']}")
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_the_release_mail_reads_cleanly_in_both_languages() -> None:
    from backend.flows.portal.email import Letter, document_message

    for lang, portal_line in (
        ("de", "Im Kundenportal können Sie es auch ansehen und freigeben: https://desk.example/portal"),
        ("en", "You can also view and approve it in the client portal: https://desk.example/portal"),
    ):
        letter = Letter(lang, "Beratung GmbH", "status@desk.example", "Eva Alpha", "eva@alpha.de", "<m@desk>")
        mail = document_message(
            letter,
            client="Alpha GmbH",
            engagement="KI-Einführung",
            document="Angebot v1",
            url="https://desk.example/s/abc",
            valid_until="30.12.2026",
            portal_url="https://desk.example/portal",
        )
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert portal_line in text.splitlines() and "::" not in text, text


async def test_after_the_acceptance_no_new_proposal_version_goes_out(
    api: Api, smtp_server: SmtpTestServer, password_hash: str
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.add_user("client_a", "client", password_hash, client_id=world["client"]["id"])
    accept = {"typed_name": "Eva Alpha", "confirmed": True}
    assert (
        await api.post(f"/documents/{world['proposal']['id']}/acceptance", "client_a", json=accept)
    ).status_code == 201
    second = (await api.post(f"/engagements/{world['engagement']['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs(smtp_url=smtp_server.url)
    refused = await api.post(f"/documents/{second['id']}/release")
    assert refused.status_code == 409 and "accepted version 1" in refused.json()["detail"]
    assert (await api.get(f"/documents/{second['id']}")).json()["sent_at"] is None
