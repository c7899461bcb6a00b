"""Generated documents: real PDFs whose text carries the real figures, in both languages."""

import re
from typing import Any

import pytest

from tests.conftest import Api
from tests.factories import OFFER_KPI, download_text, generate, make_client, make_engagement, pilot_with


async def engagement_with_results(api: Api) -> dict[str, Any]:
    client = await api.create(
        "clients",
        {
            "name": "Müller Präzisionstechnik GmbH",
            "street": "Industriestraße 12",
            "postal_code": "73430",
            "city": "Aalen",
        },
    )
    await api.create(
        "contacts",
        {
            "client_id": client["id"],
            "name": "Sabine Müller",
            "email": "s@m.de",
            "position": "Geschäftsführerin",
            "portal_access": True,
        },
    )
    engagement = await make_engagement(
        api, client["id"], goals="Angebote schneller\nSupport entlasten", situation="Angebote dauern 90 Minuten."
    )
    await pilot_with(api, engagement["id"], "Angebotsassistent", OFFER_KPI, ["62", "48", "41"])
    await api.create(
        "deliverables", {"engagement_id": engagement["id"], "title": "KI-Leitlinie", "kind": "guideline", "due_week": 2}
    )
    return engagement


@pytest.mark.parametrize(
    ("language", "gross", "heading"), [("de", "28.560,00 €", "Angebot"), ("en", "€28,560.00", "Proposal")]
)
async def test_proposal_pdf_has_client_and_totals(api: Api, language: str, gross: str, heading: str) -> None:
    engagement = await engagement_with_results(api)
    document = await generate(api, engagement["id"], kind="proposal", language=language)
    assert document["status"] == "ready", document["error"]
    assert re.fullmatch(r"[0-9a-f]{64}", document["sha256"])
    text = await download_text(api, document)
    assert "Müller Präzisionstechnik GmbH" in text
    assert gross in text
    assert heading in text
    assert "Angebotsassistent" in text and "KI-Leitlinie" in text


@pytest.mark.parametrize(
    ("language", "net_year", "roi"), [("de", "74.640,00 €", "211,00 %"), ("en", "€74,640.00", "211.00 %")]
)
async def test_result_report_shows_computed_savings(api: Api, language: str, net_year: str, roi: str) -> None:
    engagement = await engagement_with_results(api)
    document = await generate(api, engagement["id"], kind="result_report", language=language)
    assert document["status"] == "ready", document["error"]
    text = await download_text(api, document)
    # 49 min × 120 / 60 × 65 € = 6370 € − 150 € = 6220 €/month = 74640 €/year;
    # ROI (74640 − 24000) / 24000 = 211 %
    assert net_year in text
    assert roi in text
    assert "Bearbeitungszeit pro Angebot" in text  # the team's own words, as written
    # An English report says that the team's texts are quoted in German; a German one needs not.
    assert ("Team's notes" in text and "in German, as written" in text) == (language == "en")
    assert "Texte des Teams" not in text


async def test_status_report_for_a_week(api: Api) -> None:
    engagement = await engagement_with_results(api)
    await api.create(
        "status-updates",
        {
            "engagement_id": engagement["id"],
            "iso_week": "2026-W47",
            "rag": "amber",
            "summary": "ERP-Export verzögert",
            "done": "Kickoff gehalten\nLeitlinie entworfen",
        },
    )
    document = await generate(api, engagement["id"], kind="status_report", iso_week="2026-W47")
    assert (document["status"], document["iso_week"]) == ("ready", "2026-W47")
    text = await download_text(api, document)
    assert "ERP-Export verzögert" in text and "Leitlinie entworfen" in text
    assert "KW 47" in text


async def test_versions_are_immutable_and_numbered(api: Api) -> None:
    engagement = await engagement_with_results(api)
    first = await generate(api, engagement["id"], kind="proposal")
    await api.patch(
        f"/engagements/{engagement['id']}", json={"fixed_fee": "30000.00", "version": engagement["version"]}
    )
    second = await generate(api, engagement["id"], kind="proposal")
    assert (first["number"], second["number"]) == (1, 2)
    assert first["sha256"] != second["sha256"]
    assert "28.560,00 €" in await download_text(api, first)
    assert "35.700,00 €" in await download_text(api, second)
    listed = (await api.get(f"/engagements/{engagement['id']}/documents")).json()
    assert [d["number"] for d in listed["items"]] == [2, 1]
    assert listed["total"] == 2


