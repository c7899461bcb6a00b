"""Shapes shared by every domain's API schemas: strict input, row metadata, pages, patches."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar

from litestar import MediaType, Response
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.serialization import default_serializer
from litestar.types import Serializer
from litestar.plugins import OpenAPISchemaPlugin
from pydantic import BaseModel, ConfigDict, create_model, field_validator
from sqlmodel import SQLModel

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

T = TypeVar("T")


class Strict(SQLModel):
    """Request bodies reject unknown fields instead of silently dropping them."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refuse it up front for every backend alike.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


ISO_WEEK_PATTERN = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"


def existing_iso_week(value: str | None) -> str | None:
    """The pattern admits W53 in every year; only some years have one."""
    if value is not None:
        year, week = value.split("-W")
        try:
            date.fromisocalendar(int(year), int(week), 1)
        except ValueError as exc:
            raise ValueError(f"{year} has no ISO week {week}") from exc
    return value


# Primary keys are 32-bit integers on every backend.
MAX_ID = 2**31 - 1


class RowRead(SQLModel):
    # Read schemas are only validated and serialised; SQLModel's own __init__ (needed for
    # tables) would make pydantic validate every row twice.
    __init__ = BaseModel.__init__

    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


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


class Transition(Strict):
    """Body of every state-change action: where to go, and the version the caller saw."""

    to: str
    version: int
    reason: str | None = None


def make_update_model(
    create: type[SQLModel], name: str, *, exclude: tuple[str, ...] = ()
) -> type[Strict]:
    """PATCH body derived from the create schema: every field optional, `version` required.

    The merged result is re-validated with the create schema, so cross-field rules live in
    one place only.
    """
    fields: dict[str, Any] = {
        field: (Optional[info.annotation], None)  # noqa: UP045 - runtime construction
        for field, info in create.model_fields.items()
        if field not in exclude
    }
    fields["version"] = (int, ...)
    return create_model(name, __base__=Strict, **fields)
