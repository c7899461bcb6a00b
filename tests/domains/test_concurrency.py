"""Concurrent writers: every versioned write and state change is a compare-and-set in the
database, so exactly one of several requests that read the same version wins, on SQLite (no row
locks) as on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import text

from tests.conftest import Api
from tests.factories import make_client, make_engagement
from tests.portal_helpers import deliver, portal_world
from tests.smtp_server import SmtpTestServer


async def _audit_count(api: Api, entity_type: str, entity_id: int, action: str) -> int:
    async with api.engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT count(*) FROM audit_events WHERE entity_type = :t AND entity_id = :i AND action = :a"),
                {"t": entity_type, "i": entity_id, "a": action},
            )
        ).scalar_one()


async def test_concurrent_patches_with_one_version_have_one_winner(api: Api) -> None:
    client = await make_client(api)
    responses = await asyncio.gather(
        *(
            api.patch(f"/clients/{client['id']}", json={"city": f"City-{i}", "version": client["version"]})
            for i in range(20)
        )
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: 19}, codes
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert winner["version"] == client["version"] + 1
    stored = (await api.get(f"/clients/{client['id']}")).json()
    assert (stored["city"], stored["version"]) == (winner["city"], winner["version"])
    assert await _audit_count(api, "client", client["id"], "update") == 1
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["type"] == "/problems/version-conflict"


async def test_concurrent_transitions_have_one_winner(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    targets = ["proposed", "cancelled"] * 5
    responses = await asyncio.gather(
        *(
            api.post(
                f"/engagements/{engagement['id']}/transitions",
                json={"to": to, "version": engagement["version"], "reason": "Budget gestrichen"},
            )
            for to in targets
        )
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: 9}, codes
    winner = next(r.json() for r in responses if r.status_code == 200)
    stored = (await api.get(f"/engagements/{engagement['id']}")).json()
    assert stored["status"] == winner["status"] and stored["version"] == engagement["version"] + 1
    assert (stored["cancel_reason"] is not None) == (stored["status"] == "cancelled")


async def test_concurrent_deletes_archive_once(api: Api) -> None:
    client = await make_client(api)
    responses = await asyncio.gather(
        *(api.delete(f"/clients/{client['id']}", params={"version": client["version"]}) for _ in range(8))
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {204: 1, 409: 7}, codes
    assert await _audit_count(api, "client", client["id"], "archive") == 1


async def test_concurrent_sign_offs_have_one_winner(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", "eva@alpha.de")
    row = await deliver(api, world["deliverable"])
    token = await _client_token(api, smtp_server, "eva@alpha.de")
    bodies = [
        {"decision": "accept", "version": row["version"]}
        if i % 2 == 0
        else {"decision": "reject", "reason": f"Abschnitt {i} fehlt", "version": row["version"]}
        for i in range(10)
    ]
    responses = await asyncio.gather(
        *(
            api.http.post(
                f"/api/v1/deliverables/{row['id']}/sign-off", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            for body in bodies
        )
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: 9}, codes
    stored = (await api.get(f"/deliverables/{row['id']}")).json()
    if stored["status"] == "accepted":
        assert stored["rejection_reason"] is None and stored["signed_off_by_contact_id"] is not None
    else:
        assert stored["status"] == "rejected" and stored["rejection_reason"]
    assert stored["version"] == row["version"] + 1


async def test_concurrent_document_requests_each_get_their_version(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    responses = await asyncio.gather(
        *(api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"}) for _ in range(20))
    )
    assert [r.status_code for r in responses] == [202] * 20, [r.text for r in responses if r.status_code != 202][:3]
    assert sorted(r.json()["number"] for r in responses) == list(range(1, 21))


async def _client_token(api: Api, smtp: SmtpTestServer, email: str) -> str:
    from tests.portal_helpers import request_link_token

    token = await request_link_token(api, smtp, email)
    session = await api.post("/portal/sessions", None, json={"token": token})
    assert session.status_code == 200, session.text
    return session.json()["access_token"]


async def test_two_jobs_drafting_one_week_share_one_status_update(api: Api) -> None:
    from backend.domains.engagements.models import Engagement
    from backend.flows.digests.service import ensure_status_update
    from backend.kernel.db import make_sessionmaker

    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    sessions = make_sessionmaker(api.engine)
    settings = api.app.state.settings

    async def draft() -> int:
        async with sessions() as session, session.begin():
            row = await session.get(Engagement, engagement["id"])
            assert row is not None
            update = await ensure_status_update(session, row, "2026-W49", "de", settings)
            return update.id  # type: ignore[return-value]

    ids = await asyncio.gather(*(draft() for _ in range(4)))
    assert len(set(ids)) == 1, ids
    async with api.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM status_updates WHERE iso_week = '2026-W49'"))).scalar()
    assert count == 1
