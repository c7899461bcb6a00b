"""Render speed per document kind, beside a plain Typst document and WeasyPrint.

    make bench-render          (installs the pinned WeasyPrint into the venv for this comparison)

Prints p50/p95 of warm renders (one reused compiler, as the worker uses it) for every template,
in two streams: *distinct* documents (every text of the sample data changed, as between two
clients: only the brand, the fixed wording and the layout can be reused) and *new versions*
(the same content under a new number, as when a proposal is sent again). Beside them, in the
same run, the floor: a plain two-page Typst document in the same font, compiled fresh each
time. Then the same proposal as HTML with WeasyPrint.

Targets (distinct documents): proposal and status report p50 ≤ 10 ms, result report ≤ 20 ms,
each ≤ 2× the floor (the result report, with its charts and KPI tables, ≤ 4×), and the
proposal ≥ 25× faster than WeasyPrint. Exits 1 when one is missed.
"""

from __future__ import annotations

import html
import io
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import typst
from pypdf import PdfReader

from backend.flows.documents.render import TEMPLATES, _shared_fonts, render

KINDS = ("proposal", "result_report", "status_report")


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


FONT_FACES = "".join(
    f"@font-face {{ font-family: 'Source Sans Pro'; font-weight: {weight}; font-style: {style}; "
    f"src: url('{(TEMPLATES / 'fonts' / name).as_uri()}'); }}"
    for name, weight, style in (
        ("SourceSansPro-Regular.otf", 400, "normal"),
        ("SourceSansPro-It.otf", 400, "italic"),
        ("SourceSansPro-Semibold.otf", 600, "normal"),
        ("SourceSansPro-Bold.otf", 700, "normal"),
    )
)

# The Typst proposal's design in HTML/CSS: same fonts, letterhead, running header, legal footer
# on every page with "Seite X von Y", address window, reference block, week blocks with tags,
# price table with totals, terms and the acceptance block.
CSS = (
    FONT_FACES
    + """
@page { size: A4; margin: 30mm 20mm 34mm 25mm;
  @top-left { content: element(header); width: 100%; }
  @bottom-left { content: element(footer); width: 100%; }
  @bottom-right { content: "Seite " counter(page) " von " counter(pages); font-size: 6.5pt; color: #6b7280; } }
@page :first { @top-left { content: element(letterhead); } }
body { font-family: 'Source Sans Pro', 'DejaVu Sans', sans-serif; font-size: 10pt; color: #1f2937; line-height: 1.35; }
.letterhead { position: running(letterhead); display: flex; justify-content: space-between;
  border-bottom: 1.2pt solid #0f4c5c; padding-bottom: 3pt; }
.letterhead b { color: #0f4c5c; font-size: 16pt; }
.header { position: running(header); display: flex; justify-content: space-between; font-size: 8.5pt;
  color: #6b7280; border-bottom: 0.5pt solid #d1d5db; }
.footer { position: running(footer); display: grid; grid-template-columns: 1.15fr 1fr 1.2fr 1.15fr;
  gap: 8pt; font-size: 6.5pt; color: #6b7280; border-top: 0.5pt solid #d1d5db; padding-top: 3pt; }
.window { display: flex; gap: 8mm; margin-top: 4mm; }
.window .to { flex: 1; } .sender { font-size: 6.5pt; color: #6b7280; text-decoration: underline; }
.meta { width: 72mm; } .meta td:first-child { color: #6b7280; width: 25mm; }
.kicker { color: #0f4c5c; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase; font-size: 8.5pt; margin-top: 14mm; }
h1 { font-size: 18pt; color: #0f4c5c; margin: 2pt 0 6mm; }
h2 { counter-increment: h2; font-size: 13pt; color: #0f4c5c; margin: 5mm 0 2mm; }
h2::before { content: counter(h2) "  "; }
.week { border-left: 2pt solid #0f4c5c; padding-left: 6pt; margin: 6pt 0; break-inside: avoid; }
.week h3 { font-size: 10pt; color: #0f4c5c; margin: 0 0 3pt; }
.item { display: grid; grid-template-columns: 22mm 1fr; gap: 6pt; margin: 2pt 0; }
.tag { border: 0.6pt solid #0f4c5c; border-radius: 3pt; color: #0f4c5c; font-size: 6.5pt; text-transform: uppercase; padding: 0 3pt; }
.detail { color: #6b7280; font-size: 8.5pt; }
table.price { width: 100%; border-collapse: collapse; margin-top: 4pt; }
table.price th { text-align: left; color: #0f4c5c; border-bottom: 1pt solid #0f4c5c; font-size: 8.5pt; }
table.price td { border-bottom: 0.5pt solid #d1d5db; padding: 3pt; } .num { text-align: right; }
.totals { margin-left: auto; width: 55%; } .totals td { padding: 2pt 3pt; } .gross td { font-weight: 700; border-top: 1pt solid #0f4c5c; }
.accept { break-inside: avoid; border: 0.8pt solid #0f4c5c; border-radius: 4pt; padding: 8pt; margin-top: 8mm; }
.sign { display: flex; gap: 12mm; margin-top: 14mm; } .sign div { flex: 1; border-top: 0.5pt solid #1f2937; font-size: 8pt; }
"""
)


