"""Portal isolation matrix: client A, signed in, can reach nothing of client B by any route.

The routes come from the running app (`app.routes`), so a route added later is tried without
anyone remembering to list it. Every id in a route's path is filled with B's row of the kind
the path names (the segment in front of the parameter); a parameter nobody classified fails
the test. Each method is then called with A's session (bearer token for /api, the portal
cookie plus CSRF field for pages): a route the client role may use must answer 404, a route
whose role guard refuses clients 403 (a page of the team's opened with GET sends the client to
the portal instead: 303), and no answer may carry any of B's names, addresses or titles.
Afterwards B's rows and every table's row count must be exactly as before. The same
routes with A's own ids must work, so the matrix cannot pass by everything being broken.

Separate tests cover the secrets in URLs: sign-in links that were used, have expired or were
altered, a sign-in link of B's contact, and share links that were altered, expired or revoked.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from sqlalchemy import func, select, text, update

from backend.domains.audit.models import AuditEvent
from backend.flows.digests.models import DigestDelivery
from backend.flows.documents.render import RenderPool
from backend.flows.literacy.certificates import issue
from backend.flows.portal.models import LoginLink
from backend.flows.portal.tokens import sign_share
from backend.kernel.db import utcnow
from backend.kernel.enums import Role
from backend.kernel.time import today as berlin_today
from backend.server.tables import metadata
from backend.web.auth import PUBLIC_PATHS
from tests.conftest import Api
from tests.factories import build_client_world, make_client
from tests.portal_helpers import CSRF, deliver, generate_and_release, portal_sign_in, portal_world, request_link_token
from tests.smtp_server import SmtpTestServer

ALPHA, ALPHA_EMAIL = "Alpha Maschinenbau GmbH", "eva@alpha-maschinenbau.de"
BOREALIS, BOREALIS_EMAIL = "Borealis Feinwerk GmbH", "eva@borealis-feinwerk.de"
PARAM = re.compile(r"\{(\w+):(\w+)\}")
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
# They end the very session the matrix runs with; signing out is tested with the pages.
SESSION_ENDERS = frozenset({"/logout", "/portal/logout", "/api/v1/auth/logout"})
# Parameters of public routes that name no row: tokens (see the link tests below), files, languages.
# Portal pages for the client's AI owner only (the register names the staff and their gaps).
AI_OWNER_ONLY = ("/portal/ai-literacy", "/portal/ai-literacy/register", "/ai-literacy-register")
# artefact_id: a file of the guideline the token names (/a/{token}/files/{artefact_id}), no other.
PUBLIC_PARAMS = frozenset({"token", "file_path", "path", "lang", "kind", "artefact_id"})
# The path segment in front of an id parameter names the kind of row it is (the keys of World.ids):
# /engagements/{row_id}/deliverables/{item_id} takes an engagement and a deliverable. A route
# whose id follows any other segment fails the matrix until its kind is added here.
ID_KINDS = frozenset(
    {
        "clients",
        "contacts",
        "readiness-assessments",
        "engagements",
        "status-updates",
        "workshops",
        "workshop-attendees",
        "ideas",
        "pilots",
        "kpis",
        "measurements",
        "timing-rounds",
        "run-costs",
        "deliverables",
        "documents",
        "digest-deliveries",
        "share-links",
        "audit-events",
        "users",
        "jobs",
        "time-entries",
        "cost-rates",
        "invoices",
        "payments",
        "artefacts",
        "participants",
        "ai-systems",
        "ai-system-users",
        "certificates",
        "erasures",
        "legal-holds",
        "sub-processors",
        "privacy-requests",
        "webhook-subscriptions",
        "webhooks",  # the admin page's word for a subscription
        "webhook-deliveries",
    }
)
# Reads of the client's own that the audit log records (a copy of one's personal data).
AUDITED = frozenset({"/portal/my-data/export"})
# Forms of the client's own without an id, which an empty post leaves invalid (a new row each).
NEEDS_INPUT = frozenset({"/portal/my-data/requests"})
# Filters the lists take (a list ignores the ones it lacks): with B's ids they must show nothing of B.
LIST_FILTERS = {
    "client_id": "clients",
    "engagement_id": "engagements",
    "pilot_id": "pilots",
    "kpi_id": "kpis",
    "workshop_id": "workshops",
    "contact_id": "contacts",
    "document_id": "documents",
}


# -- the two worlds --------------------------------------------------------------------------------


@dataclass
class World:
    name: str
    email: str
    ids: dict[str, Any]
    markers: list[str]
    deliverable_version: int
    bearer: str = ""

    def leaked(self, text: str) -> list[str]:
        low = text.lower()
        return [m for m in self.markers if m.lower() in low]


async def client_world(api: Api, name: str, email: str) -> World:
    """A portal client (sent proposal, delivered deliverable) plus one row of every other kind."""
    portal = await portal_world(api, name, email)
    rest = await build_client_world(api, name, client=portal["client"])
    short = name.split()[0]
    # Every title and name of this client carries its short name, so a leak shows up as text.
    renamed: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, row, column in [
        ("engagements", portal["engagement"], "title"),
        ("engagements", rest["engagements"], "title"),
        ("contacts", rest["contacts"], "name"),
        ("workshops", rest["workshops"], "title"),
        ("ideas", rest["ideas"], "title"),
        ("pilots", rest["pilots"], "title"),
        ("kpis", rest["kpis"], "name"),
        ("deliverables", rest["deliverables"], "title"),
    ]:
        current = (await api.get(f"/{kind}/{row['id']}")).json()
        response = await api.patch(
            f"/{kind}/{row['id']}", json={column: f"{current[column]} {short}", "version": current["version"]}
        )
        assert response.status_code == 200, (kind, response.text)
        renamed[(kind, row["id"])] = response.json()
    artefact = await api.post(
        f"/deliverables/{portal['deliverable']['id']}/artefacts",
        files={"file": (f"Leitlinie {short}.txt", f"Leitlinie {short}".encode())},
    )
    assert artefact.status_code == 201, artefact.text
    current_deliverable = (await api.get(f"/deliverables/{portal['deliverable']['id']}")).json()
    delivered = await deliver(api, current_deliverable)
    # The renamed engagement is a changed offer: the client gets (and can accept) a new version.
    proposal = await generate_and_release(api, portal["engagement"]["id"])
    link = await api.post(f"/documents/{proposal['id']}/share-links", json={"valid_days": 7})
    assert link.status_code == 201, link.text
    released = await api.post(f"/documents/{proposal['id']}/release")  # again: only for a real job id
    assert released.status_code == 202, released.text
    async with api.app.state.session_maker() as session:
        delivery = DigestDelivery(
            engagement_id=portal["engagement"]["id"],
            iso_week="2026-W48",
            contact_id=portal["contact"]["id"],
            email=email,
            language="de",
            status="sent",
        )
        session.add(delivery)
        await session.commit()
    async with api.engine.connect() as conn:
        audit_id = (
            await conn.execute(
                select(AuditEvent.id).where(
                    AuditEvent.entity_type == "client", AuditEvent.entity_id == portal["client"]["id"]
                )
            )
        ).scalar()
    assert audit_id is not None
    # Cost rates belong to no client: one per world, on a day of its own (one rate per day).
    rate = await api.create(
        "cost-rates",
        {
            "user_id": api.users["consultant"],
            "valid_from": str(date(2026, 1, 1) + timedelta(days=portal["client"]["id"])),
            "hourly_cost": "80.00",
        },
        "admin",
    )
    invoice = await mailed_invoice(api, portal["client"], portal["engagement"]["id"])
    certificate = await issued_certificate(api, rest["engagements"]["id"], rest["participants"]["id"])
    gone = await api.create(
        "contacts", {"client_id": portal["client"]["id"], "name": "Ex Kontakt", "email": f"ex.{email}"}
    )
    erased = await api.post(f"/contacts/{gone['id']}/erase", "admin", json={"reason": "Art. 17", "confirm": True})
    hold = {
        "entity_type": "engagements",
        "entity_id": portal["engagement"]["id"],
        "reason": "Streit",
        "kept_until": "2099-12-31",
    }
    hook = await api.post(
        "/webhook-subscriptions",
        "admin",
        json={"url": f"https://hooks.example.de/{short}", "events": ["invoice.issued"], "active": False},
    )
    async with api.engine.begin() as conn:  # a finished delivery: no job moves it while the matrix runs
        sent = await conn.execute(
            text(
                "INSERT INTO webhook_deliveries (subscription_id, message_id, event, payload, status, attempts,"
                " created_at) VALUES (:s, :m, 'webhook.test', '{}', 'failed', 8, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"s": hook.json()["id"], "m": f"msg_{short}"},
        )
        delivery_id = sent.scalar_one()
    ids = {
        "webhook-subscriptions": hook.json()["id"],
        "webhooks": hook.json()["id"],
        "webhook-deliveries": delivery_id,
        "erasures": erased.json()["erasure_id"],
        "legal-holds": (await api.post("/legal-holds", "admin", json=hold)).json()["id"],
        "privacy-requests": (
            await api.create(
                "privacy-requests",
                {
                    "subject_kind": "contact",
                    "subject_id": portal["contact"]["id"],
                    "right": "access",
                    "channel": "email",
                    "note": f"Auskunft {name}",
                },
            )
        )["id"],
        "certificates": certificate,
        "artefacts": artefact.json()["id"],
        "invoices": invoice["id"],
        "payments": invoice["payment_id"],
        "clients": portal["client"]["id"],
        "contacts": portal["contact"]["id"],
        "readiness-assessments": rest["readiness-assessments"]["id"],
        "participants": rest["participants"]["id"],
        "ai-systems": rest["ai-systems"]["id"],
        "ai-system-users": rest["ai-system-users"]["id"],
        "engagements": portal["engagement"]["id"],
        "status-updates": rest["status-updates"]["id"],
        "workshops": portal["workshop"]["id"],
        "workshop-attendees": rest["workshop-attendees"]["id"],
        "ideas": rest["ideas"]["id"],
        "pilots": rest["pilots"]["id"],
        "kpis": rest["kpis"]["id"],
        "sub-processors": rest["sub-processors"]["id"],
        "measurements": rest["measurements"]["id"],
        "timing-rounds": rest["timing-rounds"]["id"],
        "run-costs": rest["run-costs"]["id"],
        "deliverables": delivered["id"],
        "documents": proposal["id"],
        "digest-deliveries": delivery.id,
        "share-links": link.json()["id"],
        "audit-events": audit_id,
        "jobs": released.json()["job_id"],
        "time-entries": rest["time-entries"]["id"],
        "cost-rates": rate["id"],
        "users": None,  # the portal user exists from the first sign-in on
    }
    markers = [
        invoice["number"],
        short,
        name,
        email,
        portal["contact"]["name"],
        rest["contacts"]["email"],
        portal["deliverable"]["title"],
        portal["workshop"]["title"],
        *(row.get("title") or row["name"] for row in renamed.values()),
    ]
    return World(name, email, ids, sorted(set(markers)), deliverable_version=delivered["version"])


async def mailed_invoice(api: Api, client: dict[str, Any], engagement_id: int) -> dict[str, Any]:
    """An issued invoice of the client, mailed to it (as the mail job marks it), partly paid."""
    current = (await api.get(f"/clients/{client['id']}")).json()
    address = {"street": "Weg 1", "postal_code": "10115", "city": "Berlin", "invoice_email": "rechnung@example.de"}
    assert (
        await api.patch(f"/clients/{client['id']}", json=address | {"version": current["version"]})
    ).status_code == 200
    body = {
        "engagement_id": engagement_id,
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
        "lines": [{"description": "Beratung", "quantity": "1", "unit": "DAY", "unit_price": "1000"}],
    }
    made = (await api.post("/invoices", json=body)).json()
    issued = await api.post(f"/invoices/{made['id']}/issue", json={"version": made["version"]})
    assert issued.status_code == 200, issued.text
    async with api.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE invoices SET status = 'sent', sent_at = CURRENT_TIMESTAMP, version = version + 1 WHERE id = :id"
            ),
            {"id": made["id"]},
        )
    payment = await api.post(
        f"/invoices/{made['id']}/payments",
        json={"paid_on": str(berlin_today()), "amount": "100.00", "version": issued.json()["version"] + 1},
    )
    assert payment.status_code == 201, payment.text
    return issued.json() | {"payment_id": payment.json()["id"]}


async def redeem_bearer(api: Api, smtp: SmtpTestServer, world: World) -> None:
    """A's (or B's) API session from an emailed link; also records the portal user's id."""
    token = await request_link_token(api, smtp, world.email)
    response = await api.post("/portal/sessions", None, json={"token": token})
    assert response.status_code == 200, response.text
    world.bearer = response.json()["access_token"]
    world.ids["users"] = response.json()["user"]["id"]


