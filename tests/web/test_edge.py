"""The edge of the app as an attacker meets it: cross-site requests, media types, security
headers, NUL characters, deep JSON, lax types and calendar edges get a 4xx problem, never a 5xx."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from backend.kernel.logs import JsonFormatter
from tests.conftest import PASSWORD, Api
from tests.factories import make_client, make_engagement, proposable_engagement
from tests.portal_helpers import CSRF, generate_and_release, portal_world
from tests.smtp_server import SmtpTestServer

PAGE_CSP = re.compile(r"script-src 'self';")


async def _cookie_session(api: Api) -> None:
    response = await api.post("/auth/login", None, json={"email": "consultant@example.de", "password": PASSWORD})
    assert response.status_code == 200 and "desk_token" in api.http.cookies


async def test_cookie_signed_api_writes_from_another_site_are_refused(api: Api) -> None:
    await _cookie_session(api)
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    forged = await api.http.post("/api/v1/clients", content=b'{"name": "Evil GmbH"}', headers=evil)
    assert forged.status_code == 403 and forged.json()["type"] == "/problems/cross-site"
    forged_json = await api.http.post(
        "/api/v1/clients", json={"name": "Evil GmbH"}, headers={"Origin": "https://evil.example"}
    )
    assert forged_json.status_code == 403
    cross_site = await api.http.post(
        "/api/v1/clients", json={"name": "Evil GmbH"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    plain = await api.http.post(
        "/api/v1/clients",
        content=b'{"name": "Plain GmbH"}',
        headers={"Content-Type": "text/plain", "Origin": "https://testserver.local"},
    )
    assert plain.status_code == 415 and plain.headers["content-type"] == "application/problem+json"
    own = await api.http.post(
        "/api/v1/clients",
        json={"name": "Eigene GmbH"},
        headers={"Origin": "https://testserver.local", "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 201
    assert [c["name"] for c in (await api.get("/clients")).json()["items"]] == ["Eigene GmbH"]


async def test_bearer_clients_are_not_subject_to_the_origin_check_but_must_send_json(api: Api) -> None:
    ok = await api.post("/clients", json={"name": "Script GmbH"}, headers={"Origin": "https://elsewhere.example"})
    assert ok.status_code == 201
    form = await api.post(
        "/clients", content=b"name=Form+GmbH", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    bodyless = await api.post("/auth/logout")
    assert bodyless.status_code == 204


async def test_security_headers_on_pages_portal_api_errors_and_pdfs(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", "eva@alpha.de")
    share = await api.post(f"/documents/{world['proposal']['id']}/share-links", json={"valid_days": 3})
    answers = {
        "page": await api.http.get("/login"),
        "portal": await api.http.get("/portal/login"),
        "api": await api.get("/clients"),
        "not found": await api.http.get("/nowhere"),
        "405": await api.http.delete("/api/v1/auth/login"),
        "pdf": await api.http.get(share.json()["url"].split("testserver.local", 1)[-1]),
    }
    for name, answer in answers.items():
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", name
        assert headers["x-frame-options"] == "DENY", name
        assert headers["referrer-policy"] == "same-origin", name
        assert "frame-ancestors 'none'" in headers["content-security-policy"], name
        assert "x-request-id" in headers, name
    for name in ("page", "portal"):
        policy = answers[name].headers["content-security-policy"]
        assert PAGE_CSP.search(policy) and "unsafe-inline" not in policy.split("style-src")[0], policy
        assert (
            "<script>" not in answers[name].text and " on" not in re.sub(r"\s+", " ", answers[name].text).split(">")[0]
        )
    assert answers["pdf"].headers["content-type"] == "application/pdf"
    for name in ("page", "portal", "api"):
        assert answers[name].headers["cache-control"] == "no-store", name
    login = await api.post("/auth/login", None, json={"email": "consultant@example.de", "password": PASSWORD})
    assert login.headers["cache-control"] == "no-store"
    static = await api.http.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert answers["page"].headers["strict-transport-security"].startswith("max-age=")


async def test_no_page_has_inline_script_or_handlers(api: Api) -> None:
    from pathlib import Path

    templates = list((Path(__file__).resolve().parents[2] / "backend" / "web" / "templates").rglob("*.html"))
    # Every page template there is: the folder was found (an empty list would check nothing).
    assert {"base.html", "dashboard.html", "login.html"} <= {t.name for t in templates}
    for template in templates:
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template


async def test_deep_json_is_a_400_without_a_traceback(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    deep = b"[" * 1000 + b"]" * 1000
    for path, who in (
        ("/auth/login", None),
        ("/portal/sessions", None),
        ("/clients", "consultant"),
        ("/portal/login-links", None),
    ):
        response = await api.post(path, who, content=deep, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["detail"] == "The JSON body is nested too deeply."
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/share-links", "GET, OPTIONS"),
        ("/share-links/1/revoke", "OPTIONS, POST"),
        ("/documents/1/release", "OPTIONS, POST"),
        ("/documents/1/share-links", "OPTIONS, POST"),
        ("/clients", "GET, OPTIONS, POST"),
        ("/clients/1", "DELETE, GET, OPTIONS, PATCH"),
        ("/documents/1/render", "OPTIONS, POST"),
    ],
)
async def test_options_answers_with_the_allowed_methods(api: Api, path: str, allow: str) -> None:
    response = await api.http.options(f"/api/v1{path}")
    assert (response.status_code, response.headers["allow"]) == (204, allow), response.text


async def test_nul_characters_are_refused_before_the_database(api: Api, smtp_server: SmtpTestServer) -> None:
    for path in (
        "/clients?city=a%00b",
        "/audit-events?entity_type=a%00b",
        "/documents?iso_week=2026%00",
        "/jobs/abc%00def",
    ):
        response = await api.http.get(f"/api/v1{path}", headers=api.auth())
        assert response.status_code == 400, (path, response.text)
        assert response.json()["type"] == "/problems/bad-request"
    page = await api.http.get("/login")
    token = CSRF.search(page.text).group(1)
    login = await api.http.post("/login", data={"email": "a\x00b@example.de", "password": "x", "_csrf_token": token})
    assert login.status_code == 400
    await api.post("/auth/login", None, json={"email": "consultant@example.de", "password": PASSWORD})
    search = await api.http.get("/clients?q=M%00ller")
    assert search.status_code == 400
    portal = await api.http.post("/portal/login", data={"email": "x\x00@y.de", "_csrf_token": token})
    assert portal.status_code == 400


async def test_dates_beyond_the_calendar_and_numbers_for_dates_are_refused(api: Api) -> None:
    client = await make_client(api)
    for day in ("0001-01-01", "9999-12-31", "1989-12-31", "2100-01-01"):
        response = await api.post(
            "/engagements",
            json={
                "client_id": client["id"],
                "title": "T",
                "start_date": day,
                "duration_weeks": 8,
                "fixed_fee": "1",
            },
        )
        assert response.status_code == 422, (day, response.text)
        assert response.json()["errors"][0]["path"] == "body.start_date"
    engagement = await make_engagement(api, client["id"])
    base = {
        "engagement_id": engagement["id"],
        "kind": "kickoff",
        "title": "Kickoff",
        "starts_at": "2026-11-03T09:00:00+01:00",
        "ends_at": "2026-11-03T12:00:00+01:00",
    }
    for starts_at in (0, 1767225600, "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00+00:00"):
        response = await api.post("/workshops", json=base | {"starts_at": starts_at})
        assert response.status_code == 422, (starts_at, response.text)
    patched = await api.patch(
        f"/engagements/{engagement['id']}", json={"start_date": "9999-12-31", "version": engagement["version"]}
    )
    assert patched.status_code == 422
    page = await api.http.get(f"/engagements/{engagement['id']}", headers=api.auth())
    assert page.status_code in (200, 303)


async def test_request_bodies_are_strict_about_json_types(api: Api) -> None:
    client = await make_client(api)
    base = {
        "client_id": client["id"],
        "title": "T",
        "start_date": "2026-11-02",
        "duration_weeks": 8,
        "fixed_fee": "1000.00",
    }
    for field, value in (
        ("duration_weeks", "8"),
        ("duration_weeks", True),
        ("duration_weeks", 8.0),
        ("client_id", "1"),
        ("review_before_send", 0),
        ("review_before_send", "true"),
        ("fixed_fee", 0),
        ("fixed_fee", 1000.5),
        ("title", 5),
    ):
        response = await api.post("/engagements", json=base | {field: value})
        assert response.status_code == 422, (field, value, response.text)
        assert f"body.{field}" in {e["path"] for e in response.json()["errors"]}, (field, response.json())
    ok = await api.post("/engagements", json=base | {"review_before_send": True, "fixed_fee": "1000.5"})
    assert ok.status_code == 201 and ok.json()["fixed_fee"] == "1000.50"
    contact = await api.post(
        "/contacts", json={"client_id": client["id"], "name": "X", "email": "x@y.de", "portal_access": 1}
    )
    assert contact.status_code == 422


async def test_a_csrf_refusal_is_logged_as_such_with_its_request_id(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="desk.access")
    refused = await api.http.post("/login", data={"email": "a@b.de", "password": "x"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    rid = refused.headers["x-request-id"]
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "desk.access"]
    assert [(line["status"], line["request_id"]) for line in lines] == [(403, rid)]


async def test_released_documents_stay_downloadable(api: Api, smtp_server: SmtpTestServer) -> None:
    # The release path still works behind the edge checks (bodiless POSTs are not JSON bodies).
    client = await make_client(api)
    engagement = await proposable_engagement(api, client["id"])
    document = await generate_and_release(api, engagement["id"])
    assert document["sent_at"] is not None


async def test_paths_are_checked_in_their_one_plain_spelling(api: Api) -> None:
    await _cookie_session(api)
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    for path in ("//api/v1/clients", "/api//v1/clients", "/api/./v1/clients", "/api/v1/../v1/clients"):
        status = await _raw_status(api.app, "POST", path, evil | {"Cookie": f"desk_token={api.tokens['consultant']}"})
        assert status == 404, (path, status)
    assert (await api.get("/clients")).json()["total"] == 0


async def test_a_malformed_cookie_does_not_hide_the_session_cookie(api: Api) -> None:
    token = api.tokens["consultant"]
    for cookies in (f"a b=1; desk_token={token}", f'x="; desk_token={token}'):
        forged = await api.http.post(
            "/api/v1/clients", json={"name": "Evil GmbH"}, headers={"Cookie": cookies, "Origin": "https://evil.example"}
        )
        assert forged.status_code == 403, (cookies, forged.status_code)


async def test_multipart_bodies_are_refused(api: Api) -> None:
    page = await api.http.get("/login")
    token = CSRF.search(page.text).group(1)
    for path in ("/login", "/api/v1/auth/login", "/portal/login"):
        response = await api.http.post(
            path, files={"email": (None, "a\x00b@example.de")}, data={"_csrf_token": token, "password": "x"}
        )
        assert response.status_code == 415, (path, response.status_code)


async def test_odd_characters_in_tokens_and_cookies_are_refused_not_crashed(api: Api) -> None:
    assert (await api.http.get("/s/1.2.%C3%A9")).status_code == 401
    assert (await api.http.get("/s/%C2%B2.1.abc")).status_code == 401
    for path in ("/api/v1/auth/login", "/api/v1/portal/login-links"):
        body = {"email": "consultant@example.de", "password": "x"} if "auth" in path else {"email": "a@b.de"}
        response = await api.http.post(path, json=body, headers={"Cookie": "desk_device=ab.\u00e9\u00e9".encode()})
        # The password is wrong (401); a link request is taken whoever asks (202).
        assert response.status_code == (401 if "auth" in path else 202), (path, response.status_code, response.text)


async def test_numbers_beyond_32_bits_are_refused(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    pilot = await api.create("pilots", {"engagement_id": engagement["id"], "title": "P"})
    for body in ({"baseline_sample_size": 2**31}, {"baseline_sample_size": 2**63}):
        response = await api.post("/kpis", json={"pilot_id": pilot["id"], "name": "Zeit", "unit": "minutes"} | body)
        assert response.status_code == 422, response.text
    response = await api.patch(f"/engagements/{engagement['id']}", json={"title": "X", "version": 2**40})
    assert response.status_code == 422


async def test_an_exhausted_connection_pool_is_a_503() -> None:
    from litestar import Litestar, get
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from backend.kernel.errors import exception_handlers

    @get("/busy")
    async def busy() -> None:
        raise PoolTimeout("QueuePool limit of size 10 overflow 10 reached")

    from httpx import ASGITransport, AsyncClient

    app = Litestar([busy], exception_handlers=exception_handlers)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/busy")
    assert (response.status_code, response.headers["retry-after"]) == (503, "1")


async def _raw_status(
    app: Any, method: str, path: str, headers: dict[str, str], repeated: list[tuple[str, str]] | None = None
) -> int:
    """The status of an ASGI call with the path exactly as written (HTTP clients tidy paths up)."""
    body = b'{"name": "Evil GmbH"}'
    sent: dict[str, int] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (repeated or list(headers.items()))]
        + [(b"host", b"testserver.local"), (b"content-length", str(len(body)).encode())]
        + ([(b"content-type", b"application/json")] if repeated else []),
        "client": ("127.0.0.1", 1234),
        "server": ("testserver.local", 443),
    }
    await app(scope, receive, send)
    return sent["status"]


async def test_an_oversized_form_is_refused_before_it_is_read_whole(api: Api) -> None:
    response = await api.http.post(
        "/login",
        content=b"email=" + b"a" * (1024 * 1024 + 10),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413 and response.json()["type"] == "/problems/too-large"


async def test_a_deadlock_is_a_409_to_send_again() -> None:
    from httpx import ASGITransport, AsyncClient
    from litestar import Litestar, get
    from sqlalchemy.exc import OperationalError

    from backend.kernel.errors import exception_handlers

    class Deadlock(Exception):
        sqlstate = "40P01"

    @get("/both")
    async def both() -> None:
        raise OperationalError("UPDATE users …", {}, Deadlock("deadlock detected"))

    app = Litestar([both], exception_handlers=exception_handlers)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/both")
    assert response.status_code == 409 and response.json()["type"] == "/problems/concurrent-change"


async def test_repeated_or_empty_headers_do_not_get_past_the_cross_site_check(api: Api) -> None:
    token = api.tokens["consultant"]
    attempts = [
        [("cookie", f"desk_token={token}"), ("cookie", "other=1"), ("origin", "https://evil.example")],
        [("cookie", f"desk_token={token}"), ("origin", "https://evil.example"), ("origin", "https://testserver.local")],
        [("cookie", f"desk_token={token}"), ("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-origin")],
        [("cookie", f"desk_token={token}"), ("authorization", ""), ("origin", "https://evil.example")],
        # "Bearer" with no token after it: Litestar signs the request in by the cookie.
        [("cookie", f"desk_token={token}"), ("authorization", "Bearer "), ("origin", "https://evil.example")],
        [("cookie", f"desk_token={token}"), ("authorization", "bearer  "), ("origin", "https://evil.example")],
    ]
    for headers in attempts:
        status = await _raw_status(
            api.app, "POST", "/api/v1/clients", dict(headers) | {"content-type": "application/json"}, repeated=headers
        )
        assert status == 403, (headers, status)


async def test_text_that_would_print_as_something_else_is_refused(api: Api) -> None:
    hidden = ["\u200b", "\u200e", "\u2060", "\ufeff", "\u061c", "\u2028", "\u202e", "\x1b", "\ufffd"]
    for char in hidden:
        answer = await api.post("/clients", json={"name": f"Alpha{char}GmbH"})
        assert answer.status_code == 422, repr(char)
        assert answer.json()["errors"][0]["path"] == "body.name"
    # Joiners that scripts and emoji need stay text.
    assert (await api.post("/clients", json={"name": "Team \U0001f469\u200d\U0001f4bb GmbH"})).status_code == 201


async def test_short_texts_are_one_line_and_prose_keeps_its_lines(api: Api) -> None:
    for broken in ("Alpha\nGmbH", "Alpha\r\nGmbH", "Alpha\tGmbH"):
        answer = await api.post("/clients", json={"name": broken})
        assert answer.status_code == 422, repr(broken)
        error = answer.json()["errors"][0]
        assert error["path"] == "body.name" and "one line" in error["message"]
    client = await api.create("clients", {"name": "Alpha GmbH", "notes": "Erstgespräch:\n- Einkauf\n- Vertrieb"})
    assert client["notes"].count("\n") == 2
    blank = await api.post("/contacts", json={"client_id": client["id"], "name": "   ", "email": "x@alpha.de"})
    assert blank.status_code == 422 and blank.json()["errors"][0]["path"] == "body.name"
    patched = await api.patch(f"/clients/{client['id']}", json={"city": "Ulm\nNeu-Ulm", "version": client["version"]})
    assert patched.status_code == 422 and patched.json()["errors"][0]["path"] == "body.city"


async def test_weeks_are_ascii_and_within_the_years_dates_may_have(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    for week in ("9999-W52", "2100-W01", "1989-W52", "２０２６-W49", "2026-W4９"):
        for answer in (
            await api.post(
                "/status-updates", json={"engagement_id": engagement["id"], "iso_week": week, "rag": "green"}
            ),
            await api.post(
                f"/engagements/{engagement['id']}/documents", json={"kind": "status_report", "iso_week": week}
            ),
            await api.post(f"/engagements/{engagement['id']}/digests", json={"iso_week": week}),
        ):
            assert answer.status_code == 422, (week, answer.status_code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"


async def test_a_transition_reason_is_held_to_its_column(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    long = await api.post(
        f"/engagements/{engagement['id']}/transitions",
        json={"to": "cancelled", "version": engagement["version"], "reason": "x" * 2001},
    )
    assert long.status_code == 422 and long.json()["errors"][0]["path"] == "body.reason"
    assert (await api.get(f"/engagements/{engagement['id']}")).json()["status"] == "draft"


async def test_no_digest_before_the_engagement_starts(api: Api) -> None:
    from datetime import timedelta

    from backend.kernel.time import iso_week, today

    client = await make_client(api)
    start = today() + timedelta(weeks=2)
    engagement = await make_engagement(api, client["id"], start_date=start.isoformat())
    now = await api.post(f"/engagements/{engagement['id']}/digests", json={})
    # The week was not given: the refusal names the request, and when the digests begin.
    assert now.status_code == 422 and now.json()["errors"][0]["path"] == "body"
    assert iso_week(start) in now.json()["errors"][0]["message"]
    named = await api.post(f"/engagements/{engagement['id']}/digests", json={"iso_week": iso_week(today())})
    assert named.status_code == 422 and named.json()["errors"][0]["path"] == "body.iso_week"


def test_a_routine_that_found_nothing_leaves_the_log_alone() -> None:
    import logging

    from backend.kernel.logs import QuietRoutine

    def shown(message: str, name: str = "arq.worker", level: int = logging.INFO) -> bool:
        return QuietRoutine().filter(logging.LogRecord(name, level, "", 0, message, None, None))

    assert not shown("  1.02s → cron:plan_due_webhooks()")
    assert not shown("  0.00s ← cron:plan_due_webhooks ● {'due': 0}")
    assert shown("  0.00s ← cron:plan_due_webhooks ● {'due': 3}")
    assert shown("  0.31s → webhook:7:1 deliver_webhook(7)")
    assert shown("  0.00s ! cron:plan_due_webhooks failed", level=logging.ERROR)
    assert shown("cron:plan_due_webhooks", name="desk.access")
