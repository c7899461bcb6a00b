"""The one form flow of the admin and portal pages, on top of the API's schemas.

A page posts a form; `attempt` runs the write (parse with the API's schema, call the service)
and turns a refusal into a `Failure`: what was typed, each field's error in the page's
language, one general message, the status to answer. The page then renders itself again with
the failure (its section opened, the values kept), or redirects with `done` after success.
Pages differ only in their `Wording`: which catalog words name a conflict, a refused state
change, a clash, or a refused field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from litestar.response import Redirect
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.crud import CrudService
from backend.kernel import i18n
from backend.kernel.errors import DomainError, IllegalTransition, TooManyRequests, VersionConflict
from backend.kernel.schema import Transition
from backend.kernel.time import BERLIN
from backend.web.handlers import AppRequest
from backend.web.i18n import language_of, page_context, try_again

# Errors that mean "not given" (or not usably given): a page's own sentence for the field fits
# them; "too long" or "not a number" keep their precise message.
NOT_GIVEN = frozenset(
    {"missing", "string_too_short", "string_type", "signature_letters", "must_be_true", "bool_parsing", "bool_type"}
)


@dataclass(frozen=True)
class Wording:
    """The catalog words a page uses for refusals. `fields` gives a field a sentence of its own
    when it was not given (the portal's "please tick the box"); an error in a `hidden` field
    (one the page filled in, not the reader) asks to reload the page."""

    conflict: str = "conflict"
    transition: str = "transition_refused"
    clash: str = "clash"
    fields: Mapping[str, str] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    reload: str = "transition_refused"

    def says(self, name: str, kind: str | None, lang: str) -> str | None:
        """The page's sentence for an error of `kind` in field `name` (None: a service's)."""
        if name in self.hidden:
            return i18n.say("page", lang, self.reload)
        key = self.fields.get(name)
        if key is not None and (kind is None or kind in NOT_GIVEN):
            return i18n.say("page", lang, key)
        return None


ADMIN = Wording()

# The page's language and wording while `attempt` runs a form's write, for the field messages.
_PAGE: ContextVar[tuple[str, Wording]] = ContextVar("form_page", default=("en", ADMIN))


def field_message(error: Mapping[str, Any], lang: str) -> str:
    """One pydantic error as the page's language says it: German from the catalog's
    `validation` words; English keeps pydantic's text, as do the schemas' own rules."""
    text = str(error["msg"]).removeprefix("Value error, ")
    if lang != "de":
        return text
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        kind = "string_too_short_1"
    elif kind == "value_error" and text.startswith("value is not a valid email address"):
        kind = "email"
    entry = i18n.words("validation", lang).get(kind)
    return i18n.fill(entry, {k: str(v) for k, v in ctx.items()}) if entry else text


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
    lang, wording = _PAGE.get()
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        name = str(err["loc"][0]) if err["loc"] else "__all__"
        errors.setdefault(name, wording.says(name, err["type"], lang) or field_message(err, lang))
    return errors


def from_domain(exc: DomainError) -> FormErrors:
    """A service's refusal (422 with paths, 409) as form errors."""
    lang, wording = _PAGE.get()
    paths = [(e["path"].removeprefix("body."), e["message"]) for e in (exc.errors or []) if e.get("path")]
    fields = {name: wording.says(name, None, lang) or message for name, message in paths}
    return FormErrors(fields, None if fields else exc.detail)


def decimals(form: dict[str, Any], *names: str) -> dict[str, Any]:
    """German input: "1.234,50" and "65,50" become "1234.50" and "65.50"; "65.50" stays."""
    values = dict(form)
    for name in names:
        text = str(values.get(name) or "").strip().replace(" ", "").replace("\u202f", "")
        if "," in text:
            values[name] = text.replace(".", "").replace(",", ".")
    return values


def berlin_datetime(value: Any) -> Any:
    """A datetime-local value ("2026-11-10T09:00") as Berlin time; anything else unchanged."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return value
    return moment.replace(tzinfo=BERLIN) if moment.tzinfo is None else moment


def word(request: AppRequest, key: str, **values: Any) -> str:
    return page_context(request)["t"](key, **values)


def _written(value: Any, fmt: Any, t: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt.money(value)
    if isinstance(value, datetime):
        return fmt.datetime(value)
    if isinstance(value, date):
        return fmt.date(value)
    return ", ".join(map(t, value)) if isinstance(value, tuple) else value


def refusal(request: AppRequest, exc: DomainError, wording: Wording = ADMIN) -> str | None:
    """What a page says about a service's refusal: its own catalog word when the service named
    one (with its values, dates formatted), else the page's word for the kind of refusal."""
    if isinstance(exc, TooManyRequests):
        t = page_context(request)["t"]
        return str(t("portal_too_many", when=try_again(t, exc)))
    if exc.key:
        context = page_context(request)
        fmt, t = context["fmt"], context["t"]
        # A date is written the reader's way; a tuple of catalog keys becomes their words.
        values = {k: _written(v, fmt, t) for k, v in exc.values.items()}
        return t(exc.key, **values)
    if isinstance(exc, VersionConflict):
        return word(request, wording.conflict)
    if isinstance(exc, IllegalTransition):
        return word(request, wording.transition)
    return None


