"""Webhooks on the admins' page: made with the secret shown once, a test event delivered and
logged with its attempts, redelivery, the log paged and filtered, paused, rotated, deleted."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.factories import sign_in
from tests.webhook_receiver import Receiver

SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


async def test_an_admin_manages_a_webhook_on_its_page(api: Api, receiver: Receiver) -> None:
    # A consultant has neither the link nor the page.
    await sign_in(api)
    assert 'href="/webhooks"' not in (await api.http.get("/clients")).text
    denied = await api.http.get("/webhooks", headers={"Accept": "text/html"})
    assert denied.status_code == 403 and "Keine Berechtigung" in denied.text
    api.http.cookies.clear()

    token = await sign_in(api, "admin@example.de")
    page = await api.http.get("/webhooks")
    assert page.status_code == 200 and "Noch keine Webhooks." in page.text and 'href="/webhooks"' in page.text

    # Refused: no event ticked, a URL that is not one; nothing made.
    refused = await api.http.post("/webhooks", data={"_csrf_token": token, "url": "ftp://crm.example"})
    assert refused.status_code == 422 and "Bitte mindestens ein Ereignis wählen." in refused.text
    assert 'value="ftp://crm.example"' in refused.text
    assert (await api.get("/webhook-subscriptions", "admin")).json()["items"] == []

    made = await api.http.post(
        "/webhooks",
        data={
            "_csrf_token": token,
            "url": receiver.url,
            "description": "CRM",
            "event-invoice.issued": "1",
            "event-proposal.accepted": "1",
        },
    )
    # The browser is sent on to the subscription's page, which shows the secret this once:
    # reloading it repeats nothing and shows only the hint.
    assert made.status_code == 303
    shown = await api.http.get(made.headers["location"])
    assert "nur jetzt sichtbar" in shown.text
    secret = SECRET.search(shown.text).group(0)
    (hook,) = (await api.get("/webhook-subscriptions", "admin")).json()["items"]
    assert made.headers["location"] == f"/webhooks/{hook['id']}"
    assert hook["events"] == ["invoice.issued", "proposal.accepted"] and hook["description"] == "CRM"
    again = await api.http.get(f"/webhooks/{hook['id']}")
    assert secret not in again.text and secret[-4:] in again.text and "nur jetzt sichtbar" not in again.text
    assert len((await api.get("/webhook-subscriptions", "admin")).json()["items"]) == 1
    for odd in ("kaputt", "WyJpZCIsNSw1XQ"):  # garbage, and a real cursor of another order
        assert (await api.http.get(f"/webhooks/{hook['id']}?cursor={odd}")).status_code == 200

    # A test event: delivered by the queue, in the log with its attempt.
    for _ in range(3):
        sent = await api.http.post(f"/webhooks/{hook['id']}/test", data={"_csrf_token": token})
        assert sent.status_code == 303
    await api.run_jobs()
    assert len(receiver.received) == 3 and all(r.headers["webhook-signature"] for r in receiver.received)
    log = await api.http.get(f"/webhooks/{hook['id']}")
    assert log.text.count("webhook.test") >= 3 and "HTTP 204" in log.text and "zugestellt" in log.text
    assert "zugestellt: 3" in (await api.http.get("/webhooks")).text

    # Sent again from the log: the same message once more.
    first = (await api.get(f"/webhook-subscriptions/{hook['id']}/deliveries", "admin")).json()["items"][-1]
    again = await api.http.post(f"/webhook-deliveries/{first['id']}/redeliver", data={"_csrf_token": token})
    assert again.status_code == 303 and again.headers["location"] == f"/webhooks/{hook['id']}#log"
    await api.run_jobs()
    assert len(receiver.received) == 4 and receiver.received[3].headers["webhook-id"] == first["message_id"]
    # Still being tried: refused on the page, nothing sent.
    await api.http.post(f"/webhooks/{hook['id']}/test", data={"_csrf_token": token})
    pending = max(
        d["id"] for d in (await api.get(f"/webhook-subscriptions/{hook['id']}/deliveries", "admin")).json()["items"]
    )
    busy = await api.http.post(f"/webhook-deliveries/{pending}/redeliver", data={"_csrf_token": token})
    assert busy.status_code == 409 and "läuft noch" in busy.text
    await api.run_jobs()

    # Twenty to a page, older ones behind a cursor; the filter keeps to one state.
    for _ in range(18):
        await api.http.post(f"/webhooks/{hook['id']}/test", data={"_csrf_token": token})
    newest = await api.http.get(f"/webhooks/{hook['id']}")
    older = re.search(r'href="(/webhooks/\d+\?cursor=[^"#]+)#log"', newest.text)
    assert older is not None
    rest = await api.http.get(older.group(1))
    assert rest.status_code == 200 and rest.text.count('id="delivery-') == 23 - 20
    waiting = await api.http.get(f"/webhooks/{hook['id']}?status=pending")
    assert waiting.text.count('id="delivery-') == 18 and "HTTP 204" not in waiting.text

    # Paused, then a new secret (the old one no longer signs), then deleted.
    version = (await api.get(f"/webhook-subscriptions/{hook['id']}", "admin")).json()["version"]
    paused = await api.http.post(
        f"/webhooks/{hook['id']}",
        data={"_csrf_token": token, "version": str(version), "url": receiver.url, "event-invoice.issued": "1"},
    )
    assert paused.status_code == 303
    now = (await api.get(f"/webhook-subscriptions/{hook['id']}", "admin")).json()
    assert (now["active"], now["events"]) == (False, ["invoice.issued"])
    stale = await api.http.post(
        f"/webhooks/{hook['id']}",
        data={"_csrf_token": token, "version": str(version), "url": receiver.url, "event-invoice.issued": "1"},
    )
    assert stale.status_code == 409
    rotated = await api.http.post(f"/webhooks/{hook['id']}/rotate-secret", data={"_csrf_token": token})
    assert rotated.status_code == 303
    new_secret = SECRET.search((await api.http.get(rotated.headers["location"])).text).group(0)
    assert new_secret != secret
    gone = await api.http.post(
        f"/webhooks/{hook['id']}/delete", data={"_csrf_token": token, "version": str(now["version"] + 1)}
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/webhooks"
    assert (await api.get(f"/webhook-subscriptions/{hook['id']}", "admin")).status_code == 404
