"""Deliverable artefacts and their Abnahme: files and links with their SHA-256, checked as they
come in and locked once delivered; the request to accept by a deadline; explicit acceptance
with reservations, pinned to the artefacts the client saw; deemed acceptance after the deadline
(§ 640 (2) BGB) exactly once, not after a defect was named, and not twice after a crash; the
Abnahmeprotokoll."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from backend.flows.acceptance import records
from backend.flows.acceptance.jobs import plan_deemed_acceptances
from backend.kernel.time import BERLIN
from tests.conftest import Api
from tests.factories import pdf_text
from tests.portal_helpers import deliver, portal_sign_in, portal_world
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"
OLE_RELATION = (
    '<Relationships><Relationship Type="http://x/relationships/oleObject" Target="media/a.bin"/></Relationships>'
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def office(main_part: str, *extra: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in ("[Content_Types].xml", main_part, *extra):
            z.writestr(name, "<x/>")
    return buffer.getvalue()


def upload(api: Api, deliverable_id: int, name: str, content: bytes, who: str = "consultant") -> Any:
    return api.post(f"/deliverables/{deliverable_id}/artefacts", who, files={"file": (name, content)})


async def client_world(api: Api, password_hash: str) -> dict[str, Any]:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await api.add_user("kunde", "client", password_hash, client_id=world["client"]["id"])
    async with api.engine.begin() as conn:  # the portal user is the contact (as a sign-in makes it)
        await conn.execute(
            text("UPDATE users SET contact_id = :c WHERE email = 'kunde@example.de'"), {"c": world["contact"]["id"]}
        )
    api.app.state.principals.forget()
    return world


async def test_artefacts_are_checked_as_they_come_and_locked_once_delivered(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    stored = await upload(api, d["id"], "Leitlinie.pdf", PDF)
    assert stored.status_code == 201, stored.text
    assert (stored.json()["sha256"], stored.json()["size"]) == (hashlib.sha256(PDF).hexdigest(), len(PDF))
    assert stored.json()["content_type"] == "application/pdf"
    docx = await upload(api, d["id"], "../../Schulung Ü.docx", office("word/document.xml"))
    assert docx.status_code == 201 and docx.json()["name"] == "Schulung Ü.docx"
    link = await api.post(f"/deliverables/{d['id']}/links", json={"url": "https://git.example.de/x", "name": "Code"})
    assert link.status_code == 201 and link.json()["sha256"] == hashlib.sha256(b"https://git.example.de/x").hexdigest()
    settings = api.app.state.settings
    api.app.state.settings = settings.model_copy(update={"artefact_max_mib": 1})
    try:
        big = await upload(api, d["id"], "gross.pdf", PDF + b"0" * (1024 * 1024))
    finally:
        api.app.state.settings = settings
    refused = {
        "big": big,
        "exe": await upload(api, d["id"], "setup.exe", b"MZ\x90\x00"),
        "fake": await upload(api, d["id"], "bild.pdf", b"\x89PNG\r\n\x1a\n...."),
        "macro": await upload(api, d["id"], "makro.docx", office("word/document.xml", "word/vbaProject.bin")),
        "broken": await upload(api, d["id"], "kaputt.xlsx", b"PK\x03\x04garbage"),
        "binary": await upload(api, d["id"], "notiz.txt", b"abc\x00def"),
        "empty": await upload(api, d["id"], "leer.pdf", b""),
        "nameless": await upload(api, d["id"], ".pdf", PDF),
        "ftp": await api.post(f"/deliverables/{d['id']}/links", json={"url": "ftp://example.de/x", "name": "X"}),
        "client": await upload(api, d["id"], "kunde.pdf", PDF, who="kunde"),
    }
    codes = {name: r.status_code for name, r in refused.items()}
    assert codes == {
        "big": 413,
        "exe": 415,
        "fake": 415,
        "macro": 415,
        "broken": 415,
        "binary": 415,
        "empty": 422,
        "nameless": 422,
        "ftp": 422,
        "client": 403,
    }, codes
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in refused.values())
    listed = (await api.get(f"/deliverables/{d['id']}/artefacts")).json()
    assert [a["name"] for a in listed] == ["Leitlinie.pdf", "Schulung Ü.docx", "Code"]
    # The client sees nothing of work in progress.
    assert (await api.get(f"/deliverables/{d['id']}/artefacts", "kunde")).json() == []
    assert (await api.get(f"/artefacts/{stored.json()['id']}/file", "kunde")).status_code == 404
    removed = await api.delete(f"/artefacts/{docx.json()['id']}")
    assert removed.status_code == 204
    await deliver(api, (await api.get(f"/deliverables/{d['id']}")).json())
    seen = (await api.get(f"/deliverables/{d['id']}/artefacts", "kunde")).json()
    assert [a["name"] for a in seen] == ["Leitlinie.pdf", "Code"]
    file = await api.get(f"/artefacts/{stored.json()['id']}/file", "kunde")
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-disposition"].startswith("attachment;")
    assert file.headers["x-content-type-options"] == "nosniff" and "sandbox" in file.headers["content-security-policy"]
    locked = await upload(api, d["id"], "spaet.pdf", PDF)
    assert locked.status_code == 409
    assert (await api.delete(f"/artefacts/{stored.json()['id']}")).status_code == 409


async def test_explicit_acceptance_pins_the_artefacts_and_keeps_the_reservations(
    api: Api, password_hash: str, smtp_server: SmtpTestServer
) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    await upload(api, d["id"], "Leitlinie.pdf", PDF)
    delivered = await deliver(api, (await api.get(f"/deliverables/{d['id']}")).json())
    asked = await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 10})
    assert asked.status_code == 201, asked.text
    body = {"decision": "accept", "version": delivered["version"], "reservations": "Kapitel 3 fehlt noch"}
    stale = await api.post(f"/deliverables/{d['id']}/sign-off", "kunde", json=body | {"artefacts_sha256": "0" * 64})
    assert stale.status_code == 409
    digest = records.digest(await _artefacts(api, d["id"]))
    done = await api.post(f"/deliverables/{d['id']}/sign-off", "kunde", json=body | {"artefacts_sha256": digest})
    assert done.status_code == 200, done.text
    acceptance = (await api.get(f"/deliverables/{d['id']}/acceptance", "kunde")).json()
    assert (acceptance["mode"], acceptance["accepted_by"], acceptance["reservations"]) == (
        "explicit",
        "Eva Alpha",
        "Kapitel 3 fehlt noch",
    )
    assert [a["sha256"] for a in acceptance["artefacts"]] == [hashlib.sha256(PDF).hexdigest()]
    requests = (await api.get(f"/deliverables/{d['id']}/acceptance-requests")).json()
    assert [r["outcome"] for r in requests] == ["accepted"]
    await api.run_jobs(smtp_url=smtp_server.url)
    protocol = await api.get(f"/deliverables/{d['id']}/acceptance/protocol", "kunde")
    assert protocol.status_code == 200, protocol.text
    text = " ".join(pdf_text(protocol.content).split())
    for said in ("ABNAHMEPROTOKOLL", "Ausdrückliche Abnahme", "Eva Alpha", "Kapitel 3 fehlt noch", "Leitlinie.pdf"):
        assert said in text, said
    assert hashlib.sha256(PDF).hexdigest()[:32] in text.replace(" ", "")
    assert protocol.headers["etag"] == f'"{hashlib.sha256(protocol.content).hexdigest()}"'
    team = [m for m in smtp_server.messages if "Abgenommen:" in m.message["Subject"]]
    assert len(team) == 1 and team[0].message["To"].endswith("<consultant@example.de>")


async def _artefacts(api: Api, deliverable_id: int) -> list[Any]:
    from backend.domains.deliverables.artefacts import artefacts_of

    async with api.app.state.session_maker() as session:
        return await artefacts_of(session, deliverable_id)


async def test_the_request_is_mailed_once_and_one_stands_at_a_time(
    api: Api, password_hash: str, smtp_server: SmtpTestServer
) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    early = await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 14})
    assert early.status_code == 409
    await deliver(api, d)
    for bad in ({"deadline_days": 2}, {"deadline_days": 91}, {"contact_id": 999}):
        assert (await api.post(f"/deliverables/{d['id']}/acceptance-request", json=bad)).status_code == 422, bad
    answers = await asyncio.gather(
        *(api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 14}) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    made = next(a.json() for a in answers if a.status_code == 201)
    requested = datetime.fromisoformat(made["requested_at"]).astimezone(BERLIN).date()  # the German day
    assert made["deadline"] == (requested + timedelta(days=14)).isoformat()
    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    mails = [m for m in smtp_server.messages if "Bitte um Abnahme" in m.message["Subject"]]
    assert len(mails) == 1 and mails[0].rcpt_tos == [EMAIL]
    said = mails[0].message.get_body(("plain",)).get_content()
    assert "§ 640 Abs. 2 BGB" in said and "/portal/engagements/" in said


@pytest.mark.parametrize("rejected", [False, True])
async def test_deemed_acceptance_comes_once_after_the_deadline_unless_a_defect_was_named(
    api: Api, password_hash: str, smtp_server: SmtpTestServer, rejected: bool
) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    await upload(api, d["id"], "Leitlinie.pdf", PDF)
    delivered = await deliver(api, (await api.get(f"/deliverables/{d['id']}")).json())
    made = (await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7})).json()
    deadline = date.fromisoformat(made["deadline"])
    # Not before the request reached the client: the deadline runs from its mail.
    maker = api.app.state.session_maker
    assert await records.deem_accepted(maker, made["id"], deadline + timedelta(days=1)) == "unsent"
    await api.run_jobs(smtp_url=smtp_server.url)
    if rejected:
        body = {"decision": "reject", "version": delivered["version"], "reason": "Kapitel 2 widerspricht der DSGVO"}
        assert (await api.post(f"/deliverables/{d['id']}/sign-off", "kunde", json=body)).status_code == 200
    ctx = {"session_maker": api.app.state.session_maker, "redis": api.app.state.queue}
    # On the deadline itself nothing happens; the day after, the job decides.
    assert (await plan_deemed_acceptances(ctx, deadline))["due"] == 0
    assert (await plan_deemed_acceptances(ctx, deadline + timedelta(days=1)))["due"] == (0 if rejected else 1)
    # Two workers at once on the same request, then the daily job again: one acceptance.
    outcomes = await asyncio.gather(
        records.deem_accepted(maker, made["id"], deadline + timedelta(days=1)),
        records.deem_accepted(maker, made["id"], deadline + timedelta(days=1)),
    )
    await api.run_jobs(smtp_url=smtp_server.url)
    row = (await api.get(f"/deliverables/{d['id']}")).json()
    requests = (await api.get(f"/deliverables/{d['id']}/acceptance-requests")).json()
    if rejected:
        assert outcomes == ("closed", "closed") or sorted(outcomes) == ["closed", "closed"]
        assert row["status"] == "rejected" and requests[0]["outcome"] == "rejected"
        assert (await api.get(f"/deliverables/{d['id']}/acceptance")).status_code == 404
        # The lead hears of the refusal and its reason, once.
        await api.run_jobs(smtp_url=smtp_server.url)
        refused = [m for m in smtp_server.messages if "Abnahme verweigert" in m.message["Subject"]]
        assert len(refused) == 1 and refused[0].rcpt_tos == ["consultant@example.de"]
        assert "Kapitel 2 widerspricht der DSGVO" in refused[0].message.get_body(("plain",)).get_content()
        return
    assert sorted(outcomes) in (["closed", "deemed"], ["deemed", "moved"]), outcomes
    assert row["status"] == "accepted" and requests[0]["outcome"] == "deemed"
    acceptance = (await api.get(f"/deliverables/{d['id']}/acceptance", "kunde")).json()
    assert (acceptance["mode"], acceptance["accepted_by"], acceptance["request_id"]) == ("deemed", None, made["id"])
    moves = (await api.get("/audit-events", "admin", params={"entity_type": "deliverable"})).json()["items"]
    deemed = [e for e in moves if e["action"] == "transition:delivered->accepted"]
    assert len(deemed) == 1 and deemed[0]["actor_id"] is None  # the deadline, not a person
    records_ = (await api.get("/audit-events", "admin", params={"entity_type": "deliverable_acceptance"})).json()
    assert [e["action"] for e in records_["items"]] == ["acceptance:deemed"]
    told = [m for m in smtp_server.messages if "Abgenommen:" in m.message["Subject"]]
    assert sorted(m.rcpt_tos[0] for m in told) == ["consultant@example.de", EMAIL]
    protocol = await api.get(f"/deliverables/{d['id']}/acceptance/protocol")
    text = " ".join(pdf_text(protocol.content).split())
    assert "§ 640 Abs. 2 BGB" in text and f"{deadline:%d.%m.%Y}" in text and "Keine Vorbehalte" in text


async def test_a_worker_killed_while_deeming_leaves_nothing_and_the_next_run_deems_once(
    api: Api, password_hash: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    await deliver(api, d)
    made = (await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 5})).json()
    await api.run_jobs()
    day = date.fromisoformat(made["deadline"]) + timedelta(days=3)
    real = records.record_acceptance

    async def killed(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)
        raise asyncio.CancelledError  # the worker dies after the writes, before the commit

    monkeypatch.setattr(records, "record_acceptance", killed)
    with pytest.raises(asyncio.CancelledError):
        await records.deem_accepted(api.app.state.session_maker, made["id"], day)
    assert (await api.get(f"/deliverables/{d['id']}")).json()["status"] == "delivered"
    assert (await api.get(f"/deliverables/{d['id']}/acceptance")).status_code == 404
    monkeypatch.setattr(records, "record_acceptance", real)
    assert await records.deem_accepted(api.app.state.session_maker, made["id"], day) == "deemed"
    assert await records.deem_accepted(api.app.state.session_maker, made["id"], day) == "closed"
    assert (await api.get(f"/deliverables/{d['id']}/acceptance")).json()["mode"] == "deemed"


async def test_a_team_member_records_an_acceptance_given_on_paper(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    delivered = await deliver(api, world["deliverable"])
    moved = await api.post(
        f"/deliverables/{delivered['id']}/transitions", json={"to": "accepted", "version": delivered["version"]}
    )
    assert moved.status_code == 200, moved.text
    acceptance = (await api.get(f"/deliverables/{delivered['id']}/acceptance")).json()
    assert (acceptance["mode"], acceptance["user_id"]) == ("recorded", api.users["consultant"])
    await api.run_jobs()
    protocol = await api.get(f"/deliverables/{delivered['id']}/acceptance/protocol")
    assert "erfasst" in " ".join(pdf_text(protocol.content).split())


async def test_a_file_part_without_a_file_name_is_refused_not_failed(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename=""\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\xff\xfe\r\n--b--\r\n"
    )
    answer = await api.post(
        f"/deliverables/{d['id']}/artefacts", content=body, headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert (await api.get(f"/deliverables/{d['id']}/artefacts")).json() == []


async def test_no_deemed_acceptance_where_the_client_could_not_answer(
    api: Api, password_hash: str, smtp_server: SmtpTestServer
) -> None:
    world = await client_world(api, password_hash)
    maker = api.app.state.session_maker
    e = world["engagement"]
    # Asked of a contact who cannot sign in to the portal: refused, as is a draft's deliverable.
    other = await api.create("contacts", {"client_id": world["client"]["id"], "name": "Tobias", "email": "t@alpha.de"})
    d = await deliver(api, world["deliverable"])
    refused = await api.post(
        f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7, "contact_id": other["id"]}
    )
    assert refused.status_code == 422 and "portal access" in refused.text
    # The request reached the client, then the engagement was cancelled: it lapses.
    made = (await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7})).json()
    await api.run_jobs(smtp_url=smtp_server.url)
    current = (await api.get(f"/engagements/{e['id']}")).json()
    cancelled = await api.post(
        f"/engagements/{e['id']}/transitions",
        json={"to": "cancelled", "version": current["version"], "reason": "Budget gestrichen"},
    )
    assert cancelled.status_code == 200, cancelled.text
    late = date.fromisoformat(made["deadline"]) + timedelta(days=1)
    assert await records.deem_accepted(maker, made["id"], late) == "closed"  # lapsed with the cancellation
    requests = (await api.get(f"/deliverables/{d['id']}/acceptance-requests")).json()
    assert requests[0]["outcome"] == "lapsed"
    assert (await api.get(f"/deliverables/{d['id']}")).json()["status"] == "delivered"
    again = await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7})
    assert again.status_code == 409  # nobody answers for a cancelled engagement


async def test_erasing_the_contact_asked_lets_the_request_lapse(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = await deliver(api, world["deliverable"])
    made = (await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7})).json()
    erase = {"reason": "Art. 17, Mail vom 30.11.2026", "confirm": True}
    assert (await api.post(f"/contacts/{world['contact']['id']}/erase", "admin", json=erase)).status_code == 200
    (request,) = (await api.get(f"/deliverables/{d['id']}/acceptance-requests")).json()
    assert request["outcome"] == "lapsed"
    late = date.fromisoformat(made["deadline"]) + timedelta(days=30)
    assert await records.deem_accepted(api.app.state.session_maker, made["id"], late) == "closed"
    assert (await api.get(f"/deliverables/{d['id']}")).json()["status"] == "delivered"


@pytest.mark.parametrize("change", ["portal_access", "email"])
async def test_a_contact_who_can_no_longer_answer_lets_the_request_lapse(
    api: Api, password_hash: str, smtp_server: SmtpTestServer, change: str
) -> None:
    world = await client_world(api, password_hash)
    d = await deliver(api, world["deliverable"])
    made = (await api.post(f"/deliverables/{d['id']}/acceptance-request", json={"deadline_days": 7})).json()
    contact = (await api.get(f"/contacts/{world['contact']['id']}")).json()
    patch = {"portal_access": False} if change == "portal_access" else {"email": "eva.neu@alpha.de"}
    assert (
        await api.patch(f"/contacts/{contact['id']}", json=patch | {"version": contact["version"]})
    ).status_code == 200
    # Before its mail went out: it never goes (no warning of a deadline that no longer runs).
    await api.run_jobs(smtp_url=smtp_server.url)
    assert not [m for m in smtp_server.messages if "Bitte um Abnahme" in m.message["Subject"]]
    late = date.fromisoformat(made["deadline"]) + timedelta(days=30)
    assert await records.deem_accepted(api.app.state.session_maker, made["id"], late) == "closed"
    assert (await api.get(f"/deliverables/{d['id']}/acceptance-requests")).json()[0]["outcome"] == "lapsed"
    assert (await api.get(f"/deliverables/{d['id']}")).json()["status"] == "delivered"


async def test_accepted_work_keeps_its_engagement(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = await deliver(api, world["deliverable"])
    body = {"decision": "accept", "version": d["version"]}
    assert (await api.post(f"/deliverables/{d['id']}/sign-off", "kunde", json=body)).status_code == 200
    e = (await api.get(f"/engagements/{world['engagement']['id']}")).json()
    back = await api.post(f"/engagements/{e['id']}/transitions", json={"to": "draft", "version": e["version"]})
    assert back.status_code == 200, back.text
    gone = await api.delete(f"/engagements/{e['id']}", params={"version": back.json()["version"]})
    assert gone.status_code == 409 and "Abnahme" in gone.text
    assert (await api.get(f"/deliverables/{d['id']}/acceptance")).status_code == 200


async def test_handed_over_work_stays_as_it_was(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = await deliver(api, world["deliverable"])
    changed = await api.patch(f"/deliverables/{d['id']}", json={"title": "Andere Leitlinie", "version": d["version"]})
    assert changed.status_code == 409
    assert (await api.delete(f"/deliverables/{d['id']}", params={"version": d["version"]})).status_code == 409
    body = {"decision": "accept", "version": d["version"]}
    assert (await api.post(f"/deliverables/{d['id']}/sign-off", "kunde", json=body)).status_code == 200
    accepted = (await api.get(f"/deliverables/{d['id']}")).json()
    assert (await api.delete(f"/deliverables/{d['id']}", params={"version": accepted["version"]})).status_code == 409
    assert (await api.get(f"/deliverables/{d['id']}/acceptance")).status_code == 200


async def test_office_files_with_active_content_and_zips_of_programs_are_refused(api: Api, password_hash: str) -> None:
    world = await client_world(api, password_hash)
    d = world["deliverable"]
    external = (
        '<Relationships><Relationship Target="http://evil.example/t.dotm" TargetMode="External"/></Relationships>'
    )
    macro_type = '<Types><Override ContentType="application/vnd.ms-office.vbaProject" PartName="/word/x.bin"/></Types>'
    programs = io.BytesIO()
    with zipfile.ZipFile(programs, "w") as z:
        z.writestr("setup.exe", "MZ")
        z.writestr("index.html", "<script>")
    refused = {
        "ole": await upload(api, d["id"], "a.docx", office("word/document.xml", "word/embeddings/oleObject1.bin")),
        "activex": await upload(api, d["id"], "b.docx", office("word/document.xml", "word/activeX/activeX1.xml")),
        "template": await upload(api, d["id"], "c.docx", office_with("word/_rels/document.xml.rels", external)),
        "macro": await upload(api, d["id"], "d.docx", office_with("[Content_Types].xml", macro_type)),
        "archive": await upload(api, d["id"], "e.zip", programs.getvalue()),
        "quoted": await upload(
            api, d["id"], "f.docx", office_with("word/_rels/document.xml.rels", external.replace('"', "'"))
        ),
        "reference": await upload(
            api,
            d["id"],
            "g.docx",
            office_with("word/_rels/document.xml.rels", external.replace("External", "&#69;xternal")),
        ),
        "ole_type": await upload(
            api,
            d["id"],
            "h.pptx",
            office_with(
                "ppt/_rels/presentation.xml.rels",
                OLE_RELATION,
                main="ppt/presentation.xml",
            ),
        ),
    }
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(refused, 415)
    assert (await api.get(f"/deliverables/{d['id']}/artefacts")).json() == []


def office_with(name: str, xml: str, main: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", xml if name == "[Content_Types].xml" else "<Types/>")
        z.writestr(main, "<x/>")
        if name != "[Content_Types].xml":
            z.writestr(name, xml)
    return buffer.getvalue()


async def test_the_portal_takes_only_plain_digits_for_options(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    for forged in ({"options": "²"}, {"alt_1": "٣"}, {"options": "３"}, {"options": "03 "}, {"options": "1000"}):
        answer = await api.http.post(
            f"/portal/documents/{world['proposal']['id']}/accept",
            data=forged | {"typed_name": "Eva Alpha", "confirmed": "true", "intent": "accept", "_csrf_token": csrf},
        )
        assert answer.status_code == 422 and 'role="alert"' in answer.text, forged
    assert (await api.get(f"/engagements/{world['engagement']['id']}/acceptance")).status_code == 404
