"""Shapes shared by every domain's API schemas: strict input, row metadata, pages, patches."""

from __future__ import annotations

import re
import types
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Literal,
    Optional,
    Union,
    get_args,
    get_origin,
)

import idna
import msgspec
from annotated_types import MaxLen, MinLen
from litestar import MediaType, Response
from litestar._signature.types import ExtendedMsgSpecValidationError
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.plugins.pydantic import PydanticInitPlugin, PydanticSchemaPlugin
from litestar.serialization import default_serializer
from litestar.types import Serializer
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

from backend.kernel.redaction import is_erased_email
from backend.kernel.time import monday_of

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition


def ascii_email(value: str) -> str:
    """An address every mail server takes, in one spelling: the domain in its ASCII form by
    today's rules (IDNA 2008: bücher.de is xn--bcher-kva.de, and faß.de stays apart from
    fass.de), the part before the @ plain ASCII (few servers accept more), all lower case (one
    address, one inbox)."""
    local, _, domain = value.rpartition("@")
    if not local.isascii():
        raise ValueError("the part before the @ must be plain ASCII letters, digits and . _ - +")
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError("the part after the @ is not a valid domain name") from exc
    return f"{local}@{domain}".lower()


def real_address(value: str | None) -> str | None:
    """An input validator for people's addresses: the placeholder an erasure writes is not one
    (taken, it would block that person's erasure by its unique key)."""
    if is_erased_email(value):
        raise ValueError("addresses at this domain stand for erased people: give the person's real address")
    return value


Email = Annotated[EmailStr, AfterValidator(ascii_email)]


# Dates the product stores, prints and puts in calendars; beyond them a week's end or a time zone
# shift leaves the calendar (year 1, year 9999).
EARLIEST_DAY = date(1990, 1, 1)
LATEST_DAY = date(2099, 12, 31)


# Characters no one types into a field and that would print as something else: control
# characters (a tab and line breaks are text), the bidirectional marks and overrides that
# reorder what a reader sees ("Trojan Source"), invisible spaces and joiners that make two equal
# looking texts differ (zero-width space, word joiner, byte order mark; the zero-width joiner and
# non-joiner stay: scripts and emoji need them), the Unicode line and paragraph separators, and
# U+FFFD, which stands where a sender's bytes were not UTF-8.
_HIDDEN = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff\ufffd]"
)
# Letters that print as nothing (Hangul fillers): no part of a signature.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def refuse_hidden_characters(value: str) -> None:
    if _HIDDEN.search(value):
        raise PydanticCustomError(
            "text_hidden_characters",
            "must not contain control characters, direction overrides or undecodable bytes",
        )


def typed_signature(value: str) -> str:
    """A name typed as a signature: at least two letters a reader can see."""
    value = value.strip()
    if sum(unicodedata.category(c).startswith("L") and c not in _BLANK_LETTERS for c in value) < 2:
        raise PydanticCustomError("signature_letters", "type your full name (at least two letters)")
    return value


Signature = Annotated[str, AfterValidator(typed_signature)]


def trimmed(value: str) -> str:
    """A name or title without the spaces around it (a blank one Strict refuses anyway)."""
    return value.strip()


def must_be_true(value: bool) -> bool:
    if value is not True:
        raise PydanticCustomError("must_be_true", "must be true")
    return value


# Short texts (names, titles, places, addresses) print on one line: a line break or a tab in
# them would break a letterhead, a table row or a mail header. Longer ones are prose.
ONE_LINE_UP_TO = 500
_LINE_BREAKS = re.compile("[\t\n\r]")


@cache
def _text_rules(model: type[BaseModel], name: str) -> tuple[bool, bool]:
    """A text field's rules from its declared lengths: (one line, must have content, so that
    spaces alone are none)."""
    field = model.model_fields.get(name)
    metadata = field.metadata if field is not None else []
    longest = [m.max_length for m in metadata if isinstance(m, MaxLen)]
    required = any(isinstance(m, MinLen) and m.min_length >= 1 for m in metadata)
    return bool(longest) and min(longest) <= ONE_LINE_UP_TO, required


