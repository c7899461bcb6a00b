"""The data processing agreement (AVV, Art. 28 GDPR): drawn up from the engagement's pilots and
sub-processors with the TOMs as its annex, released to the portal and accepted version by
version with a typed name, the version's SHA-256 and the texts it rests on."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api
from tests.factories import download_text, generate, make_client, make_engagement
from tests.portal_helpers import generate_and_release, portal_sign_in, portal_world, request_link_token
from tests.smtp_server import SmtpTestServer

EMAIL = "eva@alpha.de"
ACCEPT = {"typed_name": "Eva Alpha", "confirmed": True}


async def _with_processors(api: Api, engagement_id: int) -> dict[str, Any]:
    pilot = await api.create("pilots", {"engagement_id": engagement_id, "title": "Angebotsassistent"})
    for provider, country, extra in (
        ("Microsoft Ireland Operations Ltd.", "SE", {"dpa_signed_on": "2026-11-02"}),
        ("Anthropic PBC", "US", {"transfer_mechanism": "sccs"}),
    ):
        await api.create(
            "sub-processors",
            {"pilot_id": pilot["id"], "provider": provider, "hosting_region": country, "hosting_country": country,
             "data_categories": ["Kundenanfragen"], "personal_data": True, **extra},
        )  # fmt: skip
    return pilot


async def _bearer(api: Api, smtp: SmtpTestServer) -> dict[str, str]:
    token = await request_link_token(api, smtp, EMAIL)
    session = (await api.post("/portal/sessions", None, json={"token": token})).json()
    return {"Authorization": f"Bearer {session['access_token']}"}


async def test_an_avv_names_the_sub_processors_and_the_measures(api: Api) -> None:
    client = await make_client(api)
    engagement = await make_engagement(api, client["id"])
    refused = await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "dpa"})
    assert refused.status_code == 409 and "no data processing agreement" in refused.text
    await _with_processors(api, engagement["id"])
    document = await generate(api, engagement["id"], kind="dpa")
    assert document["status"] == "ready", document["error"]
    text = (await download_text(api, document)).replace("- ", "")  # words hyphenated in narrow columns
    assert "Auftragsverarbeitungsvertrag" in text and "AVV-" in text
    assert "Anthropic PBC" in text and "Standardvertragsklauseln" in text and "seit 02.11.2026" in text
    assert "Technische und organisatorische Maßnahmen" in text and "Argon2id" in text
    texts = (await api.get("/legal/avv?lang=de")).json(), (await api.get("/legal/toms?lang=de")).json()
    for legal in texts:
        assert legal["sha256"] in text.replace(" ", "")
    english = await generate(api, engagement["id"], kind="dpa", language="en")
    assert "Data processing agreement" in await download_text(api, english)


async def test_the_client_accepts_each_version_once(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await _with_processors(api, world["engagement"]["id"])
    unsent = await generate(api, world["engagement"]["id"], kind="dpa")
    agreement = await generate_and_release(api, world["engagement"]["id"], kind="dpa")
    her = await _bearer(api, smtp_server)

    assert (
        await api.post(f"/documents/{unsent['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    ).status_code in (404, 409)
    proposal = world["proposal"]["id"]
    wrong_kind = await api.post(f"/documents/{proposal}/dpa-acceptance", None, json=ACCEPT, headers=her)
    assert wrong_kind.status_code == 409
    unconfirmed = await api.post(
        f"/documents/{agreement['id']}/dpa-acceptance", None, json={**ACCEPT, "confirmed": False}, headers=her
    )
    assert unconfirmed.status_code == 422
    # Three clicks at once: one acceptance.
    answers = await asyncio.gather(
        *(api.post(f"/documents/{agreement['id']}/dpa-acceptance", None, json=ACCEPT, headers=her) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    accepted = next(a.json() for a in answers if a.status_code == 201)
    assert accepted["document_sha256"] == agreement["sha256"] and accepted["typed_name"] == "Eva Alpha"
    assert [a["kind"] for a in accepted["agreements"]] == ["avv", "toms"]
    listed = await api.get(f"/engagements/{world['engagement']['id']}/dpa-acceptances")
    assert [a["id"] for a in listed.json()] == [accepted["id"]]
    # The team cannot accept for the client; another client's user does not find it.
    assert (await api.post(f"/documents/{agreement['id']}/dpa-acceptance", json=ACCEPT)).status_code == 403

    # A new provider, a new version: accepted anew; the replaced one no longer can be.
    second = await generate_and_release(api, world["engagement"]["id"], kind="dpa")
    stale = await api.post(f"/documents/{unsent['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    assert stale.status_code in (404, 409)
    again = await api.post(f"/documents/{second['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    assert again.status_code == 201, again.text


async def test_the_portal_page_takes_the_acceptance(api: Api, smtp_server: SmtpTestServer) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    await _with_processors(api, world["engagement"]["id"])
    agreement = await generate_and_release(api, world["engagement"]["id"], kind="dpa")
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    page = await api.http.get(f"/portal/engagements/{world['engagement']['id']}")
    assert "Auftragsverarbeitungsvertrag (AVV)" in page.text and "AVV annehmen" in page.text
    form = {"_csrf_token": csrf, "typed_name": "Eva Alpha"}
    refused = await api.http.post(f"/portal/documents/{agreement['id']}/accept-dpa", data=form)
    assert refused.status_code == 422, refused.text
    done = await api.http.post(f"/portal/documents/{agreement['id']}/accept-dpa", data={**form, "confirmed": "true"})
    assert done.status_code == 303 and "done=dpa_accepted" in done.headers["location"]
    page = await api.http.get(done.headers["location"])
    assert "Angenommen von Eva Alpha" in page.text and "AVV annehmen" not in page.text


async def test_a_new_sub_processor_is_shown_and_the_client_may_object(api: Api, smtp_server: SmtpTestServer) -> None:
    """Art. 28 (2) GDPR: after an accepted AVV, a new provider shows on the team's page as a
    change; the next version tells the client what is new; the client objects once, the lead
    consultant hears of it once, and the version can no longer be accepted."""
    from tests.factories import sign_in
    from tests.portal_helpers import text_of

    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id = world["engagement"]["id"]
    pilot = await _with_processors(api, engagement_id)
    first = await generate_and_release(api, engagement_id, kind="dpa")
    her = await _bearer(api, smtp_server)
    assert (
        await api.post(f"/documents/{first['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    ).status_code == 201

    await sign_in(api)
    page = await api.http.get(f"/engagements/{engagement_id}")
    assert "Fassung 1 angenommen von Eva Alpha" in page.text and "Unterauftragsverarbeiter geändert" not in page.text
    # Signing the provider's own AVV later is no change to the client's agreement.
    processors = (await api.get(f"/sub-processors?pilot_id={pilot['id']}")).json()["items"]
    anthropic = next(p for p in processors if p["provider"] == "Anthropic PBC")
    signed = await api.patch(
        f"/sub-processors/{anthropic['id']}", json={"version": anthropic["version"], "dpa_signed_on": "2026-11-20"}
    )
    assert signed.status_code == 200, signed.text
    assert "Unterauftragsverarbeiter geändert" not in (await api.http.get(f"/engagements/{engagement_id}")).text
    await api.create(
        "sub-processors",
        {"pilot_id": pilot["id"], "provider": "Mistral AI SAS", "hosting_region": "Paris", "hosting_country": "FR",
         "data_categories": ["Kundenanfragen"], "personal_data": True},
    )  # fmt: skip
    page = await api.http.get(f"/engagements/{engagement_id}")
    assert "Unterauftragsverarbeiter geändert" in page.text and "Mistral AI SAS" in page.text

    second = await generate_and_release(api, engagement_id, kind="dpa")
    csrf = await portal_sign_in(api, smtp_server, EMAIL)
    portal = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert "Neuer Unterauftragsverarbeiter: Mistral AI SAS" in portal.text and "Widersprechen" in portal.text
    assert "Anthropic PBC" not in portal.text.split("Geändert gegenüber")[1].split("</div>")[0]

    empty = await api.http.post(
        f"/portal/documents/{second['id']}/object-dpa", data={"_csrf_token": csrf, "reason": "  "}
    )
    assert empty.status_code == 422 and "dpa-objection-reason" in empty.text
    before = len(smtp_server.messages)
    reason = {"reason": "Kein weiterer Anbieter ohne Rücksprache mit unserem Betriebsrat"}
    answers = await asyncio.gather(
        *(api.post(f"/documents/{second['id']}/dpa-objection", None, json=reason, headers=her) for _ in range(3))
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    accept = await api.post(f"/documents/{second['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    assert accept.status_code == 409 and "objected" in accept.text
    assert (await api.post(f"/documents/{second['id']}/dpa-objection", json=reason)).status_code == 403  # the team
    listed = (await api.get(f"/engagements/{engagement_id}/dpa-objections")).json()
    assert [o["document_number"] for o in listed] == [second["number"]]

    await api.run_jobs(smtp_url=smtp_server.url)
    await api.run_jobs(smtp_url=smtp_server.url)
    told = [m for m in smtp_server.messages[before:] if "Widerspruch zum AV-Vertrag" in m.message["Subject"]]
    assert len(told) == 1 and told[0].rcpt_tos == ["consultant@example.de"]
    assert "Betriebsrat" in text_of(told[0])
    portal = await api.http.get(f"/portal/engagements/{engagement_id}")
    assert "widersprochen" in portal.text and "object-dpa" not in portal.text
    api.http.cookies.clear()
    await sign_in(api)
    page = await api.http.get(f"/engagements/{engagement_id}")
    assert "Widerspruch des Kunden" in page.text and "Betriebsrat" in page.text


async def test_one_answer_per_agreement_whatever_comes_at_once(api: Api, smtp_server: SmtpTestServer) -> None:
    """An acceptance and an objection at the same moment end in exactly one answer; an answer to
    the German version answers its English translation too."""
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id = world["engagement"]["id"]
    await _with_processors(api, engagement_id)
    german = await generate_and_release(api, engagement_id, kind="dpa")
    english = await generate_and_release(api, engagement_id, kind="dpa", language="en")
    her = await _bearer(api, smtp_server)
    objection = {"reason": "Kein Anbieter in den USA"}
    answers = await asyncio.gather(
        api.post(f"/documents/{german['id']}/dpa-acceptance", None, json=ACCEPT, headers=her),
        api.post(f"/documents/{english['id']}/dpa-objection", None, json=objection, headers=her),
        api.post(f"/documents/{german['id']}/dpa-objection", None, json=objection, headers=her),
        api.post(f"/documents/{english['id']}/dpa-acceptance", None, json=ACCEPT, headers=her),
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    accepted = (await api.get(f"/engagements/{engagement_id}/dpa-acceptances")).json()
    objected = (await api.get(f"/engagements/{engagement_id}/dpa-objections")).json()
    assert len(accepted) + len(objected) == 1


async def test_an_erasure_and_the_persons_own_objection_at_once_leave_nothing_behind(
    api: Api, smtp_server: SmtpTestServer
) -> None:
    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id = world["engagement"]["id"]
    await _with_processors(api, engagement_id)
    contact = world["contact"]
    await api.patch(f"/contacts/{contact['id']}", json={"version": contact["version"], "position": "Geschäftsführerin"})
    agreement = await generate_and_release(api, engagement_id, kind="dpa")
    assert (await _signatory(api, agreement["id"])) == {"name": "Eva Alpha", "position": "Geschäftsführerin"}
    her = await _bearer(api, smtp_server)
    reason = {"reason": "Eva Alpha widerspricht dem US-Anbieter"}
    erase = {"reason": "Anfrage per Mail", "confirm": True}
    browser = {**her, "User-Agent": "EvaBrowser/1"}
    objected, erased = await asyncio.gather(
        api.post(f"/documents/{agreement['id']}/dpa-objection", None, json=reason, headers=browser),
        api.post(f"/contacts/{world['contact']['id']}/erase", "admin", json=erase),
    )
    assert erased.status_code == 200, erased.text
    assert objected.status_code in (201, 401), objected.text
    for row in (await api.get(f"/engagements/{engagement_id}/dpa-objections")).json():
        assert "Eva Alpha" not in row["reason"], row
    events = (await api.get("/audit-events", "admin", params={"limit": 100})).json()["items"]
    assert not [e for e in events if EMAIL in str(e) or "EvaBrowser" in str(e)], "the audit log still names her"
    # The version drawn again names neither her nor her position.
    await api.run_jobs()
    assert (await _signatory(api, agreement["id"])) == {"name": "[gelöscht]", "position": None}


async def _signatory(api: Api, document_id: int) -> Any:
    import json

    from sqlalchemy import text

    async with api.engine.connect() as connection:
        stored = (
            await connection.execute(text("SELECT data_snapshot FROM documents WHERE id = :id"), {"id": document_id})
        ).scalar_one()
    return (json.loads(stored) if isinstance(stored, str) else stored)["dpa"]["signatory"]


async def test_an_erased_signer_is_kept_for_the_law_not_shown(api: Api, smtp_server: SmtpTestServer) -> None:
    from tests.factories import sign_in

    world = await portal_world(api, "Alpha GmbH", EMAIL)
    engagement_id = world["engagement"]["id"]
    await _with_processors(api, engagement_id)
    agreement = await generate_and_release(api, engagement_id, kind="dpa")
    her = await _bearer(api, smtp_server)
    assert (
        await api.post(f"/documents/{agreement['id']}/dpa-acceptance", None, json=ACCEPT, headers=her)
    ).status_code == 201
    erase = {"reason": "Anfrage per Mail", "confirm": True}
    assert (await api.post(f"/contacts/{world['contact']['id']}/erase", "admin", json=erase)).status_code == 200

    listed = (await api.get(f"/engagements/{engagement_id}/dpa-acceptances")).json()
    assert [a["typed_name"] for a in listed] == ["[gelöscht]"] and listed[0]["ip_address"] is None
    await sign_in(api)
    page = await api.http.get(f"/engagements/{engagement_id}")
    assert "Fassung 1 angenommen von [gelöscht]" in page.text and "Eva Alpha" not in page.text
    record = await api.get("/privacy/record-of-processing", "admin")
    assert "Eva Alpha" not in record.text