async def test_a_download_asked_for_too_early_says_when_to_ask_again(api: Api) -> None:
    engagement = await engagement_with_results(api)
    queued = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "proposal"})).json()
    early = await api.get(f"/documents/{queued['id']}/download")
    assert early.status_code == 409 and early.headers["retry-after"] == "1"
    assert early.json()["type"] == "/problems/not-ready" and "still rendering" in early.json()["detail"]
    await api.run_jobs()
    assert (await api.get(f"/documents/{queued['id']}/download")).status_code == 200


async def test_download_has_a_sensible_filename(api: Api) -> None:
    engagement = await engagement_with_results(api)
    document = await generate(api, engagement["id"], kind="proposal")
    response = await api.get(f"/documents/{document['id']}/download")
    disposition = response.headers["content-disposition"]
    assert f'filename="Angebot_Mueller-Praezisionstechnik-GmbH_ANG-{engagement["id"]:04d}-1.pdf"' in disposition
    # Two engagements' first proposals, two weeks' reports: never one file name.
    second = await generate(api, engagement["id"], kind="status_report", iso_week="2026-W46")
    assert second["filename"].endswith(f"_STA-{engagement['id']:04d}-2026-W46-1.pdf")
    assert response.headers["etag"] == f'"{document["sha256"]}"'


async def test_unknown_week_and_kind_are_rejected(api: Api) -> None:
    engagement = await engagement_with_results(api)
    path = f"/engagements/{engagement['id']}/documents"
    assert (await api.post(path, json={"kind": "invoice"})).status_code == 422
    assert (await api.post(path, json={"kind": "status_report", "iso_week": "2025-W53"})).status_code == 422
    assert (await api.post("/engagements/999/documents", json={"kind": "proposal"})).status_code == 404
    assert (await api.get("/documents")).json()["total"] == 0


async def test_clients_only_reach_their_documents(api: Api, password_hash: str) -> None:
    engagement = await engagement_with_results(api)
    document = await generate(api, engagement["id"], kind="proposal")
    other = await make_client(api, "Fremd GmbH")
    await api.add_user("fremd", "client", password_hash, client_id=other["id"])
    await api.add_user("eigen", "client", password_hash, client_id=engagement["client_id"])
    assert (await api.get(f"/documents/{document['id']}/download", "fremd")).status_code == 404
    assert (await api.get(f"/engagements/{engagement['id']}/documents", "fremd")).status_code == 404
    # The client sees a version only once it was sent to them.
    assert (await api.get(f"/documents/{document['id']}/download", "eigen")).status_code == 404
    assert (await api.post(f"/documents/{document['id']}/release")).status_code == 202
    assert "Müller" in await download_text(api, document, "eigen")
    assert (
        await api.post(f"/engagements/{engagement['id']}/documents", "eigen", json={"kind": "proposal"})
    ).status_code == 403


async def test_failed_render_keeps_the_error_and_nothing_else_changes(api: Api) -> None:
    from sqlalchemy import update

    from backend.flows.documents.models import Document
    from backend.flows.documents.render import RenderPool
    from backend.flows.documents.service import generate_document

    engagement = await engagement_with_results(api)
    good = await generate(api, engagement["id"], kind="proposal")
    queued = (await api.post(f"/engagements/{engagement['id']}/documents", json={"kind": "result_report"})).json()
    maker, settings = api.app.state.session_maker, api.app.state.settings
    async with maker() as session:
        # A broken template stands in for any render failure.
        await session.exec(
            update(Document).where(Document.id == queued["id"]).values(template="no_such_template", status="queued")
        )
        await session.commit()
    renderer = RenderPool(threads=1)
    try:
        assert await generate_document(maker, settings, renderer, queued["id"]) == "failed"
    finally:
        renderer.close()
    failed = (await api.get(f"/documents/{queued['id']}")).json()
    assert failed["status"] == "failed"
    assert "unknown template 'no_such_template'" in failed["error"]
    refused = await api.get(f"/documents/{queued['id']}/download")
    assert refused.status_code == 409 and "retry-after" not in refused.headers  # asking again will not help
    assert "could not be rendered" in refused.json()["detail"]
    # the earlier version and the engagement are untouched
    assert (await api.get(f"/documents/{good['id']}")).json() == good
    assert (await api.get(f"/engagements/{engagement['id']}")).json()["version"] == engagement["version"]


