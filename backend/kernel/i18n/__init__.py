"""The one catalog of every word the product shows: `de.toml` and `en.toml` beside this file.

Sections: `page` (admin and portal pages), `validation` (form errors, German only; English
pages show pydantic's own text), `mail`, `document` (words the data puts into documents) and
`template` (the Typst templates' fixed wording; `report_templates/common/i18n.typ` reads that
table from the same files). A value is a text with `{name}` placeholders, or a table
`{ one = …, other = … }` chosen by the value `n`; a nested table is a group of labels.
Both files have the same keys (tests/kernel/test_i18n.py); a language other than these is German.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

HERE = Path(__file__).resolve().parent
LANGUAGES = ("de", "en")
DEFAULT = "de"


def norm_lang(lang: object) -> str:
    """A supported language code, or German for anything else (a bad value never breaks a page)."""
    if isinstance(lang, str) and lang.strip().lower() in LANGUAGES:
        return lang.strip().lower()
    return DEFAULT


@cache
def catalog(lang: str) -> Mapping[str, Any]:
    with (HERE / f"{norm_lang(lang)}.toml").open("rb") as file:
        return MappingProxyType(tomllib.load(file))


@cache
def words(section: str, lang: str) -> Mapping[str, Any]:
    """One section's entries in `lang`, read-only."""
    return MappingProxyType(dict(catalog(lang).get(section, {})))


def fill(entry: Any, values: Mapping[str, object]) -> str:
    """An entry with its placeholders filled; a plural table picks `one` when n is 1."""
    if isinstance(entry, dict):
        entry = entry["one"] if values.get("n") in (1, "1") else entry["other"]
    return str(entry).format_map(values) if values else str(entry)


def say(section: str, lang: str, key: str, **values: object) -> str:
    """`key` of `section` in `lang` with `values` filled in; a missing key shows itself."""
    entry = words(section, lang).get(key)
    return key if entry is None else fill(entry, values)