# -- the routes, from the app ----------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    path: str  # the template, e.g. /api/v1/deliverables/{row_id:int}/sign-off
    method: str
    kinds: tuple[str, ...]  # the kind of row each path parameter names, in order
    client_may_call: bool  # False: a role guard refuses clients before any lookup

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    def fill(self, ids_per_param: tuple[Any, ...]) -> str:
        values = iter(ids_per_param)
        return PARAM.sub(lambda _: str(next(values)), self.path)


def allowed_roles(handler: HTTPRouteHandler) -> frozenset[Role]:
    allowed = frozenset(Role)
    for guard in handler.resolve_guards():
        fn = getattr(guard, "func", guard)
        roles = inspect.getclosurevars(fn).nonlocals.get("roles")
        assert isinstance(roles, frozenset), f"guard {fn!r} of {handler} is not a role guard: classify it here"
        allowed &= roles
    return allowed


def is_public(path: str, handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("exclude_from_auth")) or any(re.search(p, path) for p in PUBLIC_PATHS)


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every method of every route that needs a session, with the kinds of its path ids."""
    found: list[Endpoint] = []
    unmapped: list[str] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            methods = sorted(set(handler.http_methods) - IGNORED_METHODS)
            if not methods or route.path in SESSION_ENDERS:
                continue
            if is_public(route.path, handler):
                # Reachable without a session anyway, so they must name no row (tokens: see below).
                names = {name for name, _ in PARAM.findall(route.path)}
                assert names <= PUBLIC_PARAMS, f"public route with an id parameter: {route.path}"
                continue
            segments = route.path.split("/")
            kinds = tuple(segments[i - 1] for i, segment in enumerate(segments) if PARAM.fullmatch(segment))
            unmapped += [f"{route.path} (after '{kind}')" for kind in kinds if kind not in ID_KINDS]
            client = Role.client in allowed_roles(handler)
            found += [Endpoint(route.path, method, kinds, client) for method in methods]
    assert not unmapped, f"path parameters of unknown kind, add them to ID_KINDS: {unmapped}"
    return found


async def issued_certificate(api: Api, engagement_id: int, participant_id: int) -> int:
    """A certificate of a workshop that ended an hour ago, issued as the job issues it."""
    start = datetime.now(UTC) - timedelta(hours=3)
    workshop = await api.create(
        "workshops",
        {"engagement_id": engagement_id, "kind": "enablement", "title": "KI-Grundlagen", "topics": ["ai_basics"],
         "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    entries = [{"participant_id": participant_id, "status": "present"}]
    assert (await api.put(f"/workshops/{workshop['id']}/attendance", json={"entries": entries})).status_code == 200
    pool = RenderPool(threads=1, name="isolation-certificate")
    try:
        await issue(api.app.state.session_maker, api.app.state.settings, pool, workshop["id"], "de")
    finally:
        pool.close()
    return (await api.get(f"/workshops/{workshop['id']}/certificates")).json()[0]["id"]


def variants(ep: Endpoint, a: World, b: World) -> list[tuple[Any, ...]]:
    """All of B's ids, and for routes with several ids each of B's ids among A's."""
    b_ids = tuple(b.ids[k] for k in ep.kinds)
    mixed = [tuple(b.ids[k] if i == j else a.ids[k] for j, k in enumerate(ep.kinds)) for i in range(len(ep.kinds))]
    return [b_ids, *(m for m in mixed if len(ep.kinds) > 1)]


