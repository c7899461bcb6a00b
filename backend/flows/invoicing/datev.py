"""The issued invoices for the tax advisor: a DATEV Buchungsstapel (EXTF format 700, data
category 21, version 13, 125 columns), as DATEV Rechnungswesen imports it.

One booking per invoice and VAT rate: the gross amount on the client's debtor account (debit
"S"; a credit note credit "H") against the revenue account of its rate. The revenue accounts
are DATEV's automatic accounts, which book the VAT themselves, so no BU key is needed. Text
fields are quoted, amounts have a decimal comma, dates are TTMM (Belegdatum) or TTMMJJJJ,
lines end in CRLF, the file is Windows-1252 (what DATEV reads by default).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.flows.invoicing.codes import InvoiceKind
from backend.flows.invoicing.models import Invoice, InvoiceStatus
from backend.kernel.config import Settings
from backend.kernel.errors import Invalid
from backend.kernel.time import BERLIN

# Revenue accounts (automatic accounts) by chart, VAT category and rate.
REVENUE = {
    "SKR03": {
        ("S", "19.00"): "8400",
        ("S", "7.00"): "8300",
        ("AE", "0.00"): "8336",
        ("E", "0.00"): "8100",
        ("Z", "0.00"): "8200",
    },
    "SKR04": {
        ("S", "19.00"): "4400",
        ("S", "7.00"): "4300",
        ("AE", "0.00"): "4336",
        ("E", "0.00"): "4100",
        ("Z", "0.00"): "4200",
    },
}

COLUMNS = [
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz",
    "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1",
    "Belegfeld 2", "Skonto", "Buchungstext", "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank",
    "Sachverhalt", "Zinssperre", "Beleglink",
    *(f"Beleginfo - {part} {n}" for n in range(1, 9) for part in ("Art", "Inhalt")),
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "KOST-Menge", "EU-Mitgliedstaat u. USt-IdNr.", "EU-Steuersatz",
    "Abw. Versteuerungsart", "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *(f"Zusatzinformation - {part} {n}" for n in range(1, 21) for part in ("Art", "Inhalt")),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr", "Zugeordnete Fälligkeit", "Skontotyp",
    "Auftragsnummer", "Buchungstyp", "USt-Schlüssel (Anzahlungen)", "EU-Mitgliedstaat (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)", "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz",
    "Leerfeld", "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername", "Beteiligtennummer",
    "Identifikationsnummer", "Zeichnernummer", "Postensperre bis", "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung", "Festschreibung", "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit",
    "Generalumkehr (GU)", "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position",
    "EU-Mitgliedstaat u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
]  # fmt: skip
assert len(COLUMNS) == 125
AT = {name: i for i, name in enumerate(COLUMNS)}
EXPORTED = (InvoiceStatus.issued, InvoiceStatus.sent, InvoiceStatus.paid, InvoiceStatus.cancelled)


def _text(value: str, limit: int) -> str:
    return '"' + value.replace('"', "'")[:limit] + '"'


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: date | None) -> str:
    return value.strftime("%d%m%Y") if value else ""


def _header(settings: Settings, start: date, end: date, now: datetime) -> list[str]:
    months = f"{start:%m/%Y}" if start.month == end.month else f"{start:%m}-{end:%m/%Y}"
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
    return [
        '"EXTF"', "700", "21", '"Buchungsstapel"', "13", stamp,
        "", '"ED"', '"EngagementDesk"', "", str(settings.datev_consultant_number),
        str(settings.datev_client_number), f"{start.year}0101", "4", start.strftime("%Y%m%d"), end.strftime("%Y%m%d"),
        _text(f"Rechnungsausgang {months}", 30), '""', "1", "0", "0", '"EUR"', "", '""', "", "",
        f'"{settings.datev_chart[-2:]}"', "", "", '""', '""',
    ]  # fmt: skip


def _debtor(settings: Settings, client_id: int) -> str:
    return str(settings.datev_debtor_base + client_id)


def _rows(settings: Settings, invoice: Invoice) -> list[list[str]]:
    data: dict[str, Any] = invoice.data_snapshot or {}
    accounts = REVENUE[settings.datev_chart]
    credit = invoice.kind == InvoiceKind.credit_note
    rows = []
    for group in data.get("totals", {}).get("breakdown", []):
        row = [""] * len(COLUMNS)
        gross = Decimal(group["taxable"]) + Decimal(group["tax"])
        if gross == 0:
            continue  # DATEV refuses a booking of 0,00
        row[AT["Umsatz (ohne Soll/Haben-Kz)"]] = _amount(gross)
        row[AT["Soll/Haben-Kennzeichen"]] = '"H"' if credit else '"S"'
        row[AT["WKZ Umsatz"]] = f'"{invoice.currency}"'
        row[AT["Konto"]] = _debtor(settings, invoice.client_id)
        row[AT["Gegenkonto (ohne BU-Schlüssel)"]] = accounts.get(
            (group["category"], group["rate"]), accounts[("S", "19.00")]
        )
        row[AT["BU-Schlüssel"]] = '""'
        row[AT["Belegdatum"]] = invoice.issue_date.strftime("%d%m") if invoice.issue_date else ""
        # Belegfeld 1 takes letters, digits and $ & % * + - / only.
        row[AT["Belegfeld 1"]] = _text(re.sub(r"[^\w$&%*+\-/]", "-", invoice.number or ""), 36)
        row[AT["Buchungstext"]] = _text(f"{data.get('buyer', {}).get('name', '')} {invoice.number}", 60)
        if group["category"] == "AE" and data.get("buyer", {}).get("vat_id"):
            row[AT["EU-Mitgliedstaat u. USt-IdNr."]] = _text(data["buyer"]["vat_id"], 15)
        row[AT["Auftragsnummer"]] = _text(str(invoice.engagement_id), 30)
        row[AT["Buchungstyp"]] = {InvoiceKind.advance: '"AA"'}.get(invoice.kind, '"SR"' if invoice.prepaid else '""')
        row[AT["Festschreibung"]] = "0"
        row[AT["Leistungsdatum"]] = _day(invoice.period_end)
        row[AT["Fälligkeit"]] = _day(invoice.due_date)
        rows.append(row)
    return rows


async def export(session: AsyncSession, settings: Settings, start: date, end: date) -> bytes:
    """The Buchungsstapel of the invoices and credit notes issued from `start` to `end`."""
    invoices = await session.exec(
        select(Invoice)
        .where(col(Invoice.status).in_(EXPORTED), col(Invoice.issue_date) >= start, col(Invoice.issue_date) <= end)
        .order_by(col(Invoice.year), col(Invoice.sequence))
    )
    lines = [";".join(_header(settings, start, end, datetime.now(BERLIN))), ";".join(_text(c, 60) for c in COLUMNS)]
    lines += [";".join(row) for invoice in invoices for row in _rows(settings, invoice)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def file_name(start: date, end: date) -> str:
    """The export's file name; a period that is none, or spans two fiscal years, is refused."""
    if end < start:
        raise Invalid.field("query.to", "the period ends before it starts")
    if not 2000 <= start.year <= 2099:
        raise Invalid.field("query.from", "a fiscal year from 2000 to 2099")
    if end.year != start.year:
        raise Invalid.field("query.to", "a Buchungsstapel lies within one fiscal year: split the period")
    return f"EXTF_Buchungsstapel_{start:%Y%m%d}_{end:%Y%m%d}.csv"
