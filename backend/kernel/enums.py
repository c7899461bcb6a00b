"""Vocabulary shared by several domains."""

from enum import StrEnum


class Language(StrEnum):
    de = "de"
    en = "en"


class Role(StrEnum):
    admin = "admin"
    consultant = "consultant"
    client = "client"


class InvoiceFormat(StrEnum):
    """How a client receives invoices."""

    zugferd = "zugferd"  # a PDF/A-3 with the CII XML inside (ZUGFeRD / Factur-X, profile EN 16931)
    xrechnung = "xrechnung"  # the CII XML alone, in the German CIUS (public-sector clients)