def body(ep: Endpoint, target: World, signer: World) -> dict[str, Any]:
    """A body that passes validation, so only the lookup can refuse: decisions need real values."""
    last = ep.path.rsplit("/", 1)[-1]
    if last in ("acceptance", "accept", "approval", "approve", "dpa-acceptance", "accept-dpa"):
        return {"typed_name": f"Eva {signer.name.split()[0]}", "confirmed": True}
    if last in ("dpa-objection", "object-dpa"):
        return {"reason": "Kein weiterer Anbieter"}
    if last == "decline":
        return (
            {"reason": "Nicht so", "change_request": True} if ep.is_api else {"reason": "Nicht so", "answer": "decline"}
        )
    if last == "dispute":
        return {"lines": [{"position": 1, "reason": "Stimmt nicht"}]} if ep.is_api else {"reason_1": "Stimmt nicht"}
    if last == "sign-off":
        return {"decision": "accept", "version": target.deliverable_version}
    return {}


@dataclass
class Caller:
    api: Api
    bearer: str
    csrf: str
    failures: list[str] = field(default_factory=list)

    async def __call__(self, ep: Endpoint, path: str, data: dict[str, Any], **params: Any) -> Response:
        """A's bearer token for the API; for pages A's cookie (on the client) and the form's CSRF field."""
        has_body = ep.method not in ("GET", "DELETE")
        if ep.is_api:
            auth = {"Authorization": f"Bearer {self.bearer}"}
            return await self.api.http.request(
                ep.method, path, headers=auth, params=params, **({"json": data} if has_body else {})
            )
        form = {k: ("true" if v is True else str(v)) for k, v in data.items()} | {"_csrf_token": self.csrf}
        return await self.api.http.request(ep.method, path, params=params, **({"data": form} if has_body else {}))

    def check(self, ok: bool, ep: Endpoint, path: str, response: Response, expected: str) -> None:
        if not ok:
            self.failures.append(
                f"{ep.method} {path}: {response.status_code}, expected {expected}: {response.text[:200]}"
            )

    def check_no_trace(self, of: World, ep: Endpoint, path: str, response: Response) -> None:
        found = of.leaked(response.text)
        self.check(not found, ep, path, response, f"no trace of {of.name}, found {found}")


