"""The invoice as EN 16931 CII XML (UN/CEFACT Cross Industry Invoice), from its issued data.

Built with drafthorse, whose classes follow the CII schema element by element, so the XML's
structure is the library's concern and this module only says which business term goes where
(BT numbers in the comments). The same XML is the ZUGFeRD/Factur-X attachment (profile
EN 16931) and, with XRechnung's specification id, the XRechnung: the content differs only in
what XRechnung requires in addition (checked in rules.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from facturx import xml_check_xsd

from backend.flows.invoicing.codes import EN16931, PEPPOL_BILLING, SEPA_CREDIT_TRANSFER, XRECHNUNG
from backend.kernel.enums import InvoiceFormat


class SchemaError(Exception):
    """The XML does not validate against the Factur-X EN 16931 schema (a bug, never user input)."""


def _d(value: str | Decimal) -> Decimal:
    return Decimal(str(value))


def _day(value: str) -> date:
    return date.fromisoformat(value)


def _party(party: Any, data: dict[str, Any], *, seller: bool) -> None:
    party.name = data["name"]  # BT-27 / BT-44
    address = party.address
    address.line_one = data.get("street") or None  # BT-35 / BT-50
    address.postcode = data.get("postal_code") or None  # BT-38 / BT-53
    address.city_name = data.get("city") or None  # BT-37 / BT-52
    address.country_id = data["country"]  # BT-40 / BT-55
    if data.get("email"):
        party.electronic_address.uri_ID = ("EM", data["email"])  # BT-34 / BT-49
    if data.get("vat_id"):
        party.tax_registrations.add(TaxRegistration(id=("VA", data["vat_id"])))  # BT-31 / BT-48
    if seller:
        if data.get("tax_number"):
            party.tax_registrations.add(TaxRegistration(id=("FC", data["tax_number"])))  # BT-32
        contact = data.get("contact") or {}
        if contact:  # BG-6
            party.contact.person_name = contact.get("name")  # BT-41
            party.contact.telephone.number = contact.get("phone")  # BT-42
            party.contact.email.address = contact.get("email")  # BT-43


def _line(line: dict[str, Any]) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line["position"])  # BT-126
    item.product.name = line["description"]  # BT-153
    item.agreement.net.amount = _d(line["unit_price"])  # BT-146
    item.delivery.billed_quantity = (_d(line["quantity"]), line["unit"])  # BT-129, BT-130
    tax = item.settlement.trade_tax
    tax.type_code = "VAT"
    tax.category_code = line["vat_category"]  # BT-151
    tax.rate_applicable_percent = _d(line["vat_rate"])  # BT-152
    item.settlement.monetary_summation.total_amount = _d(line["net_amount"])  # BT-131
    return item


def build(data: dict[str, Any]) -> bytes:
    """The CII XML of an issued invoice's data (see issue.snapshot), validated against the
    EN 16931 schema."""
    doc = Document()
    xrechnung = data["format"] == InvoiceFormat.xrechnung
    doc.context.business_parameter.id = PEPPOL_BILLING  # BT-23
    doc.context.guideline_parameter.id = XRECHNUNG if xrechnung else EN16931  # BT-24
    doc.header.id = data["number"]  # BT-1
    doc.header.type_code = data["type_code"]  # BT-3
    doc.header.issue_date_time = _day(data["issue_date"])  # BT-2
    for note in data.get("notes", []):  # BG-1
        doc.header.notes.add(IncludedNote(content=note["text"], subject_code=note.get("subject")))

    trade = doc.trade
    if data.get("buyer_reference"):
        trade.agreement.buyer_reference = data["buyer_reference"]  # BT-10
    _party(trade.agreement.seller, data["seller"], seller=True)
    _party(trade.agreement.buyer, data["buyer"], seller=False)
    if data.get("order_reference"):
        trade.agreement.buyer_order.issuer_assigned_id = data["order_reference"]  # BT-13
    if data.get("project"):
        trade.agreement.procuring_project_type.id = data["project"]["id"]  # BT-11
        trade.agreement.procuring_project_type.name = data["project"]["name"]

    settlement = trade.settlement
    settlement.currency_code = data["currency"]  # BT-5
    settlement.payment_reference = data["number"]  # BT-83
    bank = data["seller"].get("bank") or {}
    if bank.get("iban"):  # BG-16, BG-17: SEPA credit transfer to the seller's account
        means = PaymentMeans(type_code=SEPA_CREDIT_TRANSFER)
        means.payee_account.iban = bank["iban"].replace(" ", "")  # BT-84
        means.payee_account.account_name = data["seller"]["name"]  # BT-85
        if bank.get("bic"):
            means.payee_institution.bic = bank["bic"]  # BT-86
        settlement.payment_means.add(means)
    totals = data["totals"]
    for group in totals["breakdown"]:  # BG-23
        tax = ApplicableTradeTax()
        tax.calculated_amount = _d(group["tax"])  # BT-117
        tax.type_code = "VAT"
        if group.get("exemption_reason"):
            tax.exemption_reason = group["exemption_reason"]  # BT-120
        tax.basis_amount = _d(group["taxable"])  # BT-116
        tax.category_code = group["category"]  # BT-118
        tax.rate_applicable_percent = _d(group["rate"])  # BT-119
        settlement.trade_tax.add(tax)
    if data.get("period"):  # BG-14
        # The service's last day as its delivery date (BT-72): CII has no empty delivery element.
        trade.delivery.event.occurrence = _day(data["period"]["end"])
        settlement.period.start = _day(data["period"]["start"])  # BT-73
        settlement.period.end = _day(data["period"]["end"])  # BT-74
    terms = PaymentTerms()
    terms.description = data["payment_terms"]  # BT-20
    if data.get("due_date"):
        terms.due = _day(data["due_date"])  # BT-9
    settlement.terms.add(terms)
    sums = settlement.monetary_summation
    sums.line_total = _d(totals["line_total"])  # BT-106
    sums.charge_total = Decimal("0.00")  # BT-108
    sums.allowance_total = Decimal("0.00")  # BT-107
    sums.tax_basis_total = _d(totals["tax_basis"])  # BT-109
    sums.tax_total = (_d(totals["tax_total"]), data["currency"])  # BT-110
    sums.grand_total = _d(totals["grand_total"])  # BT-112
    sums.prepaid_total = _d(totals["prepaid"])  # BT-113
    sums.due_amount = _d(totals["due"])  # BT-115
    if data.get("corrects"):  # BG-3: the invoice a credit note takes back
        settlement.invoice_referenced_document.issuer_assigned_id = data["corrects"]["number"]  # BT-25
        settlement.invoice_referenced_document.issue_date_time = _day(data["corrects"]["issue_date"])  # BT-26

    for line in data["lines"]:  # BG-25
        trade.items.add(_line(line))
    xml: bytes = doc.serialize(schema=None)
    check_schema(xml)
    return xml


def check_schema(xml: bytes) -> None:
    try:
        xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as exc:  # the library raises a bare Exception with the schema's message
        raise SchemaError(str(exc)) from exc
