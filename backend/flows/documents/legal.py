"""The standard contract texts a proposal's acceptance includes: the General Terms (AGB) and,
where pilots process personal data, the data processing agreement (AVV, Art. 28 GDPR).

Each text is a file `<kind>.<lang>.md` whose first line names its version; a proposal names the
version and the SHA-256 of the text, and the acceptance records both, so what was agreed can be
shown years later. The consultancy keeps its own texts in DESK_LEGAL_DIR."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from backend.flows.documents.render import TEMPLATES
from backend.kernel.errors import NotFound

BUNDLED = TEMPLATES / "legal"


class LegalKind(StrEnum):
    agb = "agb"  # Allgemeine Geschäftsbedingungen
    avv = "avv"  # Auftragsverarbeitungsvertrag
    toms = "toms"  # technische und organisatorische Maßnahmen (Art. 32 GDPR), the AVV's annex


@dataclass(frozen=True)
class LegalText:
    kind: LegalKind
    lang: str
    version: str
    text: str  # the body, after the version line
    file: str  # the whole file: what the SHA-256 is of
    sha256: str  # of the whole file as UTF-8: version line and body

    def reference(self) -> dict[str, str]:
        """What a proposal and its acceptance keep of the text."""
        return {"kind": self.kind, "lang": self.lang, "version": self.version, "sha256": self.sha256}


def legal_text(kind: LegalKind, lang: str, directory: str = "") -> LegalText:
    lang = lang if lang in ("de", "en") else "de"
    path = Path(directory or BUNDLED) / f"{kind}.{lang}.md"
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise NotFound(f"no {kind} text in {lang}") from exc
    return _read(path, stamp, kind, lang)


@cache
def _read(path: Path, stamp: int, kind: LegalKind, lang: str) -> LegalText:
    """One read per file version (the modification time is part of the key): an edited text is
    picked up without a restart."""
    raw = path.read_bytes()
    whole = raw.decode("utf-8")
    first, _, body = whole.partition("\n")
    version = first.partition(":")[2].strip() or first.strip()
    return LegalText(
        kind=kind, lang=lang, version=version, text=body.strip(), file=whole, sha256=hashlib.sha256(raw).hexdigest()
    )
