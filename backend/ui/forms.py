"""HTML forms on top of the API's schemas: same validation, errors shown next to the fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from backend.errors import DomainError


async def roll_back(db_session: Any, request: Any) -> None:
    """Undo a failed write; the signed-in user (loaded by this session) is expired by it, so
    reload it before the page is rendered again."""
    await db_session.rollback()
    if request.user in db_session:
        await db_session.refresh(request.user)


class FormErrors(Exception):
    """Validation failed; `fields` maps a field name to its message, `general` the rest."""

    def __init__(self, fields: dict[str, str], general: str | None = None) -> None:
        super().__init__(general or "invalid form")
        self.fields = fields
        self.general = general


def clean(form: dict[str, Any]) -> dict[str, Any]:
    """Browsers send every input; an empty optional field means "not given"."""
    return {k: v for k, v in form.items() if k not in {"_csrf_token", "next"} and v not in ("", None)}


def parse(schema: type[BaseModel], form: dict[str, Any], **fixed: Any) -> Any:
    try:
        return schema.model_validate({**clean(form), **fixed})
    except ValidationError as exc:
        raise FormErrors(field_errors(exc)) from exc


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err["loc"] else "__all__"
        errors.setdefault(name, err["msg"].removeprefix("Value error, "))
    return errors


def from_domain(exc: DomainError) -> FormErrors:
    """A service's refusal (422 with paths, 409) as form errors."""
    fields = {
        e["path"].removeprefix("body."): e["message"] for e in (exc.errors or []) if e.get("path")
    }
    return FormErrors(fields, None if fields else exc.detail)
