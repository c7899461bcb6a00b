"""Admin pages: send a document to the client, hand out a share link and withdraw it."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.factories import make_client, make_engagement, proposable_engagement, sign_in

LINK = re.compile(r'value="https?://[^"]+(/s/[^"]+)"')


async def test_send_document_and_manage_share_links(api: Api) -> None:
    client = await make_client(api)
    await api.create("contacts", {"client_id": client["id"], "name": "Eva", "email": "eva@m.de", "portal_access": True})
    engagement = await proposable_engagement(api, client["id"])
    queued = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs()
    token = await sign_in(api)
    base = f"/engagements/{engagement['id']}"
    panel = await api.http.get(f"{base}/documents-panel")
    assert "An Kunden senden" in panel.text and "gesendet" not in panel.text

    sent = await api.http.post(f"{base}/documents/{queued['id']}/send", data={"_csrf_token": token})
    assert sent.status_code == 303 and "notice=document_sent" in sent.headers["location"]
    assert (await api.get(f"/engagements/{engagement['id']}")).json()["status"] == "proposed"
    assert (await api.get(f"/documents/{queued['id']}")).json()["sent_at"]
    assert "gesendet" in (await api.http.get(f"{base}/documents-panel")).text

    made = await api.http.post(f"{base}/documents/{queued['id']}/share-links", data={"_csrf_token": token})
    assert made.status_code == 303
    panel = await api.http.get(f"{base}/documents-panel")
    path = LINK.search(panel.text).group(1)
    api.http.cookies.clear()  # the recipient has no account
    opened = await api.http.get(path)
    assert opened.status_code == 200 and opened.content.startswith(b"%PDF")
    assert opened.headers["cache-control"] == "private, no-store"

    token = await sign_in(api)
    links = (await api.get("/share-links", params={"document_id": queued["id"]})).json()["items"]
    link_id = next(link["id"] for link in links if link["purpose"] == "manual")
    revoked = await api.http.post(f"{base}/share-links/{link_id}/revoke", data={"_csrf_token": token})
    assert revoked.status_code == 303
    assert LINK.search((await api.http.get(f"{base}/documents-panel")).text) is None
    gone = await api.http.get(path)
    assert gone.status_code == 410 and "zurückgezogen" in gone.text


async def test_documents_of_another_engagement_cannot_be_sent_from_this_page(api: Api) -> None:
    client = await make_client(api)
    first = await make_engagement(api, client["id"])
    second = await proposable_engagement(api, client["id"], title="Zweites")
    queued = (await api.post(f"/engagements/{second['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs()
    token = await sign_in(api)
    response = await api.http.post(
        f"/engagements/{first['id']}/documents/{queued['id']}/send", data={"_csrf_token": token}
    )
    assert response.status_code == 404
    assert (await api.get(f"/documents/{queued['id']}")).json()["sent_at"] is None


async def test_a_proposal_that_lacks_what_the_client_needs_is_not_sent(api: Api) -> None:
    client = await make_client(api)
    await api.create("contacts", {"client_id": client["id"], "name": "Eva", "email": "eva@m.de", "portal_access": True})
    bare = await make_engagement(api, client["id"], goals=None, lead_consultant_id=None)
    queued = (await api.post(f"/engagements/{bare['id']}/documents", json={"kind": "proposal"})).json()
    await api.run_jobs()
    refused = await api.post(f"/documents/{queued['id']}/release")
    assert refused.status_code == 422
    assert "no goals, no scope of work by week, no lead consultant" in refused.json()["detail"]
    token = await sign_in(api)
    page = await api.http.post(f"/engagements/{bare['id']}/documents/{queued['id']}/send", data={"_csrf_token": token})
    assert page.status_code == 422
    assert "es fehlen: Ziele, Leistungsumfang nach Wochen, Projektleitung" in page.text
    after = (await api.get(f"/documents/{queued['id']}")).json()
    assert after["sent_at"] is None and (await api.get(f"/engagements/{bare['id']}")).json()["status"] == "draft"


async def test_sharing_a_document_that_still_renders_answers_a_page(api: Api) -> None:
    client = await make_client(api)
    engagement = await proposable_engagement(api, client["id"])
    queued = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    token = await sign_in(api)
    base = f"/engagements/{engagement['id']}"
    early = await api.http.post(f"{base}/documents/{queued['id']}/share-links", data={"_csrf_token": token})
    assert early.status_code == 409 and early.headers["content-type"].startswith("text/html")
    assert "Dieses Dokument wird noch erzeugt" in early.text
    gone = await api.http.post(f"{base}/share-links/987654/revoke", data={"_csrf_token": token})
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/html")