@dataclass(frozen=True)
class Failure:
    """A refused form post: which section, what was typed, the errors, the status to answer."""

    section: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    status: int = 200

    def form(self, section: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.values if section == self.section else (default or {})

    def errors(self, section: str) -> dict[str, str]:
        return self.fields if section == self.section else {}

    def message(self, section: str) -> str | None:
        return self.general if section == self.section else None

    def opened(self, section: str) -> bool:
        return section == self.section

    def alert(self, section: str) -> str | None:
        """One message for pages that show a single alert: the general one, else the first field's."""
        if section != self.section:
            return None
        return self.general or next(iter(self.fields.values()), None)


async def attempt(
    db_session: AsyncSession,
    request: AppRequest,
    section: str,
    data: dict[str, Any],
    action: Callable[[], Awaitable[Any]],
    wording: Wording = ADMIN,
) -> Failure | None:
    """Run one write; a refusal becomes a Failure the page shows next to the section's fields.

    The write is the request's first, so rolling the session back on a refusal undoes exactly
    it (a savepoint would not: SQLite's driver commits when the outermost one is released)."""
    page = _PAGE.set((language_of(request), wording))
    try:
        await action()
    except FormErrors as exc:
        return _failure(section, data, exc.fields, exc.general, 422)
    except ValidationError as exc:  # the merged values of an edit break a rule of the record
        await db_session.rollback()
        return _failure(section, data, field_errors(exc), None, 422)
    except DomainError as exc:
        await db_session.rollback()
        errors, said = from_domain(exc), refusal(request, exc, wording)
        if said and len(errors.fields) == 1:
            # A refusal of one field, in the page's words, next to that field.
            return _failure(section, data, dict.fromkeys(errors.fields, said), None, exc.status_code)
        return _failure(section, data, errors.fields, said or errors.general, exc.status_code)
    except IntegrityError:  # a duplicate, or a concurrent write got there first (the week's status update)
        await db_session.rollback()
        return _failure(section, data, {}, word(request, wording.clash), 409)
    finally:
        _PAGE.reset(page)
    return None


def _failure(section: str, data: dict[str, Any], fields: dict[str, str], general: str | None, status: int) -> Failure:
    fields = dict(fields)
    general = general or fields.pop("__all__", None)
    return Failure(section, data, fields, general, status)


async def done(db_session: AsyncSession, url: str, **kwargs: Any) -> Redirect:
    """Send the browser back; the request's unit of work commits on the redirect."""
    return Redirect(url, status_code=303, **kwargs)


def move(
    service: CrudService, db_session: AsyncSession, request: AppRequest, row_id: int, data: dict[str, Any]
) -> Callable[[], Awaitable[Any]]:
    """The action of a state-change button form (hidden `to` and `version`, maybe `reason`)."""
    return lambda: service.transition(db_session, request.user, row_id, parse(Transition, data))


def checked(form: dict[str, Any], name: str) -> bool:
    """A checkbox of an edit form: an unticked one sends nothing, so its absence means false."""
    return form.get(name) in ("1", "on", "true")


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- edit forms: one row PATCHed from a form with its hidden version ---------------------------

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def edit_values(data: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """An edit form as a patch: only the fields the form sent; an emptied field clears the value
    (a required one then fails validation next to its input)."""
    return {name: None if data[name] in ("", None) else data[name] for name in names if name in data}


async def save_edit(
    service: CrudService,
    schema: Any,
    db_session: AsyncSession,
    request: AppRequest,
    row_id: int,
    data: dict[str, Any],
    values: dict[str, Any],
    whole: str | None = None,
) -> Any:
    """PATCH one row from an edit form (hidden `version`); the merged row is validated by the
    create schema, whose cross-field refusal is shown next to `whole` (else above the form)."""
    version = int_or_none(data.get("version"))
    if version is None:
        raise FormErrors({}, word(request, "conflict"))
    patch = parse(schema, {}, **values, version=version)
    try:
        return await service.update(db_session, request.user, row_id, patch)
    except ValidationError as exc:
        errors = field_errors(exc)
        if whole and "__all__" in errors:
            errors[whole] = errors.pop("__all__")
        raise FormErrors(errors) from exc


def edit_defaults(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """A stored row as an edit form's values; times as Berlin datetime-local."""
    values = {}
    for name in names:
        value = getattr(row, name)
        if isinstance(value, datetime):
            value = value.astimezone(BERLIN).strftime(DATETIME_LOCAL)
        values[name] = value
    return values