# -- snapshots of B --------------------------------------------------------------------------------


async def row_counts(api: Api) -> dict[str, int]:
    async with api.engine.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
        }


async def rows_of(api: Api, world: World) -> dict[str, Any]:
    """Every row of the world as the team reads it, plus whether its proposal was accepted."""
    seen: dict[str, Any] = {}
    for kind, row_id in world.ids.items():
        if kind in (
            "jobs",
            "payments",
            "artefacts",
            "certificates",
            "webhooks",
        ):  # no route of their own (a job's status,
            # an invoice's payments, a deliverable's artefacts, a certificate's PDF, a subscription's page); the row
            # counts cover them
            continue
        if kind == "share-links":
            response = await api.get("/share-links", params={"document_id": world.ids["documents"]})
        else:
            who = (
                "admin"
                if kind
                in (
                    "users",
                    "audit-events",
                    "cost-rates",
                    "erasures",
                    "legal-holds",
                    "webhook-subscriptions",
                    "webhook-deliveries",
                )
                else "consultant"
            )
            response = await api.get(f"/{kind}/{row_id}", who)
        assert response.status_code == 200, (kind, response.text)
        seen[kind] = response.json()
    seen["acceptance"] = (await api.get(f"/engagements/{world.ids['engagements']}/acceptance")).status_code
    return seen


