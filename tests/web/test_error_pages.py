"""A browser that opens a page it may not see, or one that is not there, gets a page in the
person's language with a way back; programs keep the problem details."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import make_client, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


async def test_the_team_gets_a_page_for_what_is_missing_or_not_theirs(api: Api) -> None:
    await sign_in(api)  # a consultant
    forbidden = await api.http.get("/erasures/1", headers=HTML)
    assert forbidden.status_code == 403 and forbidden.headers["content-type"].startswith("text/html")
    assert "Keine Berechtigung" in forbidden.text and 'href="/"' in forbidden.text
    assert "Abmelden" in forbidden.text or "logout" in forbidden.text  # the team's header stays

    missing = await api.http.get("/clients/987654", headers=HTML)
    assert missing.status_code == 404 and "Nicht gefunden" in missing.text

    # A program (no HTML asked for), a form's POST and the API answer problem details.
    plain = await api.http.get("/clients/987654")
    assert plain.status_code == 404 and plain.headers["content-type"].startswith("application/problem+json")
    assert (
        (await api.http.get("/api/v1/clients/987654", headers=HTML))
        .headers["content-type"]
        .startswith("application/problem+json")
    )


async def test_english_and_signed_out_visitors_get_their_page(api: Api) -> None:
    await make_client(api)
    gone = await api.http.get("/clients/987654", headers={**HTML, "Accept-Language": "en"})
    # Signed out: the sign-in page first, as before.
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    await sign_in(api)
    english = await api.http.get("/clients/987654?lang=en", headers=HTML)
    assert english.status_code == 404 and "Not found" in english.text, english.text[:300]


async def test_a_client_gets_the_portals_page(api: Api, smtp_server) -> None:
    from tests.portal_helpers import portal_sign_in

    client = await make_client(api)
    await api.create(
        "contacts",
        {"client_id": client["id"], "name": "Eva Berg", "email": "eva@kunde.de", "portal_access": True},
    )
    await portal_sign_in(api, smtp_server, "eva@kunde.de")
    missing = await api.http.get("/portal/engagements/987654", headers=HTML)
    assert missing.status_code == 404 and 'href="/portal"' in missing.text and "Nicht gefunden" in missing.text
    assert "portal" in missing.text
