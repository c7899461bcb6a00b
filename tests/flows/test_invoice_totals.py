"""Invoice sums as EN 16931 computes them, by hand and as properties."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from backend.flows.invoicing.totals import Priced, compute, line_net


def test_vat_is_computed_per_rate_on_the_rounded_line_sums_not_per_line() -> None:
    # Three lines of 0.333 € at 19 %: per line the VAT would be 3 × 0.06 = 0.18; EN 16931
    # computes it once on the rate's taxable amount 1.00 (BR-CO-17): 0.19.
    lines = [Priced(D("1"), D("0.333"), "S", D("19")) for _ in range(3)]
    t = compute(lines)
    assert [line_net(D("1"), D("0.333"))] * 3 == [D("0.33")] * 3  # each line rounded (BT-131)
    assert (t.line_total, t.tax_total, t.grand_total) == (D("0.99"), D("0.19"), D("1.18"))


def test_several_rates_each_get_their_breakdown_and_the_totals_add_up() -> None:
    t = compute(
        [
            Priced(D("7.5"), D("137.50"), "S", D("19")),  # 1,031.25
            Priced(D("2"), D("1400"), "S", D("19")),  # 2,800.00
            Priced(D("3"), D("19.99"), "S", D("7")),  # 59.97
            Priced(D("1"), D("450"), "E", D("0"), "§ 4 Nr. 21 UStG"),
        ]
    )
    by_rate = {(b.category, b.rate): (b.taxable, b.tax) for b in t.breakdown}
    assert by_rate == {
        ("S", D("19.00")): (D("3831.25"), D("727.94")),  # 727.9375 → half up
        ("S", D("7.00")): (D("59.97"), D("4.20")),  # 4.1979
        ("E", D("0.00")): (D("450.00"), D("0.00")),
    }
    assert t.line_total == D("4341.22")
    assert t.tax_total == D("732.14")
    assert t.grand_total == D("5073.36")
    assert [b.exemption_reason for b in t.breakdown if b.category == "E"] == ["§ 4 Nr. 21 UStG"]


def test_prepaid_amounts_are_deducted_from_the_total_with_vat() -> None:
    t = compute([Priced(D("1"), D("24000"), "S", D("19"))], prepaid=D("14280.00"))
    assert (t.grand_total, t.prepaid, t.due) == (D("28560.00"), D("14280.00"), D("14280.00"))


amounts = st.decimals(min_value=D("0"), max_value=D("99999"), places=4, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=D("0.0001"), max_value=D("9999"), places=4, allow_nan=False, allow_infinity=False)
rates = st.sampled_from([D("19"), D("7"), D("0")])
line = st.builds(lambda q, p, r: Priced(q, p, "S" if r else "Z", r), quantities, amounts, rates)


@given(st.lists(line, min_size=1, max_size=30))
def test_the_lines_make_the_totals(lines: list[Priced]) -> None:
    t = compute(lines)
    assert t.line_total == sum((line_net(x.quantity, x.unit_price) for x in lines), D("0"))
    assert t.tax_basis == sum((b.taxable for b in t.breakdown), D("0"))
    assert t.tax_total == sum((b.tax for b in t.breakdown), D("0"))
    assert t.grand_total == t.tax_basis + t.tax_total == t.due
    assert all(v == v.quantize(D("0.01")) for v in (t.line_total, t.tax_total, t.grand_total))
    # Per rate, the VAT is that rate's taxable amount × rate, off by less than a cent.
    assert all(abs(b.tax - b.taxable * b.rate / 100) <= D("0.005") for b in t.breakdown)
