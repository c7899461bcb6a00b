"""The checks an invoice passes before it is issued: the mandatory content of § 14 (4) UStG, the
EN 16931 business rules that concern what this product writes (BR-…, BR-CO-… for the sums,
BR-S/Z/E/AE-… for VAT categories), and, for an XRechnung, the German CIUS rules (BR-DE-…).

`check(data)` looks at the issued data (issue.snapshot) and returns every failed rule at
once, so the team fixes all of them in one go; the XSD check of the XML follows in cii.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stdnum import iban

from backend.flows.invoicing.codes import VatCategory
from backend.flows.invoicing.totals import Priced, compute, line_net
from backend.kernel.enums import InvoiceFormat
from backend.kernel.glyphs import unprintable, visible
from backend.kernel.tax_ids import looks_like_leitweg_id, valid_leitweg_id, valid_vat_id


@dataclass(frozen=True)
class Failed:
    rule: str
    path: str
    message: str

    def as_error(self) -> dict[str, str]:
        return {"path": self.path, "message": f"[{self.rule}] {self.message}", "rule": self.rule}


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _party(data: dict[str, Any], who: str, failed: list[Failed]) -> None:
    # § 14 (4) 1 UStG: full name and address of both parties; BR-DE-3/4, BR-DE-8/9 for XRechnung.
    for field, rule in (
        ("name", "UStG-14-4-1"),
        ("street", "UStG-14-4-1"),
        ("postal_code", "BR-DE-4"),
        ("city", "BR-DE-3"),
    ):
        if not (data.get(field) or "").strip():
            failed.append(Failed(rule, f"{who}.{field}", f"the {who}'s {field.replace('_', ' ')} is missing"))
    if not data.get("country"):
        failed.append(
            Failed("BR-9" if who == "seller" else "BR-11", f"{who}.country", f"the {who}'s country is missing")
        )


def check(data: dict[str, Any]) -> list[Failed]:
    failed: list[Failed] = []
    seller, buyer = data["seller"], data["buyer"]
    _party(seller, "seller", failed)
    _party(buyer, "buyer", failed)
    # § 14 (4) 2 UStG, BR-CO-26: the seller's VAT id or tax number.
    if not (seller.get("vat_id") or seller.get("tax_number")):
        failed.append(Failed("UStG-14-4-2", "seller.vat_id", "the seller's VAT id or tax number is missing"))
    if not data.get("lines"):
        failed.append(Failed("BR-16", "lines", "an invoice has at least one line"))
    # § 14 (4) 6 UStG: when the service was rendered (BG-14).
    period = data.get("period")
    if not period:
        failed.append(
            Failed("UStG-14-4-6", "period_start", "the service period is missing (period_start and period_end)")
        )
    elif data["kind"] in ("invoice", "partial") and period["end"] > data["issue_date"]:
        failed.append(
            Failed(
                "UStG-14-4-6",
                "period_end",
                "the service period ends after the invoice date: bill what is done, or ask for an advance payment",
            )
        )
    for i, line in enumerate(data.get("lines", [])):
        path = f"lines.{i}"
        # § 14 (4) 5 UStG: quantity and kind of the service.
        if not line["description"].strip():
            failed.append(Failed("BR-25", f"{path}.description", "a line names what it bills"))
        if _d(line["net_amount"]) != line_net(_d(line["quantity"]), _d(line["unit_price"])):
            failed.append(
                Failed("PEPPOL-EN16931-R120", f"{path}.net_amount", "the line's amount is not quantity × price")
            )
        _category(line, path, data, failed)
    _sums(data, failed)
    _printable(data, failed)
    if data["kind"] == "credit_note" and not data.get("corrects"):
        failed.append(Failed("BR-55", "corrects_id", "a credit note names the invoice it takes back"))
    if _d(data["totals"]["due"]) > 0 and not (data.get("due_date") or data.get("payment_terms")):
        failed.append(Failed("BR-CO-25", "payment_terms_days", "an amount due needs a due date or payment terms"))
    bank = seller.get("bank") or {}
    if bank.get("iban") and not iban.is_valid(bank["iban"]):
        failed.append(Failed("BR-DE-19", "seller.bank.iban", "the seller's IBAN is not valid"))
    reference = (data.get("buyer_reference") or "").strip()
    if looks_like_leitweg_id(reference) and not valid_leitweg_id(reference):
        failed.append(Failed("BR-DE-15", "buyer_reference", "the Leitweg-ID's check digits do not fit"))
    if data["format"] == InvoiceFormat.xrechnung:
        _xrechnung(data, failed)
    return failed


def _category(line: dict[str, Any], path: str, data: dict[str, Any], failed: list[Failed]) -> None:
    category, rate = line["vat_category"], _d(line["vat_rate"])
    if category == VatCategory.S and rate <= 0:
        failed.append(Failed("BR-S-05", f"{path}.vat_rate", "the standard rate is above 0 %"))
    if category != VatCategory.S and rate != 0:
        failed.append(Failed(f"BR-{category}-05", f"{path}.vat_rate", f"category {category} has the rate 0 %"))
    if category in (VatCategory.E, VatCategory.AE) and not line.get("exemption_reason"):
        failed.append(
            Failed(f"BR-{category}-10", f"{path}.exemption_reason", "the reason no VAT is charged is missing")
        )
    if category == VatCategory.AE:
        # § 14a (1) UStG: reverse charge names both VAT ids.
        if not data["seller"].get("vat_id"):
            failed.append(Failed("BR-AE-02", "seller.vat_id", "reverse charge needs the seller's VAT id"))
        if not data["buyer"].get("vat_id") or not valid_vat_id(data["buyer"]["vat_id"]):
            failed.append(Failed("BR-AE-02", "buyer.vat_id", "reverse charge needs the client's valid VAT id"))


def _printable(data: dict[str, Any], failed: list[Failed]) -> None:
    """Text from elsewhere (the client's name, the engagement's title) the PDF/A cannot print."""
    texts = {
        "buyer.name": data["buyer"].get("name"),
        "buyer.street": data["buyer"].get("street"),
        "buyer.city": data["buyer"].get("city"),
        "buyer.postal_code": data["buyer"].get("postal_code"),
        "buyer_reference": data.get("buyer_reference"),
        "order_reference": data.get("order_reference"),
        **{f"notes.{i}": note.get("text") for i, note in enumerate(data.get("notes", []))},
        "project": (data.get("project") or {}).get("name"),
        **{f"lines.{i}.description": line["description"] for i, line in enumerate(data.get("lines", []))},
    }
    for path, text in texts.items():
        if missing := unprintable(text):
            failed.append(
                Failed("PDF/A-3", path, f"the invoice's font cannot print {' '.join(missing[:5])}: change the text")
            )


def _sums(data: dict[str, Any], failed: list[Failed]) -> None:
    """BR-CO-10 … BR-CO-17: the stated sums are the ones the lines give."""
    lines = data.get("lines", [])
    expected = compute(
        [
            Priced(
                _d(ln["quantity"]),
                _d(ln["unit_price"]),
                ln["vat_category"],
                _d(ln["vat_rate"]),
                ln.get("exemption_reason"),
            )
            for ln in lines
        ],
        _d(data["totals"]["prepaid"]),
    )
    stated = data["totals"]
    for name, rule in (
        ("line_total", "BR-CO-10"),
        ("tax_basis", "BR-CO-13"),
        ("tax_total", "BR-CO-14"),
        ("grand_total", "BR-CO-15"),
        ("due", "BR-CO-16"),
    ):
        if _d(stated[name]) != getattr(expected, name):
            failed.append(
                Failed(rule, f"totals.{name}", f"{name} is {stated[name]}, the lines give {getattr(expected, name)}")
            )
    if len(stated["breakdown"]) != len(expected.breakdown) or any(
        _d(s["tax"]) != e.tax or _d(s["taxable"]) != e.taxable
        for s, e in zip(stated["breakdown"], expected.breakdown, strict=False)
    ):
        failed.append(Failed("BR-CO-17", "totals.breakdown", "the VAT breakdown is not the one the lines give"))
    if _d(stated["due"]) < 0:
        failed.append(Failed("BR-CO-16", "totals.due", "more was paid in advance than the invoice's total"))


def _xrechnung(data: dict[str, Any], failed: list[Failed]) -> None:
    seller = data["seller"]
    if not visible(data.get("buyer_reference")):
        failed.append(Failed("BR-DE-15", "buyer_reference", "an XRechnung names the buyer reference (Leitweg-ID)"))
    contact = seller.get("contact") or {}
    for field, rule in (("name", "BR-DE-5"), ("phone", "BR-DE-6"), ("email", "BR-DE-7")):
        if not contact.get(field):
            failed.append(Failed(rule, f"seller.contact.{field}", f"the seller contact's {field} is missing (BG-6)"))
    if not (seller.get("bank") or {}).get("iban"):
        failed.append(Failed("BR-DE-1", "seller.bank.iban", "an XRechnung names how to pay (the IBAN)"))
    if not seller.get("email"):
        failed.append(Failed("BT-34", "seller.email", "the seller's electronic address (BT-34) is missing"))
    if not data["buyer"].get("email"):
        failed.append(Failed("BT-49", "buyer.email", "the client's invoice address (invoice_email) is missing"))
