"""User text reaches Typst only as JSON data: markup-like input renders literally."""

import pytest

from tests.conftest import Api
from tests.factories import OFFER_KPI, download_text, generate, make_engagement, pilot_with

CORPUS = [
    '#read("/etc/passwd")',
    '#import "@preview/cetz:0.3.0": *',
    "] ) } #let x = 1",
    "$x^2$ and *bold* and _emph_",
    "<label> @ref = Heading",
    "back\\slash \\\\ \\u{41}",
    "\"quotes\" and 'single' & ampersand",
]
LONG = "Sehr-lange-Firma-" * 295  # 5,015 characters without a space
EMOJI, HEBREW, ARABIC = "Rakete 🚀 erledigt ✅", "שלום עולם", "مرحبا بالعالم"


@pytest.mark.parametrize("kind", ["proposal", "result_report", "status_report"])
async def test_corpus_renders_literally(api: Api, kind: str) -> None:
    client = await api.create("clients", {"name": CORPUS[0], "street": CORPUS[4], "city": CORPUS[5]})
    await api.create("contacts", {"client_id": client["id"], "name": CORPUS[1], "email": "x@y.de", "position": HEBREW})
    engagement = await make_engagement(
        api,
        client["id"],
        title=CORPUS[2],
        goals="\n".join(CORPUS + [EMOJI, ARABIC]),
        situation=LONG,
        recommendations="\n".join(CORPUS),
    )
    pilot = await pilot_with(api, engagement["id"], CORPUS[3], OFFER_KPI | {"name": CORPUS[6]}, ["62", "41"])
    await api.patch(f"/pilots/{pilot['id']}", json={"hypothesis": CORPUS[4], "version": 1})
    await api.create(
        "deliverables", {"engagement_id": engagement["id"], "title": CORPUS[5], "kind": "document", "due_week": 1}
    )
    await api.create(
        "status-updates",
        {
            "engagement_id": engagement["id"],
            "iso_week": "2026-W45",
            "rag": "red",
            "summary": CORPUS[0],
            "done": "\n".join(CORPUS),
            "next": EMOJI,
            "risks": HEBREW,
        },
    )
    document = await generate(api, engagement["id"], kind=kind, iso_week="2026-W45")
    assert document["status"] == "ready", document["error"]
    text = await download_text(api, document)
    assert "root:x:0" not in text
    for needle in (CORPUS[0], CORPUS[2]):
        assert needle in text, needle
    if kind != "status_report":
        assert CORPUS[3] in text
    if kind == "proposal":
        assert "Sehr-lange-Firma" in text
        assert "cetz" in text and "\\slash" in text


async def test_nasty_names_do_not_break_filenames(api: Api) -> None:
    client = await api.create("clients", {"name": '../../etc/passwd"; rm -rf / ' + HEBREW})
    engagement = await make_engagement(api, client["id"])
    document = await generate(api, engagement["id"], kind="proposal")
    assert document["filename"] == f"Angebot_etc-passwd-rm-rf_ANG-{engagement['id']:04d}-1.pdf"
    response = await api.get(f"/documents/{document['id']}/download")
    assert response.status_code == 200
