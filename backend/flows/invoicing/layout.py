"""What the invoice template prints: every figure formatted in the invoice's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from backend.flows.invoicing.codes import VatCategory
from backend.kernel import i18n
from backend.kernel.formatting import Formatter


def say(lang: str, key: str, **values: object) -> str:
    return i18n.say("invoice", lang, key, **values)


UNIT_WORDS = {"HUR": "unit_hour", "DAY": "unit_day", "C62": "unit_piece", "LS": "unit_lump_sum", "MON": "unit_month"}


def _day(value: str | None, fmt: Formatter) -> str | None:
    return fmt.date(date.fromisoformat(value)) if value else None


def template_data(data: dict[str, Any]) -> dict[str, Any]:
    lang, cur = data["language"], data["currency"]
    fmt, w = Formatter(lang), i18n.words("invoice", lang)
    seller, buyer, totals = data["seller"], data["buyer"], data["totals"]
    money = lambda v: fmt.money(Decimal(v), cur)  # noqa: E731
    several_rates = len(totals["breakdown"]) > 1
    period = data.get("period")
    return {
        "lang": lang,
        "brand": {
            "name": seller["name"],
            "address_lines": [seller["street"], f"{seller['postal_code']} {seller['city']}"],
            "email": seller["contact"]["email"],
            "phone": seller["contact"]["phone"],
            "website": None,
            "vat_id": seller.get("vat_id"),
            "register": seller.get("register"),
            "managing_director": seller.get("managing_director"),
            "bank": seller.get("bank"),
            "logo_svg": None,
        },
        "document": {"kind": "invoice", "title": w[f"invoice_kind_{data['kind']}"], "number": data["number"]},
        "client": {
            "name": buyer["name"],
            "address_lines": [
                x
                for x in (buyer.get("street"), f"{buyer.get('postal_code') or ''} {buyer.get('city') or ''}".strip())
                if x
            ],
            "vat_id": buyer.get("vat_id"),
        },
        "invoice": {
            "number": data["number"],
            "date": _day(data["issue_date"], fmt),
            "due": _day(data.get("due_date"), fmt),
            "period": fmt.date_range(date.fromisoformat(period["start"]), date.fromisoformat(period["end"]))
            if period
            else None,
            "buyer_reference": data.get("buyer_reference"),
            "order_reference": data.get("order_reference"),
            "project": data["project"]["name"],
            "corrects": say(
                lang,
                "invoice_corrects",
                number=data["corrects"]["number"],
                date=_day(data["corrects"]["issue_date"], fmt),
            )
            if data.get("corrects")
            else None,
            "seller_tax": " · ".join(
                x
                for x in (
                    f"{w['invoice_vat_id']} {seller['vat_id']}" if seller.get("vat_id") else None,
                    f"{w['invoice_tax_number']} {seller['tax_number']}" if seller.get("tax_number") else None,
                )
                if x
            ),
            "lines": [
                {
                    "pos": str(line["position"]),
                    "description": line["description"],
                    "quantity": f"{fmt.number(Decimal(line['quantity']), trim=True)} {w[UNIT_WORDS[line['unit']]]}",
                    "unit_price": fmt.money(Decimal(line["unit_price"]), cur)
                    if Decimal(line["unit_price"]) == round(Decimal(line["unit_price"]), 2)
                    else f"{fmt.number(Decimal(line['unit_price']), 4)} {cur}",
                    "vat": f"{fmt.number(Decimal(line['vat_rate']), trim=True)} %" if several_rates else None,
                    "amount": money(line["net_amount"]),
                }
                for line in data["lines"]
            ],
            "net": money(totals["tax_basis"]),
            "breakdown": [
                {
                    "label": say(
                        lang,
                        "invoice_vat_line",
                        rate=fmt.number(Decimal(b["rate"]), trim=True),
                        base=money(b["taxable"]),
                    )
                    if b["category"] == VatCategory.S
                    else b["exemption_reason"] or w["invoice_no_vat"],
                    "amount": money(b["tax"]),
                }
                for b in totals["breakdown"]
            ],
            "gross": money(totals["grand_total"]),
            "credit": data["kind"] == "credit_note",
            "prepaid": money(totals["prepaid"]) if Decimal(totals["prepaid"]) else None,
            # § 14 (5) UStG: each advance payment deducted, with the VAT it contained.
            "advances": [
                {
                    "label": say(lang, "advance_deducted", number=a["number"], date=_day(a["issue_date"], fmt)),
                    "detail": say(lang, "advance_detail", net=money(a["net"]), tax=money(a["tax"])),
                    "amount": money(a["gross"]),
                }
                for a in data.get("advances", [])
            ],
            "due_amount": money(totals["due"]),
            "payment": data["payment_terms"],
            "notes": [n["text"] for n in data.get("notes", []) if n.get("subject") != "REG"],
        },
    }
