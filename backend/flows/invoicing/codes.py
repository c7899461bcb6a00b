"""The code lists an EN 16931 invoice draws from, limited to what a consultancy bills.

Units are UN/ECE Recommendation 20 codes, invoice types UNTDID 1001, VAT categories UNCL 5305,
payment means UNTDID 4461. Each label is what the invoice prints beside the code.
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceKind(StrEnum):
    invoice = "invoice"  # 380: the (final) invoice
    partial = "partial"  # 326: a part of the work, done and billed before the rest
    advance = "advance"  # 386: payment asked for ahead of the work (Anzahlungsrechnung)
    credit_note = "credit_note"  # 381: takes back (part of) an issued invoice


TYPE_CODES = {
    InvoiceKind.invoice: "380",
    InvoiceKind.partial: "326",
    InvoiceKind.advance: "386",
    InvoiceKind.credit_note: "381",
}


class Unit(StrEnum):
    HUR = "HUR"  # hour
    DAY = "DAY"  # day
    C62 = "C62"  # one (a piece, a flat fee)
    LS = "LS"  # lump sum
    MON = "MON"  # month


class VatCategory(StrEnum):
    S = "S"  # standard rate (19 %, 7 %)
    Z = "Z"  # zero rated
    E = "E"  # exempt (with the reason, e.g. § 4 Nr. 21 UStG for recognised training)
    AE = "AE"  # reverse charge: the client owes the VAT (§ 13b UStG, EU business clients)


# The reason printed (and put in BT-120) when no VAT is charged and none is given.
DEFAULT_EXEMPTION = {
    VatCategory.AE: "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, § 13b UStG)",
}

# SEPA credit transfer: the buyer pays to the IBAN on the invoice.
SEPA_CREDIT_TRANSFER = "58"

# The specification an invoice declares it follows (BT-24) and its business process (BT-23).
EN16931 = "urn:cen.eu:en16931:2017"
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BILLING = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
