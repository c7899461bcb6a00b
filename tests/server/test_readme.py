"""The README's tour runs as written: its shell blocks, pasted in order into one shell, against a
fresh `desk run` with the demo data. A change that breaks a command of the tour fails here."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import redis_url
from tests.live_server import live_server

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not (shutil.which("bash") and shutil.which("curl")), reason="needs bash and curl")


def tour_script() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## A tour with curl\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("readme")
    (workdir / "var" / "outbox").mkdir(parents=True)
    with live_server(workdir, smtp_url=f"file://{workdir / 'var' / 'outbox'}", redis_url=redis_url(12)) as base:
        yield base, workdir


def test_the_tour_runs_as_written(server: tuple[str, Path]) -> None:
    base, workdir = server
    script = tour_script().replace("http://127.0.0.1:8000", base)
    assert script.count("api ") > 20 and "portal/sessions" in script  # the whole tour, not a stub
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=180,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said[-3000:]
    for shown in ("/problems/illegal-transition", "/problems/version-conflict", '"path":"body.umsatz"'):
        assert shown in said, shown
    assert '"fee_net":"11200.00","fee_gross":"13328.00"' in said
    assert '"typed_name":"Petra Holzmann"' in said and "\nactive\n" in said
    assert '"status":"rejected"' in said and '"rejection_reason":"Abschnitt Datenschutz fehlt"' in said
    assert '"name":"Angebotsvorlage.md"' in said and "\nrejected\n" in said  # the artefact, the request closed
    (pdf,) = (workdir / "var").glob("Angebot_Schreinerei-Holzmann-GmbH_ANG-*-1.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    (status_report,) = (workdir / "var").glob("Statusbericht_*.pdf")
    assert status_report.read_bytes().startswith(b"%PDF")
    assert '"status":"sent"' in said  # the demo engagement's digest
    # The approved statement invoiced once, issued as a ZUGFeRD PDF, mailed, paid, exported.
    (invoice,) = (workdir / "var").glob("RE-*-0001.pdf")
    assert "factur-x.xml" in PdfReader(invoice).attachments and "\npaid\n" in said and "/problems/conflict" in said
    (datev,) = (workdir / "var").glob("EXTF_Buchungsstapel_*.csv")
    assert datev.read_bytes().startswith(b'"EXTF";700;21;"Buchungsstapel"')
    assert "'used_pct': '" in said and '"description":"Pilot-Review"' in said  # burn, and a time entry
