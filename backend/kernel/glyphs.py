"""What the documents' fonts cannot print. A PDF/A may not show a character without its glyph,
so Typst refuses such a text in an archival PDF (an invoice, a certificate, the AI-literacy
register): those characters are refused up front, with their names, instead of failing later.
The fonts (report_templates/fonts: Source Sans Pro, DejaVu Sans) cover Latin, Greek, Cyrillic,
punctuation, currency and common symbols; not the CJK scripts, Hangul, full-width forms or
anything beyond the Basic Multilingual Plane (emoji)."""

from __future__ import annotations

import unicodedata

# The CJK scripts and Hangul, the noncharacters (no XML may hold them), full-width forms and
# the specials U+FFF0…FFFF, and everything beyond the Basic Multilingual Plane.
_MISSING = ((0x2E80, 0xFAFF), (0xFDD0, 0xFDEF), (0xFF00, 0xFFFF), (0x10000, 0x10FFFF))


def unprintable(text: str | None) -> list[str]:
    """The characters of `text` the documents cannot print, each once, in order."""
    seen: list[str] = []
    for ch in text or "":
        if any(low <= ord(ch) <= high for low, high in _MISSING) and ch not in seen:
            seen.append(ch)
    return seen


def refuse_unprintable(value: str | None) -> str | None:
    """A field validator: the text, or a ValueError naming what cannot be printed."""
    if missing := unprintable(value):
        names = ", ".join(f"{ch} ({unicodedata.name(ch, hex(ord(ch)))})" for ch in missing[:5])
        raise ValueError(f"the documents' font cannot print {names}: the PDF/A would have to leave it out")
    return value


def visible(text: str | None) -> bool:
    """Whether a text shows anything: at least one letter or digit (not only spaces, joiners,
    combining marks or other invisible characters)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text or "")


def printable(value: object) -> object:
    """`value` (a text, or lists and dicts of them) with what the fonts cannot print as "?":
    for documents made of data stored before its fields were checked."""
    if isinstance(value, str):
        return "".join("?" if any(low <= ord(ch) <= high for low, high in _MISSING) else ch for ch in value)
    if isinstance(value, list):
        return [printable(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k.endswith("_svg") else printable(v) for k, v in value.items()}
    return value
