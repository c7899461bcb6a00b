"""Shapes shared by every domain's API schemas: strict input, row metadata, pages, patches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Optional, TypeVar

from pydantic import ConfigDict, create_model
from pydantic import BaseModel
from sqlmodel import SQLModel

T = TypeVar("T")


class Strict(SQLModel):
    """Request bodies reject unknown fields instead of silently dropping them."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class RowRead(SQLModel):
    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


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