def proposal_html(data: dict) -> str:
    e = html.escape
    brand, client, prop, price = data["brand"], data["client"], data["proposal"], data["proposal"]["pricing"]
    bank = brand["bank"]
    contact = client.get("contact") or {}
    scope = "".join(
        f"<div class=week><h3>{e(week['label'])}</h3>"
        + "".join(
            f"<div class=item><span><span class=tag>{e(i['kind_label'])}</span></span>"
            f"<span><b>{e(i['title'])}</b><br><span class=detail>{e(i['detail'])}</span></span></div>"
            for i in week["items"]
        )
        + "</div>"
        for week in prop["scope"]
    )
    rows = "".join(
        f"<tr><td>{n}</td><td>{e(x['description'])}</td><td class=num>{e(x['quantity'])}</td>"
        f"<td class=num>{e(x['unit_price'])}</td><td class=num>{e(x['amount'])}</td></tr>"
        for n, x in enumerate(prop["pricing"]["lines"], start=1)
    )
    bullets = lambda xs: "<ul>" + "".join(f"<li>{e(x)}</li>" for x in xs) + "</ul>"  # noqa: E731
    return f"""<html lang=de><head><meta charset=utf-8><style>{CSS}</style></head><body>
<div class=letterhead><b>{e(brand["name"])}</b><span class=detail>{e(" · ".join(brand["address_lines"]))} · {e(brand["website"])}</span></div>
<div class=header><b>{e(brand["name"])}</b><span>{e(data["document"]["title"])} · {e(data["document"]["number"])}</span></div>
<div class=footer>
  <div><b>{e(brand["name"])}</b><br>{"<br>".join(map(e, brand["address_lines"]))}</div>
  <div>Tel. {e(brand["phone"])}<br>{e(brand["email"])}<br>{e(brand["website"])}</div>
  <div>{e(brand["register"])}<br>Geschäftsführung: {e(brand["managing_director"])}<br>USt-IdNr. {e(brand["vat_id"])}</div>
  <div>{e(bank["name"])}<br>IBAN {e(bank["iban"])}<br>BIC {e(bank["bic"])}</div>
</div>
<div class=window><div class=to><div class=sender>{e(brand["name"])} · {e(" · ".join(brand["address_lines"]))}</div>
  <p><b>{e(client["name"])}</b><br>z. Hd. {e(contact.get("name", ""))}<br>{"<br>".join(map(e, client["address_lines"]))}</p></div>
  <table class=meta><tr><td>Angebotsnummer</td><td><b>{e(data["document"]["number"])}</b></td></tr>
  <tr><td>Datum</td><td>{e(data["document"]["date"])}</td></tr><tr><td>Gültig bis</td><td>{e(prop["valid_until"])}</td></tr>
  <tr><td>Ansprechpartner</td><td>{e(data["engagement"]["lead"]["name"])}<br><span class=detail>{e(data["engagement"]["lead"]["email"])}</span></td></tr></table></div>
<div class=kicker>{e(data["document"]["title"])}</div><h1>{e(data["engagement"]["title"])}</h1>
<p>Guten Tag {e(contact.get("name", ""))},</p><p>vielen Dank für das angenehme Gespräch. Gerne unterbreiten wir Ihnen unser Angebot für das Vorhaben „{e(data["engagement"]["title"])}“.</p>
<h2>Ausgangslage</h2><p>{e(prop["situation"])}</p>
<h2>Ziele</h2>{bullets(prop["goals"])}
<h2>Leistungsumfang nach Wochen</h2>{scope}
<h2>Preise</h2><table class=price><tr><th>Pos.</th><th>Beschreibung</th><th class=num>Menge</th><th class=num>Einzelpreis</th><th class=num>Betrag</th></tr>{rows}</table>
<table class=totals><tr><td>Zwischensumme netto</td><td class=num>{e(price["net"])}</td></tr>
<tr><td>zzgl. {e(price["vat_rate"])} USt.</td><td class=num>{e(price["vat"])}</td></tr>
<tr class=gross><td>Gesamtbetrag brutto</td><td class=num>{e(price["gross"])}</td></tr></table>
<h2>Konditionen</h2>{bullets(prop["terms"])}<p>An dieses Angebot halten wir uns bis zum {e(prop["valid_until"])} gebunden.</p>
<p>Mit freundlichen Grüßen</p><p>{e(data["engagement"]["lead"]["name"])}<br><span class=detail>{e(brand["name"])}</span></p>
<div class=accept><h2>Auftragserteilung</h2><p>Hiermit beauftragen wir {e(brand["name"])} gemäß diesem Angebot
{e(data["document"]["number"])} zum Gesamtbetrag von {e(price["gross"])} brutto.</p><p>{e(prop["signatory"])}</p>
<div class=sign><div>Ort, Datum</div><div>Unterschrift, Firmenstempel</div></div></div>
</body></html>"""