# -- the matrix ------------------------------------------------------------------------------------


def refused(ep: Endpoint) -> int:
    """How a route refuses a client: a team page opened with GET redirects to the portal."""
    return 303 if ep.method == "GET" and not ep.is_api else 403


async def test_client_a_reaches_nothing_of_client_b(api: Api, smtp_server: SmtpTestServer) -> None:
    a = await client_world(api, ALPHA, ALPHA_EMAIL)
    b = await client_world(api, BOREALIS, BOREALIS_EMAIL)
    await redeem_bearer(api, smtp_server, a)
    await redeem_bearer(api, smtp_server, b)  # B's portal user exists: its id is in the matrix too
    api.http.cookies.clear()  # the API sign-ins set cookies; the pages run with A's own
    call = Caller(api, a.bearer, await portal_sign_in(api, smtp_server, ALPHA_EMAIL))
    me = await api.get("/auth/me", None, headers={"Authorization": f"Bearer {a.bearer}"})
    assert me.json()["client_id"] == a.ids["clients"]
    routes = endpoints(api.app)
    by_id = [ep for ep in routes if ep.kinds]
    # The enumeration itself is checked: the client's own routes must be among those tried.
    tried = {(ep.method, ep.path) for ep in by_id if ep.client_may_call}
    assert {
        ("GET", "/portal/engagements/{row_id:int}"),
        ("GET", "/portal/documents/{row_id:int}"),
        ("POST", "/portal/deliverables/{row_id:int}/sign-off"),
        ("POST", "/api/v1/documents/{row_id:int}/acceptance"),
        ("GET", "/api/v1/engagements/{engagement_id:int}/documents"),
    } <= tried
    assert any(not ep.client_may_call for ep in by_id if not ep.is_api)  # the team's pages are in it too
    counts, before = await row_counts(api), await rows_of(api, b)

    for ep in by_id:
        for ids in variants(ep, a, b):
            path = ep.fill(ids)
            response = await call(ep, path, body(ep, b, a))
            expected = 404 if ep.client_may_call else refused(ep)
            call.check(response.status_code == expected, ep, path, response, str(expected))
            call.check_no_trace(b, ep, path, response)

    # Routes without an id (lists above all), plain and filtered by B's ids.
    b_filters = {name: b.ids[kind] for name, kind in LIST_FILTERS.items()}
    for ep in (ep for ep in routes if not ep.kinds):
        for params in ({}, b_filters) if ep.method == "GET" and ep.is_api else ({},):
            response = await call(ep, ep.path, {}, **params)
            call.check_no_trace(b, ep, ep.path, response)
            if ep.path in AUDITED and response.status_code == 200:
                counts["audit_events"] += 1
            if not ep.client_may_call:
                call.check(response.status_code == refused(ep), ep, ep.path, response, str(refused(ep)))
                continue
            if ep.path.startswith(AI_OWNER_ONLY):  # A's contact is not its AI owner
                call.check(response.status_code == 403, ep, ep.path, response, "403")
                continue
            if ep.path in NEEDS_INPUT:  # an empty form is refused as such (its use: test_privacy_requests)
                call.check(response.status_code == 422, ep, ep.path, response, "422")
                continue
            call.check(response.status_code < 400, ep, ep.path, response, "2xx/3xx")
            kind = ep.path.rsplit("/", 1)[-1]
            if kind in ID_KINDS and response.headers.get("content-type", "").startswith("application/json"):
                listed = {row["id"] for row in response.json()["items"]}
                call.check(b.ids[kind] not in listed, ep, ep.path, response, f"without B's {kind} {b.ids[kind]}")
                if not params:  # A's own row is there: the list works
                    call.check(a.ids[kind] in listed, ep, ep.path, response, f"with A's {kind} {a.ids[kind]}")

    assert not call.failures, "\n".join(call.failures)
    # Nothing of B moved: same rows, same values, no new row anywhere (no acceptance, no share link).
    after = await rows_of(api, b)
    assert after == before
    assert after["engagements"]["status"] == "proposed" and after["acceptance"] == 404
    assert (after["deliverables"]["status"], after["deliverables"]["version"]) == ("delivered", b.deliverable_version)
    assert after["share-links"]["total"] == before["share-links"]["total"]
    assert all(link["revoked_at"] is None for link in after["share-links"]["items"])
    assert await row_counts(api) == counts

    # Positive control: A's own ids open what a client uses; decisions first, then the reads.
    client_routes = [ep for ep in by_id if ep.client_may_call]
    for ep in sorted(client_routes, key=lambda ep: ep.method == "GET"):
        path = ep.fill(tuple(a.ids[k] for k in ep.kinds))
        response = await call(ep, path, body(ep, a, a))
        if ep.path.endswith("/decision"):  # A's document is a proposal: found, but no statement answered
            answered = response.status_code == 404 and "has no answer" in response.text
            call.check(answered, ep, path, response, "A's document found, without an answer")
        elif ep.path.endswith(AI_OWNER_ONLY):  # found, and A's contact is not its AI owner
            call.check(response.status_code == 403, ep, path, response, "403 for a contact not the AI owner")
        elif ep.method == "GET":
            call.check(response.status_code == 200, ep, path, response, "200 with A's own ids")
        else:  # the first decision succeeds, a second one is refused as done (409), never as unknown
            call.check(response.status_code in (200, 201, 303, 409), ep, path, response, "a decision on A's row")
        call.check_no_trace(b, ep, path, response)
    assert not call.failures, "\n".join(call.failures)
    assert (await api.get(f"/engagements/{a.ids['engagements']}")).json()["status"] == "active"
    assert (await api.get(f"/deliverables/{a.ids['deliverables']}")).json()["status"] == "accepted"
    page = await api.http.get(f"/portal/engagements/{a.ids['engagements']}")
    assert page.status_code == 200 and f"Kickoff {ALPHA}" in page.text and not b.leaked(page.text)
    pdf = await api.http.get(f"/portal/documents/{a.ids['documents']}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ics = await api.http.get(f"/portal/workshops/{a.ids['workshops']}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    own = await api.get(f"/engagements/{a.ids['engagements']}", None, headers={"Authorization": f"Bearer {a.bearer}"})
    assert own.status_code == 200 and own.json()["id"] == a.ids["engagements"]


# -- sign-in links ---------------------------------------------------------------------------------


def altered(token: str) -> list[str]:
    """The token with its last, and with its middle character changed."""

    def change(i: int) -> str:
        return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]

    return [change(len(token) - 1), change(len(token) // 2)]


async def refused_everywhere(api: Api, token: str, status: int, csrf: str, name: str) -> None:
    """API, confirm page and sign-in form all refuse the token with `status`, naming nobody."""
    cookies_before = dict(api.http.cookies)
    redeem = await api.post("/portal/sessions", None, json={"token": token})
    page = await api.http.get(f"/portal/login/{token}")
    form = await api.http.post(f"/portal/login/{token}", data={"_csrf_token": csrf})
    assert [redeem.status_code, page.status_code, form.status_code] == [status] * 3, (token, redeem.text)
    assert redeem.headers["content-type"] == "application/problem+json"
    assert all(name not in r.text for r in (redeem, page, form))
    assert dict(api.http.cookies) == cookies_before  # no session was handed out


async def test_sign_in_links_used_expired_or_altered_are_refused(api: Api, smtp_server: SmtpTestServer) -> None:
    client = await make_client(api, ALPHA)
    await api.create(
        "contacts", {"client_id": client["id"], "name": "Eva Alpha", "email": ALPHA_EMAIL, "portal_access": True}
    )
    used = await request_link_token(api, smtp_server, ALPHA_EMAIL)
    first = await api.post("/portal/sessions", None, json={"token": used})
    assert first.status_code == 200 and first.json()["user"]["client_id"] == client["id"]
    api.http.cookies.clear()
    csrf = CSRF.search((await api.http.get("/portal/login")).text).group(1)
    await refused_everywhere(api, used, 410, csrf, ALPHA)

    genuine = await request_link_token(api, smtp_server, ALPHA_EMAIL)
    for forged in altered(genuine):
        assert forged != genuine and len(forged) == len(genuine)
        await refused_everywhere(api, forged, 401, csrf, ALPHA)
    # The altered copies used nothing up: the genuine link still signs in, through the pages.
    signed_in = await api.http.post(f"/portal/login/{genuine}", data={"_csrf_token": csrf})
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/portal"
    api.http.cookies.clear()
    csrf = CSRF.search((await api.http.get("/portal/login")).text).group(1)

    expired = await request_link_token(api, smtp_server, ALPHA_EMAIL)
    async with api.engine.begin() as conn:
        changed = await conn.execute(
            update(LoginLink).where(LoginLink.used_at.is_(None)).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert changed.rowcount == 1
    await refused_everywhere(api, expired, 410, csrf, ALPHA)


async def test_b_sign_in_link_opens_only_b(api: Api, smtp_server: SmtpTestServer) -> None:
    a, b = await portal_world(api, ALPHA, ALPHA_EMAIL), await portal_world(api, BOREALIS, BOREALIS_EMAIL)
    token = await request_link_token(api, smtp_server, BOREALIS_EMAIL)
    confirm = await api.http.get(f"/portal/login/{token}")
    assert confirm.status_code == 200 and BOREALIS in confirm.text and "Alpha" not in confirm.text
    csrf = CSRF.search(confirm.text).group(1)
    assert (await api.http.post(f"/portal/login/{token}", data={"_csrf_token": csrf})).status_code == 303
    home = await api.http.get("/portal")
    assert home.status_code == 303 and home.headers["location"] == f"/portal/engagements/{b['engagement']['id']}"
    own = await api.http.get(home.headers["location"])
    assert own.status_code == 200 and b["deliverable"]["title"] in own.text and "Alpha" not in own.text
    for path in (
        f"/portal/engagements/{a['engagement']['id']}",
        f"/portal/documents/{a['proposal']['id']}",
        f"/portal/workshops/{a['workshop']['id']}/calendar.ics",
    ):
        other = await api.http.get(path)
        assert other.status_code == 404 and "Alpha" not in other.text, path

    second = await request_link_token(api, smtp_server, BOREALIS_EMAIL)
    session = await api.post("/portal/sessions", None, json={"token": second})
    assert session.status_code == 200
    user = session.json()["user"]
    assert (user["role"], user["client_id"], user["contact_id"]) == ("client", b["client"]["id"], b["contact"]["id"])
    bearer = {"Authorization": f"Bearer {session.json()['access_token']}"}
    for resource, row in (
        ("engagements", "engagement"),
        ("documents", "proposal"),
        ("deliverables", "deliverable"),
        ("workshops", "workshop"),
        ("contacts", "contact"),
        ("clients", "client"),
    ):
        listed = await api.get(f"/{resource}", None, headers=bearer)
        assert listed.status_code == 200 and [r["id"] for r in listed.json()["items"]] == [b[row]["id"]], resource
        assert "Alpha" not in listed.text
        assert (await api.get(f"/{resource}/{a[row]['id']}", None, headers=bearer)).status_code == 404, resource


# -- share links -----------------------------------------------------------------------------------


async def test_share_links_altered_expired_or_revoked_are_refused(api: Api, smtp_server: SmtpTestServer) -> None:
    a, b = await portal_world(api, ALPHA, ALPHA_EMAIL), await portal_world(api, BOREALIS, BOREALIS_EMAIL)
    made = {}
    for world in (a, b):
        response = await api.post(f"/documents/{world['proposal']['id']}/share-links", json={"valid_days": 7})
        assert response.status_code == 201, response.text
        made[world["client"]["name"]] = response.json()
    a_link, b_link = made[ALPHA], made[BOREALIS]
    path = b_link["url"][b_link["url"].index("/s/") :]
    link_id, expires, mac = path.removeprefix("/s/").split(".")
    assert (await api.http.get(path)).content.startswith(b"%PDF")  # the genuine link works

    secret = api.app.state.settings.secret_key
    a_mac = a_link["url"].rsplit(".", 1)[-1]
    forged = [
        f"/s/{link_id}.{expires}.{mac[:-2]}{'xy' if not mac.endswith('xy') else 'zw'}",  # signature changed
        f"/s/{link_id}.{int(expires) + 86400}.{mac}",  # a longer life
        f"/s/{a_link['id']}.{expires}.{mac}",  # B's signature on A's link
        f"/s/{link_id}.{a_link['url'].split('.')[-2]}.{a_mac}",  # A's signature on B's link
        "/s/" + sign_share("another-secret-that-is-long-enough-0123456789", int(link_id), utcnow() + timedelta(days=1)),
    ]
    for fake in forged:
        response = await api.http.get(fake)
        assert response.status_code == 401, (fake, response.status_code)
        assert not response.content.startswith(b"%PDF") and BOREALIS not in response.text

    expired = "/s/" + sign_share(secret, int(link_id), utcnow() - timedelta(minutes=1))
    gone = await api.http.get(expired)
    assert gone.status_code == 410 and not gone.content.startswith(b"%PDF") and BOREALIS not in gone.text

    # A's client session cannot withdraw, list or make B's links.
    token = await request_link_token(api, smtp_server, ALPHA_EMAIL)
    bearer = (await api.post("/portal/sessions", None, json={"token": token})).json()["access_token"]
    headers = {"Authorization": f"Bearer {bearer}"}
    assert (await api.post(f"/share-links/{b_link['id']}/revoke", None, headers=headers)).status_code == 403
    assert (await api.get("/share-links", None, headers=headers)).status_code == 403
    made_by_a = await api.post(f"/documents/{b['proposal']['id']}/share-links", None, headers=headers, json={})
    assert made_by_a.status_code == 403
    api.http.cookies.clear()
    assert (await api.http.get(path)).status_code == 200  # still live
    listed = (await api.get("/share-links", params={"document_id": b["proposal"]["id"]})).json()
    assert {row["id"]: row["revoked_at"] for row in listed["items"]}[b_link["id"]] is None

    revoked = await api.post(f"/share-links/{b_link['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    withdrawn = await api.http.get(path)
    assert withdrawn.status_code == 410 and not withdrawn.content.startswith(b"%PDF")
    a_path = a_link["url"][a_link["url"].index("/s/") :]
    assert (await api.http.get(a_path)).status_code == 200  # only B's link was withdrawn
