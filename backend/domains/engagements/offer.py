"""What a fixed fee is made of: the proposal's line items, the modules a client may add or swap,
and the fee that follows from what the client chose. The engagement keeps the items; the fee is
their sum, never typed beside them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from backend.kernel.errors import Invalid
from backend.kernel.money import round_money
from backend.kernel.schema import Strict, trimmed

MAX_ITEMS = 40
MAX_FEE = Decimal("9999999999.99")


class ItemKind(StrEnum):
    base = "base"  # part of the offer and its fee
    optional = "optional"  # the client may add it when accepting
    alternative = "alternative"  # the client may take it instead of the base item it names


class ItemUnit(StrEnum):
    flat = "flat"
    day = "day"
    hour = "hour"
    piece = "piece"
    participant = "participant"


class ProposalItem(Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    quantity: Decimal = Field(default=Decimal(1), gt=0, le=100_000, max_digits=8, decimal_places=2)
    unit: ItemUnit = ItemUnit.flat
    unit_price: Decimal = Field(ge=0, le=10_000_000, max_digits=10, decimal_places=2)
    discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    kind: ItemKind = ItemKind.base
    replaces: int | None = Field(
        default=None, ge=1, le=MAX_ITEMS, description="Alternatives: the position (1 …) of the base item they replace"
    )

    _title = field_validator("title")(trimmed)

    @field_validator("quantity", "unit_price", "discount_percent")
    @classmethod
    def _cents(cls, value: Decimal) -> Decimal:
        # One spelling of each figure in the stored items and the acceptance's record ("10.00").
        return value.quantize(Decimal("0.01"))

    @model_validator(mode="after")
    def _replaces_only_alternatives(self) -> ProposalItem:
        if (self.kind is ItemKind.alternative) != (self.replaces is not None):
            raise ValueError("an alternative names the base item it replaces (replaces), other items do not")
        return self

    @property
    def amount(self) -> Decimal:
        """Quantity × unit price less the discount, rounded to the cent once."""
        return round_money(self.quantity * self.unit_price * (1 - self.discount_percent / 100))


class ProposalItemsWrite(Strict):
    items: list[ProposalItem] = Field(
        max_length=MAX_ITEMS,
        description=(
            "The offer's lines in order (position 1 …); the fixed fee becomes the sum of the base items. "
            "An empty list returns the engagement to a fee typed by hand."
        ),
    )
    version: int = Field(description="The engagement's version the change is based on")

    @field_validator("items")
    @classmethod
    def _consistent(cls, items: list[ProposalItem]) -> list[ProposalItem]:
        if items and not any(i.kind is ItemKind.base for i in items):
            raise ValueError("an offer has at least one base item")
        # Whatever the client chooses, the fee must fit where fees are kept (12 digits).
        if sum((i.amount for i in items), Decimal(0)) > MAX_FEE:
            raise ValueError("all items together may come to at most 9,999,999,999.99")
        for position, item in enumerate(items, start=1):
            if item.replaces is None:
                continue
            if item.replaces > len(items) or items[item.replaces - 1].kind is not ItemKind.base:
                raise ValueError(f"item {position} replaces item {item.replaces}, which is no base item")
        return items


@dataclass(frozen=True)
class Choice:
    """What the client agreed to: the items in force and the fee they make."""

    positions: tuple[int, ...]  # the optional and alternative items chosen
    lines: list[dict[str, Any]]  # each item in force, as agreed
    net: Decimal


def items_of(raw: list[dict[str, Any]] | None) -> list[ProposalItem]:
    return [ProposalItem.model_validate(i) for i in raw or []]


def base_total(items: list[ProposalItem]) -> Decimal:
    return sum((i.amount for i in items if i.kind is ItemKind.base), Decimal("0.00"))


def choose(items: list[ProposalItem], positions: list[int], *, path: str = "body.options") -> Choice:
    """The items in force when the client takes the options at `positions`: every base item
    but those an alternative replaces, plus the chosen options. 422 for a position that is no
    option, or two alternatives to one item."""
    chosen = sorted(set(positions))
    replaced: dict[int, int] = {}
    for position in chosen:
        if not 1 <= position <= len(items) or items[position - 1].kind is ItemKind.base:
            options = [n for n, i in enumerate(items, start=1) if i.kind is not ItemKind.base]
            named = ", ".join(map(str, options)) or "none"
            raise Invalid.field(path, f"position {position} is no option of this offer (options: {named})")
        target = items[position - 1].replaces
        if target is not None:
            if target in replaced:
                raise Invalid.field(
                    path, f"positions {replaced[target]} and {position} both replace item {target}: choose one"
                )
            replaced[target] = position
    lines = []
    for position, item in enumerate(items, start=1):
        in_force = (item.kind is ItemKind.base and position not in replaced) or position in chosen
        if in_force:
            lines.append({"position": position, **item.model_dump(mode="json"), "amount": str(item.amount)})
    net = sum((Decimal(line["amount"]) for line in lines), Decimal("0.00"))
    return Choice(positions=tuple(chosen), lines=lines, net=net)


@dataclass(frozen=True)
class Selection:
    """An offer as a client weighs it: the options it may take and what a selection costs."""

    items: list[ProposalItem]
    options: list[tuple[int, ProposalItem]]
    choice: Choice
    gross: Decimal

    def base(self, position: int) -> ProposalItem:
        return self.items[position - 1]

    @property
    def optional(self) -> list[tuple[int, ProposalItem]]:
        return [(n, item) for n, item in self.options if item.kind is ItemKind.optional]

    @property
    def alternatives(self) -> dict[int, list[tuple[int, ProposalItem]]]:
        """The alternatives by the base item they replace (one choice each)."""
        groups: dict[int, list[tuple[int, ProposalItem]]] = {}
        for n, item in self.options:
            if item.replaces is not None:
                groups.setdefault(item.replaces, []).append((n, item))
        return groups


def selection(raw: list[dict[str, Any]] | None, vat_rate: Decimal, positions: list[int]) -> Selection | None:
    """None for an offer without items; a selection that is no valid choice counts as none."""
    items = items_of(raw)
    if not items:
        return None
    try:
        choice = choose(items, positions)
    except Invalid:
        choice = choose(items, [])
    options = [(n, item) for n, item in enumerate(items, start=1) if item.kind is not ItemKind.base]
    return Selection(items=items, options=options, choice=choice, gross=round_money(choice.net * (1 + vat_rate / 100)))