TARGET_MS = {"proposal": 10.0, "status_report": 10.0, "result_report": 20.0}
FLOOR_TIMES = {"proposal": 2.0, "status_report": 2.0, "result_report": 4.0}
BRAND_FIXED = ("brand", "lang", "kind", "rag", "status", "team_language", "model", "logo_svg")

# Two pages of plain text in the documents' font: what any Typst document of this size costs.
FLOOR = """#set page(paper: "a4")
#set text(font: "Source Sans Pro", size: 10pt)
= Floor #sys.inputs.at("n", default: "0")
#for i in range(70) [ Lorem ipsum dolor sit amet #i, consectetur adipiscing elit, sed do eiusmod tempor. ]
"""


def distinct(value: object, n: int) -> object:
    """The data with every text changed (a number appended), except the brand and codes."""
    if isinstance(value, dict):
        return {k: v if k in BRAND_FIXED else distinct(v, n) for k, v in value.items()}
    if isinstance(value, list):
        return [distinct(v, n) for v in value]
    return f"{value} {n}" if isinstance(value, str) and value else value


def floor_ms(counter: Iterator[int]) -> list[float]:
    # A compiler of its own: the documents' compiler keeps its inputs from one render to the next.
    compiler = typst.Compiler(font_paths=_shared_fonts(), ignore_system_fonts=True)
    source = FLOOR.encode()
    return timed(lambda: compiler.compile(input=source, format="pdf", sys_inputs={"n": str(next(counter))}), runs=200)


def main() -> int:
    samples = {kind: json.loads((TEMPLATES / "samples" / f"{kind}.json").read_text()) for kind in KINDS}
    counter = iter(range(10**9))
    floor = p(floor_ms(counter), 50)
    print(f"plain 2-page Typst document (floor): p50 {floor:.2f} ms\n")
    print(f"{'document':<16}{'pages':>6}{'distinct p50':>14}{'p95':>8}{'× floor':>9}{'new version p50':>17}")
    missed = []
    results = {}
    for kind in KINDS:
        pages = len(PdfReader(io.BytesIO(render(kind, samples[kind]))).pages)

        def fresh(kind: str = kind) -> bytes:
            n = next(counter)
            data = distinct(samples[kind], n)
            assert isinstance(data, dict)
            data["document"]["number"] = f"BENCH-{n}"
            return render(kind, data)

        def version(kind: str = kind) -> bytes:
            data = json.loads(json.dumps(samples[kind]))
            data["document"]["number"] = f"BENCH-{next(counter)}"
            return render(kind, data)

        times, versions = timed(fresh, runs=200), timed(version, runs=100)
        results[kind] = p50 = p(times, 50)
        ratio = p50 / floor
        print(f"{kind:<16}{pages:>6}{p50:>14.2f}{p(times, 95):>8.2f}{ratio:>9.1f}{p(versions, 50):>17.2f}")
        if p50 > TARGET_MS[kind]:
            missed.append(f"{kind} p50 {p50:.1f} ms > {TARGET_MS[kind]:.0f} ms")
        if ratio > FLOOR_TIMES[kind]:
            missed.append(f"{kind} {ratio:.1f}× the floor > {FLOOR_TIMES[kind]:.0f}×")
    try:
        import weasyprint
    except ImportError:
        print("\nWeasyPrint is not installed: run `make bench-render` for the comparison.")
        return 1
    page = proposal_html(samples["proposal"])
    weasy = timed(lambda: weasyprint.HTML(string=page).write_pdf(), runs=20, warmup=2)
    ratio = p(weasy, 50) / results["proposal"]
    print(f"\nWeasyPrint {weasyprint.__version__} proposal: p50 {p(weasy, 50):.1f} ms, p95 {p(weasy, 95):.1f} ms")
    print(f"Typst is {ratio:.0f}× faster (target ≥ 25×)")
    if ratio < 25:
        missed.append(f"only {ratio:.0f}× WeasyPrint")
    for line in missed:
        print("TARGET MISSED:", line)
    if not missed:
        print("targets met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
