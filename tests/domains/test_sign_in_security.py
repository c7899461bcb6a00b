"""Signing in and out as an attacker would try it: guessing passwords, flooding sign-in links,
reusing a token after sign-out, undoing a deactivation."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from httpx import ASGITransport, AsyncClient
from sqlalchemy import text

from tests.conftest import PASSWORD, Api
from tests.portal_helpers import (
    CSRF,
    LOGIN_LINK,
    portal_sign_in,
    portal_world,
    request_link_token,
    text_of,
)
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"


@asynccontextmanager
async def browser(api: Api, ip: str) -> AsyncIterator[AsyncClient]:
    """Another visitor, from another address, with a cookie jar of its own."""
    transport = ASGITransport(app=api.app, client=(ip, 40000))
    async with AsyncClient(transport=transport, base_url="https://testserver.local") as http:
        yield http


async def _login(http: AsyncClient, password: str, email: str = "consultant@example.de") -> int:
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


async def test_password_guessing_is_slowed_down_per_source(api: Api) -> None:
    async with browser(api, "203.0.113.7") as attacker, browser(api, "198.51.100.2") as owner:
        codes = [await _login(attacker, f"falsch-{i}") for i in range(60)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
        refused = await attacker.post(
            "/api/v1/auth/login", json={"email": "consultant@example.de", "password": PASSWORD}
        )
        assert refused.status_code == 429  # while it waits, the right password does not help either
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert refused.json()["type"] == "/problems/rate-limited"
        # The stranger locked out only themselves: the owner signs in from elsewhere.
        assert await _login(owner, PASSWORD) == 200


async def test_parallel_guesses_meet_the_same_limit(api: Api) -> None:
    async with browser(api, "203.0.113.9") as attacker:
        codes = Counter(await asyncio.gather(*(_login(attacker, f"falsch-{i}") for i in range(60))))
    assert codes == {401: 5, 429: 55}, codes


async def test_the_owners_browser_gets_through_an_account_wide_lockout(api: Api) -> None:
    async with browser(api, "198.51.100.2") as owner:
        assert await _login(owner, PASSWORD) == 200  # this browser is now known to the account
        assert "desk_device" in owner.cookies
        limit = api.app.state.settings.login_failures_per_account_hour
        for n in range((limit // 5) + 1):  # a spread-out attack from many addresses
            async with browser(api, f"203.0.113.{n + 10}") as attacker:
                for i in range(5):
                    await _login(attacker, f"falsch-{n}-{i}")
        async with browser(api, "192.0.2.99") as unknown:
            assert await _login(unknown, PASSWORD) == 429
        assert await _login(owner, PASSWORD) == 200


async def test_the_sign_in_page_says_when_to_try_again(api: Api) -> None:
    page = await api.http.get("/login")
    token = CSRF.search(page.text).group(1)
    for _ in range(5):
        wrong = await api.http.post("/login", data={"email": "admin@example.de", "password": "x", "_csrf_token": token})
        assert wrong.status_code == 401
    waiting = await api.http.post(
        "/login", data={"email": "admin@example.de", "password": PASSWORD, "_csrf_token": token}
    )
    assert waiting.status_code == 429 and "Zu viele Fehlversuche" in waiting.text
    assert "Bitte versuchen Sie es in einer Minute erneut." in waiting.text


async def test_a_stranger_cannot_lock_a_contact_out_of_the_portal(api: Api, smtp_server: SmtpTestServer) -> None:
    await portal_world(api, "Alpha GmbH", EMAIL)
    codes = []
    for n in range(4):  # a stranger spreads the requests over several addresses
        async with browser(api, f"203.0.113.{n + 7}") as stranger:
            codes += [
                (await stranger.post("/api/v1/portal/login-links", json={"email": EMAIL})).status_code for _ in range(6)
            ]
    assert codes == ([202] * 5 + [429]) * 4  # each of the stranger's sources waits
    async with browser(api, "198.51.100.2") as owner:  # the owner, on a first visit, without a cookie
        assert (await owner.post("/api/v1/portal/login-links", json={"email": EMAIL})).status_code == 202
    before = len(smtp_server.messages)
    await api.run_jobs(smtp_url=smtp_server.url)
    mailed = [m for m in smtp_server.messages[before:] if LOGIN_LINK.search(text_of(m))]
    # The inbox holds a few usable links, not 21; the owner signs in with one of them.
    assert len(mailed) == api.app.state.settings.login_links_outstanding
    token = LOGIN_LINK.search(text_of(mailed[-1])).group(1)
    assert (await api.post("/portal/sessions", None, json={"token": token})).status_code == 200


async def test_sign_out_ends_the_token(api: Api, smtp_server: SmtpTestServer) -> None:
    login = await api.post("/auth/login", None, json={"email": "consultant@example.de", "password": PASSWORD})
    token = login.json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/clients", None, headers=bearer)).status_code == 200
    logout = await api.post("/auth/logout", None, headers=bearer)
    assert logout.status_code == 204
    cleared = logout.headers["set-cookie"]
    assert "desk_token=" in cleared and "HttpOnly" in cleared and "samesite=strict" in cleared.lower(), cleared
    refused = await api.get("/clients", None, headers=bearer)
    assert refused.status_code == 401 and "session has ended" in refused.json()["detail"]
    # Other sessions of the same user go on.
    assert (await api.get("/clients")).status_code == 200

    await portal_world(api, "Alpha GmbH", EMAIL)
    api.http.cookies.clear()
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    cookie = api.http.cookies["desk_token"]
    assert (await api.http.get("/portal")).status_code in (200, 303)
    assert (await api.http.post("/portal/logout", data={"_csrf_token": csrf})).status_code == 303
    replayed = await api.http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {cookie}"})
    assert replayed.status_code == 401


async def test_an_admins_deactivation_is_not_undone_by_a_sign_in_link(api: Api, smtp_server: SmtpTestServer) -> None:
    await portal_world(api, "Alpha GmbH", EMAIL)
    first = await request_link_token(api, smtp_server, EMAIL)
    user = (await api.post("/portal/sessions", None, json={"token": first})).json()["user"]
    spare = await request_link_token(api, smtp_server, EMAIL)  # an unused link from before
    row = (await api.get(f"/users/{user['id']}", "admin")).json()
    off = await api.patch(f"/users/{user['id']}", "admin", json={"is_active": False, "version": row["version"]})
    assert off.status_code == 200 and off.json()["deactivated_by"] == "admin"
    assert (await api.post("/portal/sessions", None, json={"token": spare})).status_code == 401
    before = len(smtp_server.messages)
    assert (await api.post("/portal/login-links", None, json={"email": EMAIL})).status_code == 202
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == before  # no link for a deactivated user
    assert (await api.get(f"/users/{user['id']}", "admin")).json()["is_active"] is False
    # Lifted by an admin, the contact signs in again.
    row = (await api.get(f"/users/{user['id']}", "admin")).json()
    on = await api.patch(f"/users/{user['id']}", "admin", json={"is_active": True, "version": row["version"]})
    assert on.json()["deactivated_by"] is None
    again = await request_link_token(api, smtp_server, EMAIL)
    assert (await api.post("/portal/sessions", None, json={"token": again})).status_code == 200


async def test_portal_access_given_back_lets_the_contact_in_again(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    token = await request_link_token(api, smtp_server, EMAIL)
    session = (await api.post("/portal/sessions", None, json={"token": token})).json()
    contact = world["contact"]
    off = await api.patch(f"/contacts/{contact['id']}", json={"portal_access": False, "version": contact["version"]})
    bearer = {"Authorization": f"Bearer {session['access_token']}"}
    assert (await api.get("/engagements", None, headers=bearer)).status_code == 401
    on = await api.patch(f"/contacts/{contact['id']}", json={"portal_access": True, "version": off.json()["version"]})
    assert on.status_code == 200
    # The old session stays ended; a new sign-in works and is recorded.
    assert (await api.get("/engagements", None, headers=bearer)).status_code == 401
    token = await request_link_token(api, smtp_server, EMAIL)
    assert (await api.post("/portal/sessions", None, json={"token": token})).status_code == 200
    async with api.engine.connect() as conn:
        actions = (
            (await conn.execute(text("SELECT action FROM audit_events WHERE entity_type = 'user' ORDER BY id")))
            .scalars()
            .all()
        )
    assert "portal_access_ended" in actions and "portal_access_restored" in actions


async def test_an_admin_confirming_a_system_deactivation_makes_it_the_admins(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    token = await request_link_token(api, smtp_server, EMAIL)
    user = (await api.post("/portal/sessions", None, json={"token": token})).json()["user"]
    contact = world["contact"]
    off = await api.patch(f"/contacts/{contact['id']}", json={"portal_access": False, "version": contact["version"]})
    row = (await api.get(f"/users/{user['id']}", "admin")).json()
    assert (row["is_active"], row["deactivated_by"]) == (False, "system")
    confirmed = await api.patch(f"/users/{user['id']}", "admin", json={"is_active": False, "version": row["version"]})
    assert confirmed.status_code == 200 and confirmed.json()["deactivated_by"] == "admin"
    await api.patch(f"/contacts/{contact['id']}", json={"portal_access": True, "version": off.json()["version"]})
    before = len(smtp_server.messages)
    await api.post("/portal/login-links", None, json={"email": EMAIL})
    await api.run_jobs(smtp_url=smtp_server.url)
    assert len(smtp_server.messages) == before
    assert (await api.get(f"/users/{user['id']}", "admin")).json()["is_active"] is False


async def test_no_session_opened_around_a_deactivation_comes_back_with_the_reactivation(api: Api) -> None:
    user_id = api.users["consultant"]
    row = (await api.get(f"/users/{user_id}", "admin")).json()
    logins = [
        api.post("/auth/login", None, json={"email": "consultant@example.de", "password": PASSWORD}) for _ in range(8)
    ]
    deactivation = api.patch(f"/users/{user_id}", "admin", json={"is_active": False, "version": row["version"]})
    *answers, off = await asyncio.gather(*logins, deactivation)
    assert off.status_code == 200
    tokens = [a.json()["access_token"] for a in answers if a.status_code == 200]
    row = (await api.get(f"/users/{user_id}", "admin")).json()
    assert (
        await api.patch(f"/users/{user_id}", "admin", json={"is_active": True, "version": row["version"]})
    ).status_code == 200
    for token in [*tokens, api.tokens["consultant"]]:
        assert (await api.get("/clients", None, headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_archiving_the_client_while_links_are_redeemed_leaves_nobody_signed_in(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    for round_ in range(4):  # the race is narrow: several rounds, each with a client of its own
        email = f"eva{round_}@alpha.de"
        world = await portal_world(api, f"Alpha {round_} GmbH", email)
        for n in range(8):
            async with browser(api, f"203.0.113.{50 + n}") as other:
                assert (await other.post("/api/v1/portal/login-links", json={"email": email})).status_code == 202
        before = len(smtp_server.messages)
        await api.run_jobs(smtp_url=smtp_server.url)
        links = (LOGIN_LINK.search(text_of(mail)) for mail in smtp_server.messages[before:])
        redeems = [api.post("/portal/sessions", None, json={"token": m.group(1)}) for m in links if m]
        *sessions, archived = await asyncio.gather(*redeems, api.delete(f"/clients/{world['client']['id']}"))
        assert archived.status_code == 204
        for answer in sessions:
            if answer.status_code == 200:
                bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
                assert (await api.get("/engagements", None, headers=bearer)).status_code == 401, round_
    users = (await api.get("/users", "admin", params={"role": "client"})).json()["items"]
    assert not any(u["is_active"] for u in users)
