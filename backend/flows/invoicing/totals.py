"""An invoice's amounts, computed the way EN 16931 computes them (its BR-CO rules), so the
figures on the PDF, in the XML and in the database are the ones a receiving system recomputes.

- Each line's net amount (BT-131) is quantity × net price, rounded to the cent (half up).
- VAT is computed per VAT breakdown (BG-23: one per category and rate), never per line: the
  breakdown's taxable amount (BT-116) is the sum of its lines, its tax (BT-117) that sum × rate,
  rounded to the cent (BR-CO-17). Rounding per line would drift a cent from what the receiver
  computes on a long invoice.
- Totals: lines (BT-106) = Σ BT-131 (BR-CO-10); without VAT (BT-109) = BT-106 (no document-level
  allowances or charges here, BR-CO-13); VAT (BT-110) = Σ BT-117 (BR-CO-14); with VAT (BT-112) =
  BT-109 + BT-110 (BR-CO-15); due (BT-115) = BT-112 − paid in advance (BT-113) (BR-CO-16).

Pure functions of Decimals: the service, the XML and the tests use these and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Priced:
    """What totals need of a line."""

    quantity: Decimal
    unit_price: Decimal
    vat_category: str
    vat_rate: Decimal
    exemption_reason: str | None = None


def line_net(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """BT-131: quantity × net price (BT-146, base quantity 1), to the cent."""
    return cents(quantity * unit_price)


@dataclass(frozen=True)
class VatBreakdown:
    category: str
    rate: Decimal
    taxable: Decimal  # BT-116
    tax: Decimal  # BT-117
    exemption_reason: str | None = None  # BT-120


@dataclass(frozen=True)
class Totals:
    line_total: Decimal  # BT-106
    tax_basis: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112
    prepaid: Decimal  # BT-113
    due: Decimal  # BT-115
    breakdown: tuple[VatBreakdown, ...]


def compute(lines: Iterable[Priced], prepaid: Decimal = ZERO) -> Totals:
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    reasons: dict[tuple[str, Decimal], str | None] = {}
    for line in lines:
        key = (line.vat_category, line.vat_rate.normalize())
        groups.setdefault(key, []).append(line_net(line.quantity, line.unit_price))
        reasons.setdefault(key, line.exemption_reason)
    breakdown = tuple(
        VatBreakdown(
            category=category,
            rate=cents(rate),
            taxable=(taxable := sum(amounts, ZERO)),
            tax=cents(taxable * rate / 100),
            exemption_reason=reasons[(category, rate)],
        )
        for (category, rate), amounts in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[0][1]))
    )
    line_total = sum((b.taxable for b in breakdown), ZERO)
    tax_total = sum((b.tax for b in breakdown), ZERO)
    grand_total = line_total + tax_total
    prepaid = cents(prepaid)
    return Totals(
        line_total=line_total,
        tax_basis=line_total,
        tax_total=tax_total,
        grand_total=grand_total,
        prepaid=prepaid,
        due=grand_total - prepaid,
        breakdown=breakdown,
    )
