"""Render speed per document kind, and the proposal against WeasyPrint.

    make bench-render          (installs WeasyPrint into the venv for this comparison only)

Prints p50/p95 of warm renders (one reused compiler, as the worker uses it) for every template
with its sample data, then renders the same proposal content as HTML with WeasyPrint and prints
the ratio. Targets: proposal p50 ≤ 20 ms warm and ≥ 50× faster than WeasyPrint.
"""

from __future__ import annotations

import html
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader

from backend.reports.render import TEMPLATES, render

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


def proposal_html(data: dict) -> str:
    """The proposal's content as a plain HTML page of similar size and structure."""
    e = html.escape
    prop = data["proposal"]
    scope = "".join(
        f"<h3>{e(week['label'])}</h3><ul>"
        + "".join(f"<li><b>{e(i['kind_label'])}</b> {e(i['title'])} — {e(i['detail'])}</li>" for i in week["items"])
        + "</ul>"
        for week in prop["scope"]
    )
    lines = "".join(
        f"<tr><td>{e(x['description'])}</td><td>{e(x['quantity'])}</td><td>{e(x['unit_price'])}</td><td>{e(x['amount'])}</td></tr>"
        for x in prop["pricing"]["lines"]
    )
    price = prop["pricing"]
    return f"""<html><head><style>
    @page {{ size: A4; margin: 2cm; @bottom-right {{ content: counter(page) " / " counter(pages); }} }}
    body {{ font-family: 'DejaVu Sans', sans-serif; font-size: 10pt; }}
    table {{ width: 100%; border-collapse: collapse; }} td {{ border-bottom: 1px solid #ccc; padding: 4px; }}
    </style></head><body>
    <p>{e(data['brand']['name'])} · {' · '.join(map(e, data['brand']['address_lines']))}</p>
    <p><b>{e(data['client']['name'])}</b><br>{'<br>'.join(map(e, data['client']['address_lines']))}</p>
    <h1>{e(data['document']['title'])}: {e(data['engagement']['title'])}</h1>
    <h2>Ausgangslage</h2><p>{e(prop['situation'])}</p>
    <h2>Ziele</h2><ul>{''.join(f'<li>{e(g)}</li>' for g in prop['goals'])}</ul>
    <h2>Leistungsumfang</h2>{scope}
    <h2>Preise</h2><table>{lines}
    <tr><td colspan=3>Netto</td><td>{e(price['net'])}</td></tr>
    <tr><td colspan=3>USt. {e(price['vat_rate'])}</td><td>{e(price['vat'])}</td></tr>
    <tr><td colspan=3><b>Brutto</b></td><td><b>{e(price['gross'])}</b></td></tr></table>
    <h2>Konditionen</h2><ul>{''.join(f'<li>{e(t)}</li>' for t in prop['terms'])}</ul>
    <p>Gültig bis {e(prop['valid_until'])}</p><p>Ort, Datum ____________ Unterschrift ____________</p>
    </body></html>"""


def main() -> int:
    samples = {kind: json.loads((TEMPLATES / "samples" / f"{kind}.json").read_text()) for kind in KINDS}
    results = {}
    print(f"{'document':<16}{'p50 ms':>10}{'p95 ms':>10}{'pages':>8}")
    for kind in KINDS:
        pdf = render(kind, samples[kind])
        counter = iter(range(10**9))

        def fresh(kind: str = kind) -> bytes:
            # A new document number each time, so Typst's memoisation cannot replay a whole
            # earlier compile: the figures are what a stream of distinct documents costs.
            data = json.loads(json.dumps(samples[kind]))
            data["document"]["number"] = f"BENCH-{next(counter)}"
            return render(kind, data)

        times = timed(fresh, runs=200)
        results[kind] = p(times, 50)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"{kind:<16}{p(times, 50):>10.2f}{p(times, 95):>10.2f}{pages:>8}")
    try:
        import weasyprint
    except ImportError:
        print("\nWeasyPrint is not installed: run `make bench-render` for the comparison.")
        return 0
    page = proposal_html(samples["proposal"])
    weasy = timed(lambda: weasyprint.HTML(string=page).write_pdf(), runs=20, warmup=2)
    ratio = p(weasy, 50) / results["proposal"]
    print(f"\nWeasyPrint proposal: p50 {p(weasy, 50):.1f} ms, p95 {p(weasy, 95):.1f} ms")
    print(f"Typst is {ratio:.0f}x faster (target ≥ 50x); proposal p50 {results['proposal']:.2f} ms (target ≤ 20 ms)")
    ok = ratio >= 50 and results["proposal"] <= 20
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
