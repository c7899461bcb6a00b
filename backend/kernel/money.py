"""Money is Decimal end to end; these helpers keep rounding in one place."""

from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
# Wide enough for any amount the inputs allow multiplied out (volume × hours × rate has more
# than the default context's 28 digits at the inputs' limits): rounding to cents never fails.
WIDE = Context(prec=80)


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=WIDE)
