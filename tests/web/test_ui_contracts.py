"""The engagement page's contract forms: the offer's items typed German style, a file and a
link attached to a deliverable (a wrong file refused in the page's words), the Abnahme
requested with a deadline that the timeline shows, the protocol downloaded."""

from __future__ import annotations

from tests.conftest import Api
from tests.factories import make_client, make_engagement, pdf_text, propose, sign_in
from tests.portal_helpers import deliver

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


async def test_offer_artefacts_and_abnahme_from_the_engagement_page(api: Api) -> None:
    client = await make_client(api, "Alpha GmbH")
    await api.create(
        "contacts", {"client_id": client["id"], "name": "Eva", "email": "eva@alpha.de", "portal_access": True}
    )
    e = await make_engagement(api, client["id"])
    d = await api.create(
        "deliverables", {"engagement_id": e["id"], "title": "Leitlinie", "kind": "guideline", "due_week": 2}
    )
    token = await sign_in(api)
    base = f"/engagements/{e['id']}"
    page = await api.http.get(base)
    assert 'id="offer"' in page.text and 'name="title_1"' in page.text
    items = {
        "version": str(e["version"]),
        "title_1": "Workshop",
        "quantity_1": "2",
        "unit_1": "day",
        "unit_price_1": "1.400,00",
        "discount_percent_1": "0",
        "kind_1": "base",
        "title_2": "Schulung",
        "quantity_2": "1",
        "unit_2": "flat",
        "unit_price_2": "2.400,50",
        "discount_percent_2": "10",
        "kind_2": "optional",
        "title_3": "",
        "unit_price_3": "99",
        "_csrf_token": token,
    }
    saved = await api.http.post(f"{base}/proposal-items", data=items)
    assert saved.status_code == 303, saved.text
    engagement = (await api.get(f"/engagements/{e['id']}")).json()
    assert engagement["fixed_fee"] == "2800.00" and len(engagement["proposal_items"]) == 2
    assert engagement["proposal_items"][1]["discount_percent"] == "10.00"
    wrong = await api.http.post(
        f"{base}/proposal-items", data=items | {"version": str(engagement["version"]), "kind_1": "optional"}
    )
    assert wrong.status_code == 422 and "Basis" in wrong.text  # the page again, the items as typed
    uploaded = await api.http.post(
        f"{base}/deliverables/{d['id']}/artefacts",
        data={"_csrf_token": token},
        files={"file": ("Leitlinie.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text
    refused = await api.http.post(
        f"{base}/deliverables/{d['id']}/artefacts",
        data={"_csrf_token": token},
        files={"file": ("setup.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert refused.status_code == 415 and "nicht angenommen" in refused.text
    forged = await api.http.post(
        f"{base}/deliverables/{d['id']}/artefacts", files={"file": ("x.pdf", PDF, "application/pdf")}
    )
    assert forged.status_code == 403  # no CSRF token
    linked = await api.http.post(
        f"{base}/deliverables/{d['id']}/links",
        data={"name": "Wiki", "url": "https://wiki.alpha.de/ki", "_csrf_token": token},
    )
    assert linked.status_code == 303
    listed = (await api.get(f"/deliverables/{d['id']}/artefacts")).json()
    assert [a["name"] for a in listed] == ["Leitlinie.pdf", "Wiki"]
    download = await api.http.get(f"{base}/deliverables/{d['id']}/artefacts/{listed[0]['id']}")
    assert download.content == PDF
    await deliver(api, (await api.get(f"/deliverables/{d['id']}")).json())
    await propose(api, (await api.get(f"/engagements/{e['id']}")).json())  # the client sees it now
    page = await api.http.get(base)
    assert "Abnahme anfordern" in page.text and "entfernen" not in page.text  # locked once delivered
    asked = await api.http.post(
        f"{base}/deliverables/{d['id']}/acceptance-request", data={"deadline_days": "10", "_csrf_token": token}
    )
    assert asked.status_code == 303, asked.text
    page = await api.http.get(base)
    assert "Abnahme angefordert · Frist bis" in page.text and "Abnahmefrist" in page.text
    moved = await api.http.post(
        f"{base}/deliverables/{d['id']}/transition",
        data={
            "to": "accepted",
            "version": str((await api.get(f"/deliverables/{d['id']}")).json()["version"]),
            "_csrf_token": token,
        },
    )
    assert moved.status_code == 303, moved.text
    page = await api.http.get(base)
    assert "Abnahme erfasst" in page.text and "Abnahmeprotokoll (PDF)" in page.text
    protocol = await api.http.get(f"{base}/deliverables/{d['id']}/protocol")
    assert protocol.headers["content-type"] == "application/pdf"
    assert "erfasst" in " ".join(pdf_text(protocol.content).split())