class Strict(SQLModel):
    """Request bodies: unknown fields are refused, not dropped. From JSON (the API) they are
    validated strictly: a number is not a string, `true` is not 1, a date is an ISO string, a
    decimal is a string ("24000.00", as the API writes it). Forms (the pages) stay lax, as
    everything in a form is text."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    # SQLModel's __init__ validates in lax mode whatever the call asks for; pydantic's own keeps
    # strict validation of JSON bodies (tests/web/test_edge.py: a number is no date).
    __init__ = BaseModel.__init__

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it up front for every backend alike.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, str):
            refuse_hidden_characters(value)
            one_line, required = _text_rules(cls, info.field_name) if info.field_name else (False, False)
            if one_line and _LINE_BREAKS.search(value):
                raise PydanticCustomError("text_one_line", "must be one line (no line breaks or tabs)")
            if required and not value.strip():
                raise PydanticCustomError("string_too_short", "must not be blank", {"min_length": 1})
        if isinstance(value, int) and not isinstance(value, bool) and not -MAX_ID - 1 <= value <= MAX_ID:
            # Integer columns hold 32 bits on every database.
            raise ValueError(f"must lie between {-MAX_ID - 1} and {MAX_ID}")
        if isinstance(value, date):
            day = value.date() if isinstance(value, datetime) else value
            if not EARLIEST_DAY <= day <= LATEST_DAY:
                raise ValueError(f"must lie between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}")
        return value


@cache
def _decimal_fields(model: type[BaseModel]) -> frozenset[str]:
    def is_decimal(annotation: Any) -> bool:
        if get_origin(annotation) in (Union, types.UnionType):
            return any(is_decimal(arg) for arg in get_args(annotation))
        return annotation is Decimal

    return frozenset(name for name, info in model.model_fields.items() if is_decimal(info.annotation))


def _strict_from_json(model: type[Strict], value: Any) -> Strict:
    # Litestar hands over the decoded JSON; validating it as JSON again keeps JSON's types.
    numbers = [
        {"type": "decimal_as_string", "loc": (name,), "msg": 'a decimal number is sent as a string, e.g. "24000.00"'}
        for name in _decimal_fields(model)
        if isinstance(value, dict) and isinstance(value.get(name), int | float) and not isinstance(value[name], bool)
    ]
    try:
        validated = model.__pydantic_validator__.validate_json(msgspec.json.encode(value), strict=True)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise ExtendedMsgSpecValidationError(errors=[*numbers, *errors]) from exc  # type: ignore[list-item]
    if numbers:
        raise ExtendedMsgSpecValidationError(errors=numbers)
    return validated


def _is_strict(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Strict)


class StrictJsonBodies(PydanticInitPlugin):
    """Litestar's pydantic integration, with `Strict` request bodies validated strictly as JSON."""

    @classmethod
    def decoders(cls, validate_strict: bool = False) -> list[Any]:
        return [(_is_strict, _strict_from_json), *super().decoders(validate_strict)]


# ASCII digits only (`\d` would take any script's), years as dates are held to.
MONTH_PATTERN = r"^(199[0-9]|20[0-9][0-9])-(0[1-9]|1[0-2])$"
ISO_WEEK_PATTERN = r"^(199[0-9]|20[0-9][0-9])-W(0[1-9]|[1-4][0-9]|5[0-3])$"


_WEEK_SHAPE = re.compile("([0-9]{4})-W([0-9]{2})")


def existing_iso_week(value: str | None) -> str | None:
    """A week written like 2026-W48 that exists (W53 only in some years), 1990 to 2099."""
    if value is None:
        return value
    shape = _WEEK_SHAPE.fullmatch(value)
    if shape is None:
        raise ValueError("must be an ISO week written like 2026-W48")
    year, week = shape.groups()
    if not EARLIEST_DAY.year <= int(year) <= LATEST_DAY.year:
        raise ValueError(f"must be a week from {EARLIEST_DAY.year} to {LATEST_DAY.year}")
    try:
        monday_of(value)
    except ValueError as exc:
        raise ValueError(f"{year} has no ISO week {week}") from exc
    return value


# Primary keys are 32-bit integers on every backend.
MAX_ID = 2**31 - 1


class RowRead(SQLModel):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class ModelResponse(Response[Any]):
    """Writes a pydantic answer with pydantic's own JSON serializer, in one pass, instead of
    dumping it to Python objects and encoding those again (the same bytes, at a third of the cost)."""

    def render(self, content: Any, media_type: str, enc_hook: Serializer = default_serializer) -> bytes:
        if isinstance(content, BaseModel) and media_type == MediaType.JSON:
            return content.__pydantic_serializer__.to_json(content)
        return super().render(content, media_type, enc_hook)


class DecimalAsString(OpenAPISchemaPlugin):
    """Money and measured values are Decimal and go out as JSON strings ("24000.00", the app's
    type encoder), and requests may send them so. Litestar documents a Decimal with bounds
    (ge/le) as a number, and the answers then fail their own schema: say string for every one."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return value is Decimal

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        return Schema(type=OpenAPIType.STRING, description="A decimal number, written as a string")


class StrictSchemas(OpenAPISchemaPlugin):
    """Request bodies refuse unknown fields; their schemas say so (`additionalProperties: false`),
    which Litestar's pydantic schemas leave out."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return _is_strict(value)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = PydanticSchemaPlugin.for_pydantic_model(field_definition, schema_creator)
        schema.additional_properties = False
        return schema


class Transition(Strict):
    """Body of every state-change action: where to go, and the version the caller saw."""

    to: str
    version: int
    reason: str | None = Field(default=None, max_length=2000)


def transition_model(name: str, states: tuple[str, ...]) -> type[Transition]:
    """The body of one resource's state changes: `to` names one of its states."""
    target: Any = (Literal.__getitem__(states), Field(description=f"The state to move to: {', '.join(states)}"))
    return create_model(name, __base__=Transition, to=target)


def update_model(create: type[SQLModel], *, fixed: tuple[str, ...] = ()) -> type[Strict]:
    """The PATCH body of a create schema (`XCreate` gives `XUpdate`): every field optional but
    the `fixed` ones, which are left out, and `version` required. Each models.py names the
    result, so the class is found where its table is. A PATCH re-validates the merged row with
    the create schema, so cross-field rules live in one place only."""
    fields: dict[str, Any] = {
        field: (Optional[info.annotation], None)  # noqa: UP045 - runtime construction
        for field, info in create.model_fields.items()
        if field not in fixed
    }
    fields["version"] = (int, ...)
    return create_model(create.__name__.removesuffix("Create") + "Update", __base__=Strict, **fields)
