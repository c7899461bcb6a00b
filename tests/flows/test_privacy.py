"""A person's export (GDPR Art. 15) and erasure (Art. 17) over a world where she is in every
table (tests/privacy_world.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from typing import Any

from sqlalchemy import select as core_select
from sqlmodel import SQLModel

from backend.domains.auth.sessions import issue_token
from backend.flows.privacy.inventory import ANONYMISED, HOLDS, ON_ERASE, SUBJECT_COLUMNS, person_keys, text_columns
from backend.kernel.redaction import ERASED_NAME, Redactor
from backend.server.tables import metadata
from tests.factories import download_text, generate, make_client, make_engagement
from tests.privacy_world import EMAIL, NAME, person_everywhere, tables_that_can_name

ERASE = {"reason": "Art. 17, Mail vom 30.11.2026", "confirm": True}


def test_the_map_places_every_column_that_points_at_a_person() -> None:
    pointing = {(t.name, c.name) for t in SQLModel.metadata.sorted_tables for c, _ in person_keys(t)}
    pointing |= {(table, columns[1]) for table, columns in SUBJECT_COLUMNS.items()}
    assert pointing - set(ON_ERASE) == set(), "place these in privacy/inventory.ON_ERASE"
    assert set(ON_ERASE) - pointing == set(), "ON_ERASE names columns that no longer point at a person"
    tables = SQLModel.metadata.tables
    for table, columns in ANONYMISED.items():
        assert set(columns) <= set(tables[table].c.keys())
    assert {rule.table for rule in HOLDS} <= set(tables)


async def _zip(api: Any, path: str, who: str = "admin", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await api.get(path, who, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    body = json.loads(archive.read("personal-data.json"))
    body["_names"] = archive.namelist()
    body["_readme"] = archive.read("README.txt").decode()
    return body


async def test_the_export_holds_every_row_that_names_her(api) -> None:
    world = await person_everywhere(api.engine)
    assert sorted(world.named) == tables_that_can_name()

    body = await _zip(api, f"/contacts/{world.contact_id}/personal-data")

    assert {(r["kind"], r["id"]) for r in body["records"]} == {
        ("contact", world.contact_id),
        ("user", world.user_id),
        ("participant", world.participant_id),
    }
    for table, row_id in world.named.items():
        if table == "auth_sessions":  # a session's id is its secret: found by whose it is
            assert [r["user_id"] for r in body["tables"][table]] == [world.user_id]
            continue
        key = next(iter(metadata.tables[table].primary_key.columns)).name
        assert row_id in {row[key] for row in body["tables"].get(table, [])}, table
    # Nobody signs in with an export: no password hash, token hash or session id.
    text = json.dumps(body["tables"])
    assert "password_hash" not in text and "token_hash" not in text
    assert all("id" not in row for row in body["tables"]["auth_sessions"])
    # The stored files among the rows: the accepted proposal's PDF among them.
    assert any(name.startswith("files/documents-") and name.endswith(".pdf") for name in body["_names"])
    assert "Auskunft nach Art. 15 DSGVO" in body["_readme"] and "§ 257 HGB" in body["_readme"]
    assert "files/ enthält" in body["_readme"]
    # The export itself is in the audit log, without the data.
    audit = (await api.get(f"/audit-events?entity_type=contact&entity_id={world.contact_id}", "admin")).json()
    assert any(e["action"] == "export_personal_data" and NAME not in json.dumps(e) for e in audit["items"])


def _naming(value: Any) -> bool:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return bool(re.search(re.escape(EMAIL), text, re.I) or re.search(r"Sabine\s+Müller", text, re.I))


async def _where_she_is(api: Any) -> set[tuple[str, int]]:
    """Every row of every table whose text columns still hold her name or address."""
    found = set()
    async with api.engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = text_columns(table)
            if not columns:
                continue
            key = list(table.primary_key.columns)[0]
            for row in (await conn.execute(core_select(key, *columns))).all():
                if any(value is not None and _naming(value) for value in row[1:]):
                    found.add((table.name, row[0]))
    return found


async def _holds(api: Any) -> dict[tuple[str, int], list[dict[str, Any]]]:
    held: dict[tuple[str, int], list[dict[str, Any]]] = {}
    answer = await api.get("/legal-holds?limit=100", "admin")
    assert answer.status_code == 200, answer.text
    for hold in answer.json()["items"]:
        held.setdefault((hold["entity_type"], hold["entity_id"]), []).append(hold)
    return held


async def test_after_erasure_she_is_found_only_where_a_legal_hold_says_why(api) -> None:
    world = await person_everywhere(api.engine)
    before = await _where_she_is(api)
    assert len({table for table, _ in before}) >= 30  # her name is written all over
    # The preview says exactly what the erasure will do, and changes nothing.
    preview = await api.get(f"/contacts/{world.contact_id}/erasure-preview", "admin")
    assert preview.status_code == 200, preview.text
    assert await _where_she_is(api) == before
    assert (await api.get(f"/contacts/{world.contact_id}/erasure-preview")).status_code == 403  # admins only

    response = await api.post(f"/contacts/{world.contact_id}/erase", "admin", json=ERASE)
    assert response.status_code == 200, response.text
    report = response.json()
    for part in ("people", "erased", "kept", "documents_rendered_again"):
        assert preview.json()[part] == report[part], part
    assert report["kept"] and report["erased"]

    held = await _holds(api)
    left = await _where_she_is(api)
    assert left, "the accepted proposal and the issued invoice keep her name"
    for place in left:
        assert place in held, f"{place} still names her without a legal hold"
        for hold in held[place]:
            assert hold["reason"] and Redactor([NAME], [EMAIL], "x").text(hold["reason"]) == hold["reason"]
            # The law's holds run from the end of the record's year; an admin's, as placed.
            by_law = hold["erasure_id"] == report["erasure_id"] and hold["kept_until"] > "2031-12-30"
            assert by_law or hold["basis"] == "manual", hold
    kept = {(k["table"], k["id"]) for k in report["kept"]}
    assert {"proposal_acceptances", "invoices", "documents"} <= {t for t, _ in kept}
    assert left <= kept
    # Held records say the law: a contract six years, an invoice eight, from the end of its year.
    by_table = {k["table"]: k for k in report["kept"]}
    assert "§ 257" in by_table["proposal_acceptances"]["reason"]
    assert "§ 147" in by_table["invoices"]["reason"]

    erased = {(p["table"], p["action"]) for p in report["erased"]}
    for part in [
        ("auth_sessions", "deleted"),
        ("portal_login_links", "deleted"),
        ("digest_deliveries", "deleted"),
        ("certificates", "deleted"),
        ("audit_events", "redacted"),
        ("contacts", "anonymised"),
        ("users", "anonymised"),
        ("participants", "anonymised"),
        ("pilots", "unlinked"),
    ]:
        assert part in erased, part
    contact = (await api.get(f"/contacts/{world.contact_id}", "admin")).json()
    assert contact["name"] == ERASED_NAME and contact["erased_at"] and not contact["portal_access"]
    assert contact["email"].endswith("@erased.example")
    user = (await api.get(f"/users/{world.user_id}", "admin")).json()
    assert user["is_active"] is False and user["full_name"] == ERASED_NAME
    # The erasure is in the audit log, and its record names her nowhere.
    assert (await api.get(f"/erasures/{report['erasure_id']}", "admin")).json()["reason"] == ERASE["reason"]


async def test_an_erasure_happens_once(api) -> None:
    world = await person_everywhere(api.engine)
    answers = await asyncio.gather(
        *(api.post(f"/contacts/{world.contact_id}/erase", "admin", json=ERASE) for _ in range(3))
    )
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert len({a.json()["erasure_id"] for a in answers}) == 1
    assert (await api.get("/erasures", "admin")).json()["total"] == 1
    # An erased contact cannot be given its name back or portal access.
    contact = (await api.get(f"/contacts/{world.contact_id}", "admin")).json()
    assert "version" in contact, contact
    patch = {"version": contact["version"], "name": NAME, "portal_access": True}
    assert (await api.patch(f"/contacts/{world.contact_id}", "admin", json=patch)).status_code == 409


async def test_who_may_export_and_erase(api) -> None:
    world = await person_everywhere(api.engine)
    other_client = await api.create("clients", {"name": "Andere GmbH"})
    stranger = await api.create(
        "contacts", {"client_id": other_client["id"], "name": "Max Fremd", "email": "max@andere.de"}
    )
    colleague = (await api.get(f"/contacts?client_id={world.client_id}", "admin")).json()["items"]
    colleague_id = next(c["id"] for c in colleague if c["id"] != world.contact_id)
    her = {"Authorization": f"Bearer {await issue_token(api.app, world.user_id)}"}

    # Her own data she may take; a colleague's not; another client's does not exist for her.
    assert (await api.get(f"/contacts/{world.contact_id}/personal-data", None, headers=her)).status_code == 200
    assert (await api.get(f"/contacts/{colleague_id}/personal-data", None, headers=her)).status_code == 403
    assert (await api.get(f"/contacts/{stranger['id']}/personal-data", None, headers=her)).status_code == 404
    assert (await api.get(f"/participants/{world.participant_id}/personal-data", None, headers=her)).status_code == 403
    assert (await api.get(f"/users/{world.user_id}/personal-data", None, headers=her)).status_code == 200
    assert (await api.get(f"/users/{api.users['admin']}/personal-data", None, headers=her)).status_code == 404
    assert (await api.get(f"/users/{api.users['admin']}/personal-data", "consultant")).status_code == 403
    assert (await api.get(f"/users/{api.users['consultant']}/personal-data", "consultant")).status_code == 200

    # Only an admin erases; nobody erases without confirming.
    for who, headers in (("consultant", {}), (None, her)):
        answer = await api.post(f"/contacts/{world.contact_id}/erase", who, json=ERASE, headers=headers)
        assert answer.status_code == 403, answer.text
    unconfirmed = await api.post(f"/contacts/{world.contact_id}/erase", "admin", json={**ERASE, "confirm": False})
    assert unconfirmed.status_code == 422
    assert unconfirmed.headers["content-type"].startswith("application/problem+json")
    assert (await api.post("/contacts/999999/erase", "admin", json=ERASE)).status_code == 404
    assert (await api.get("/legal-holds", "consultant")).status_code == 403
    assert (await api.get(f"/contacts/{world.contact_id}", "admin")).json()["erased_at"] is None


async def test_a_participant_erasure_keeps_attendance_counted(api) -> None:
    world = await person_everywhere(api.engine)
    attended = (await api.get(f"/participants/{world.participant_id}", "admin")).json()
    answer = await api.post(f"/participants/{world.participant_id}/erase", "admin", json=ERASE)
    assert answer.status_code == 200, answer.text
    # She is the same person as the contact: that record goes too.
    assert {"kind": "contact", "id": world.contact_id} in answer.json()["people"]
    after = (await api.get(f"/participants/{world.participant_id}", "admin")).json()
    assert after["name"] == ERASED_NAME and after["email"] is None and after["version"] > attended["version"]
    async with api.engine.connect() as conn:
        attendances = metadata.tables["attendances"]
        stmt = core_select(attendances.c.id).where(attendances.c.participant_id == world.participant_id)
        assert (await conn.execute(stmt)).first() is not None


async def test_a_document_that_named_her_is_drawn_again_without_her_name(api) -> None:
    client = await make_client(api)
    contact = await api.create(
        "contacts", {"client_id": client["id"], "name": NAME, "email": EMAIL, "position": "Geschäftsführerin"}
    )
    engagement = await make_engagement(api, client["id"], goals="Angebote schneller")
    proposal = await generate(api, engagement["id"], kind="proposal")
    assert NAME in await download_text(api, proposal)

    report = (await api.post(f"/contacts/{contact['id']}/erase", "admin", json=ERASE)).json()
    assert report["documents_rendered_again"] == [proposal["id"]]
    assert report["kept"] == []  # an offer nobody accepted is no contract
    waiting = await api.get(f"/documents/{proposal['id']}/download")
    assert waiting.status_code == 409 and "rendering" in waiting.text  # not handed out until drawn again
    await api.run_jobs()

    again = (await api.get(f"/documents/{proposal['id']}")).json()
    assert again["status"] == "ready" and again["number"] == proposal["number"]
    assert again["sha256"] != proposal["sha256"]
    text = await download_text(api, again)
    assert NAME not in text and ERASED_NAME in text
    assert client["name"] in text  # the rest of what it said stands


async def test_an_erasure_keeps_what_an_admin_holds_and_leaves_namesakes_alone(api) -> None:
    world = await person_everywhere(api.engine)
    # The team wrote about her (the audit log records it under the consultant, not under her).
    client_id = world.client_id
    notes = {"notes": f"Absprache mit {NAME} am Montag", "version": 2}
    current = (await api.get(f"/clients/{client_id}", "admin")).json()
    assert (
        await api.patch(f"/clients/{client_id}", "consultant", json={**notes, "version": current["version"]})
    ).status_code == 200
    # A namesake with another address is another person; an address of the erased kind is no one's.
    namesake = await api.create(
        "participants", {"client_id": client_id, "name": NAME, "email": "sabine.mueller@lieferant.de"}
    )
    reserved = await api.post(
        "/contacts", json={"client_id": client_id, "name": "Platzhalter", "email": "erased-contact-99@erased.example"}
    )
    assert reserved.status_code == 422
    status = (await api.get(f"/status-updates?engagement_id={1}", "admin")).json()["items"][0]
    held = {
        "entity_type": "status_updates",
        "entity_id": status["id"],
        "reason": "Streitfall",
        "kept_until": "2099-12-31",
    }
    assert (await api.post("/legal-holds", "admin", json=held)).status_code == 201

    report = (await api.post(f"/contacts/{world.contact_id}/erase", "admin", json=ERASE)).json()

    assert {"kind": "participant", "id": namesake["id"]} not in report["people"]
    assert (await api.get(f"/participants/{namesake['id']}", "admin")).json()["name"] == NAME
    assert ("status_updates", status["id"]) in {(k["table"], k["id"]) for k in report["kept"]}
    assert (await api.get(f"/status-updates/{status['id']}", "admin")).json() == status
    events = (await api.get(f"/audit-events?entity_type=client&entity_id={client_id}&limit=100", "admin")).json()
    assert events["items"] and not any(_naming(e) for e in events["items"])


async def test_her_own_copy_holds_her_records_not_the_teams_notes(api) -> None:
    world = await person_everywhere(api.engine)
    her = {"Authorization": f"Bearer {await issue_token(api.app, world.user_id)}"}
    own = await _zip(api, f"/contacts/{world.contact_id}/personal-data", None, headers=her)
    assert own["tables"]["contacts"][0]["email"] == EMAIL
    assert "clients" not in own["tables"]  # the team's notes naming her: found by text only
    for table in ("pilots", "audit_events"):  # rows of others that point at her: only that they do
        assert own["tables"][table] and all(set(row) == {"id", "_found_by"} for row in own["tables"][table])
    assert not [name for name in own["_names"] if name.startswith("files/")]
    full = await _zip(api, f"/contacts/{world.contact_id}/personal-data")
    assert "clients" in full["tables"]
    assert any(name.startswith("files/documents-") for name in full["_names"])