async def test_generation_is_idempotent(api: Api) -> None:
    from backend.flows.documents.render import RenderPool
    from backend.flows.documents.service import generate_document

    engagement = await engagement_with_results(api)
    document = await generate(api, engagement["id"], kind="proposal")
    maker, settings = api.app.state.session_maker, api.app.state.settings
    renderer = RenderPool(threads=1)
    try:
        assert await generate_document(maker, settings, renderer, document["id"]) == "ready"
        assert (await api.get(f"/documents/{document['id']}")).json() == document
        assert await generate_document(maker, settings, renderer, 987654) == "missing"
    finally:
        renderer.close()


async def test_renders_run_in_threads_beside_the_event_loop() -> None:
    """The worker renders in threads of its own process (no process hop, no second copy of the
    app); Typst lets go of the GIL while it compiles, so the event loop goes on meanwhile."""
    import asyncio
    import json
    import os
    import threading
    from pathlib import Path

    from backend.flows.documents.render import TEMPLATES, RenderPool

    def children() -> list[str]:
        found: list[str] = []
        for task in Path(f"/proc/{os.getpid()}/task").iterdir():
            try:  # a thread may end between the listing and the read
                found += (task / "children").read_text().split()
            except FileNotFoundError:
                continue
        return sorted(found)

    before = children()  # the test run's own servers
    pool = RenderPool(threads=2, name="test-render")
    try:
        await pool.warm()
        assert sorted(t.name for t in threading.enumerate() if t.name.startswith("test-render")) == [
            "test-render_0",
            "test-render_1",
        ]
        assert children() == before
        data = json.loads((TEMPLATES / "samples" / "result_report.json").read_text())
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0)
                ticks += 1

        ticker = asyncio.create_task(tick())
        pdfs = await asyncio.gather(*(pool.render("result_report", data) for _ in range(4)))
        ticker.cancel()
        assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
        assert ticks > 100  # the loop ran on while the PDFs were compiled
    finally:
        pool.close()


async def test_a_proposal_leaves_out_a_situation_nobody_wrote(api: Api) -> None:
    client = await make_client(api)
    without = await make_engagement(api, client["id"])
    with_situation = await make_engagement(api, client["id"], situation="Angebote dauern heute zwei Tage.")
    assert "Ausgangslage" not in await download_text(api, await generate(api, without["id"], kind="proposal"))
    text = await download_text(api, await generate(api, with_situation["id"], kind="proposal"))
    assert "Ausgangslage" in text and "Angebote dauern heute zwei Tage." in text


def test_a_document_laid_out_after_another_shows_only_its_own_texts() -> None:
    """Typst reuses what it laid out for earlier documents (the page setup closes over the brand
    and language only); the running header, the PDF's title and the body must still be this
    document's own, in either order and after a document in the other language."""
    import io
    import json

    from pypdf import PdfReader

    from backend.flows.documents.render import TEMPLATES, render

    sample = json.loads((TEMPLATES / "samples" / "proposal.json").read_text())

    def proposal(number: str, client: str, lang: str) -> PdfReader:
        data = json.loads(json.dumps(sample))
        data.update(lang=lang)
        data["document"].update(number=number, title=f"Angebot {client}")
        data["client"]["name"] = client
        return PdfReader(io.BytesIO(render("proposal", data)))

    for number, client, lang in [("A-1", "Alpha GmbH", "de"), ("B-2", "Beta AG", "en"), ("A-1", "Alpha GmbH", "de")]:
        pdf = proposal(number, client, lang)
        assert pdf.metadata is not None and pdf.metadata.title == f"Angebot {client} {number}"
        later_page = pdf.pages[1].extract_text()
        assert f"Angebot {client} · {number}" in later_page
        other = "Beta" if client.startswith("Alpha") else "Alpha"
        assert all(other not in page.extract_text() for page in pdf.pages)
        assert ("Seite 2 von " in later_page) == (lang == "de")


async def test_a_drafted_status_calls_done_only_what_has_ended(api: Api) -> None:
    """The digest goes out on Monday morning: a workshop later in the week is coming up, not done."""
    from datetime import UTC, datetime, timedelta

    from backend.kernel.time import iso_week

    client = await make_client(api)
    engagement = await make_engagement(api, client["id"], start_date="2026-01-05", duration_weeks=104)
    now = datetime.now(UTC)
    for title, start in (("Rückblick", now - timedelta(hours=3)), ("Schulung", now + timedelta(hours=2))):
        await api.create(
            "workshops",
            {
                "engagement_id": engagement["id"],
                "kind": "enablement",
                "title": title,
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=1)).isoformat(),
            },
        )
        week = iso_week(start.date())
        text = await download_text(api, await generate(api, engagement["id"], kind="status_report", iso_week=week))
        flat = " ".join(text.split())
        if title == "Rückblick":
            assert "Workshop „Rückblick“ durchgeführt" in flat
        else:
            assert "Schulung“ durchgeführt" not in flat
            assert "Workshop „Schulung“ am" in flat


def test_only_the_documents_templates_render_and_errors_do_not_repeat_the_data() -> None:
    import json

    from backend.flows.documents.render import TEMPLATES, RenderError, render

    sample = json.loads((TEMPLATES / "samples" / "proposal.json").read_text())
    for name in ("../x", "./proposal", "common/../proposal", "proposal.typ", "", "proposal\x00", "common/style"):
        with pytest.raises(RenderError, match="unknown template"):
            render(name, sample)
    # Text that is no text still prints (a flag where a name belongs).
    assert render("proposal", sample | {"client": sample["client"] | {"name": True}}).startswith(b"%PDF")
    broken = sample | {"proposal": sample["proposal"] | {"valid_until": float("nan")}}  # not JSON
    with pytest.raises(RenderError) as failed:
        render("proposal", broken)
    assert "document's data" in str(failed.value) and sample["client"]["name"] not in str(failed.value)
    assert len(str(failed.value)) < 300


async def test_a_drafted_status_names_the_days_used_of_a_day_rate_engagement_only(api: Api) -> None:
    """Days sold are the client's business; a fixed fee's burn is internal cost and stays in."""
    from datetime import timedelta

    from backend.kernel.time import iso_week, today

    start = today() - timedelta(days=14)
    client = await make_client(api)
    by_day = await make_engagement(
        api, client["id"], start_date=str(start), pricing_model="day_rate", day_rate="1200.00", days="8", fixed_fee=None
    )
    fixed = await make_engagement(api, client["id"], start_date=str(start), fixed_fee="1000.00")
    rate = {"user_id": api.users["consultant"], "valid_from": "2026-01-01", "hourly_cost": "100.00"}
    await api.create("cost-rates", rate, "admin")
    for engagement in (by_day, fixed):  # 7 days of 8 hours, in the first week
        for n in range(7):
            entry = {"engagement_id": engagement["id"], "day": str(start + timedelta(days=n)), "minutes": 480}
            await api.create("time-entries", entry | {"description": "Arbeit"})
    week = iso_week(today())
    text = " ".join(
        (await download_text(api, await generate(api, by_day["id"], kind="status_report", iso_week=week))).split()
    )
    assert "Beratertage: 7 von 8 verbraucht (88 %)" in text
    text = " ".join(
        (await download_text(api, await generate(api, fixed["id"], kind="status_report", iso_week=week))).split()
    )
    assert "Beratertage" not in text and "5.600" not in text


async def test_a_past_weeks_status_shows_the_burn_as_it_stood_then(api: Api) -> None:
    from datetime import timedelta

    from backend.kernel.time import iso_week, today

    monday = today() - timedelta(days=today().weekday() + 14)  # two weeks ago
    client = await make_client(api)
    by_day = await make_engagement(
        api,
        client["id"],
        start_date=str(monday),
        pricing_model="day_rate",
        day_rate="1200.00",
        days="1",
        fixed_fee=None,
    )
    later = monday + timedelta(days=7)
    for n in range(2):
        await api.create(
            "time-entries",
            {"engagement_id": by_day["id"], "day": str(later + timedelta(days=n)), "minutes": 480, "description": "X"},
        )
    first = await generate(api, by_day["id"], kind="status_report", iso_week=iso_week(monday))
    assert "Beratertage" not in " ".join((await download_text(api, first)).split())
    second = await generate(api, by_day["id"], kind="status_report", iso_week=iso_week(later))
    assert "Beratertage: 2 von 1 verbraucht (200 %)" in " ".join((await download_text(api, second)).split())
