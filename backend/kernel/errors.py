"""Domain exceptions and their RFC 9457 problem+json rendering.

Every error response of the API goes through `problem()`, so clients can rely on one shape:
`type`, `title`, `status`, `detail`, `instance` and, for validation, `errors[]` with field paths.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions import NotFoundException as LitestarNotFound
from litestar.response import Redirect
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_410_GONE,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from pydantic import ValidationError as PydanticValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.kernel.enums import Role
from backend.kernel.logs import mask_path

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    status_code = HTTP_400_BAD_REQUEST
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self, detail: str, *, errors: list[dict[str, Any]] | None = None, key: str | None = None, **values: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers: dict[str, str] | None = None
        # For pages: a word key (and its values) saying the same in the reader's language.
        self.key = key
        self.values = values


class NotFound(DomainError):
    status_code = HTTP_404_NOT_FOUND
    slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status_code = HTTP_409_CONFLICT
    slug = "conflict"
    title = "Conflict"


class VersionConflict(Conflict):
    slug = "version-conflict"
    title = "The resource was changed by someone else"


class ProposalExpired(Conflict):
    """Accepted after the date the offer was binding until: legally a new offer (§§ 148, 150 BGB)."""

    slug = "proposal-expired"
    title = "The proposal has expired"


class NotReady(Conflict):
    """Asked for too early: the thing is being made (Retry-After says when to ask again)."""

    slug = "not-ready"
    title = "Not ready yet"

    def __init__(self, detail: str, *, retry_after: int = 1, **values: Any) -> None:
        super().__init__(detail, **values)
        self.headers = {"Retry-After": str(retry_after)}


class IllegalTransition(Conflict):
    slug = "illegal-transition"
    title = "State transition not allowed"


class Invalid(DomainError):
    status_code = HTTP_422_UNPROCESSABLE_ENTITY
    slug = "validation"
    title = "Validation failed"

    @classmethod
    def field(cls, path: str, message: str, key: str | None = None, **values: Any) -> Invalid:
        return cls(f"{path}: {message}", errors=[{"path": path, "message": message}], key=key, **values)


class TooLarge(DomainError):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE
    slug = "too-large"
    title = "Content too large"


class UnsupportedType(DomainError):
    status_code = HTTP_415_UNSUPPORTED_MEDIA_TYPE
    slug = "unsupported-type"
    title = "Unsupported file type"


class Forbidden(DomainError):
    status_code = HTTP_403_FORBIDDEN
    slug = "forbidden"
    title = "Forbidden"


class Unauthorized(DomainError):
    status_code = HTTP_401_UNAUTHORIZED
    slug = "unauthorized"
    title = "Authentication required"


class Gone(DomainError):
    """A link that was valid once: expired, used or revoked."""

    status_code = HTTP_410_GONE
    slug = "gone"
    title = "No longer available"


class TooManyRequests(DomainError):
    status_code = HTTP_429_TOO_MANY_REQUESTS
    slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after)}


def problem(
    request: Request,
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def pydantic_errors(exc: PydanticValidationError, prefix: str = "body") -> list[dict[str, Any]]:
    return [
        # A validator's own message, without pydantic's "Value error, " in front of it.
        {
            "path": ".".join([prefix, *(str(p) for p in err["loc"])]),
            "message": str(err["msg"]).removeprefix("Value error, "),
        }
        for err in exc.errors(include_url=False)
    ]


def is_page(request: Request) -> bool:
    """Admin UI pages, as opposed to the JSON API and its documentation."""
    return not request.url.path.startswith(("/api/", "/schema", "/health", "/ready", "/static/"))


def _domain_handler(request: Request, exc: DomainError) -> Response[dict[str, Any]]:
    return problem(
        request,
        status=exc.status_code,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


def _public_name(request: Request, key: Any) -> Any:
    """A parameter as the client writes it (`?from=`), not as the handler names it (`start`)."""
    try:
        field = request.route_handler.parsed_fn_signature.parameters.get(key)
    except AttributeError:
        return key
    kwarg = getattr(field, "kwarg_definition", None)
    return getattr(kwarg, "query", None) or getattr(kwarg, "name", None) or key


def _validation_handler(request: Request, exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            # Litestar names the source only for parameters; body fields come without one.
            # (an enum for a dependency's parameters, a string for the handler's own)
            source = item.get("source") or "body"
            key = _public_name(request, item.get("key")) if item.get("source") else item.get("key")
            path = ".".join(str(p) for p in (getattr(source, "value", source), key) if p)
            message = str(item.get("message", "invalid")).removeprefix("Value error, ")
            errors.append({"path": path, "message": message})
    if errors:
        return problem(
            request,
            status=HTTP_422_UNPROCESSABLE_ENTITY,
            slug="validation",
            title="Validation failed",
            detail="; ".join(f"{e['path']}: {e['message']}" for e in errors),
            errors=errors,
        )
    return problem(
        request,
        status=HTTP_400_BAD_REQUEST,
        slug="bad-request",
        title="Bad request",
        detail=exc.detail or "Malformed request",
    )


def _pydantic_handler(request: Request, exc: PydanticValidationError) -> Response[dict[str, Any]]:
    errors = pydantic_errors(exc)
    return problem(
        request,
        status=HTTP_422_UNPROCESSABLE_ENTITY,
        slug="validation",
        title="Validation failed",
        detail="; ".join(f"{e['path']}: {e['message']}" for e in errors),
        errors=errors,
    )


_HTTP_SLUGS = {
    HTTP_401_UNAUTHORIZED: ("unauthorized", "Authentication required"),
    HTTP_403_FORBIDDEN: ("forbidden", "Forbidden"),
    HTTP_404_NOT_FOUND: ("not-found", "Not found"),
}


def _http_handler(request: Request, exc: HTTPException) -> Response[Any]:
    if exc.status_code == HTTP_401_UNAUTHORIZED and is_page(request):
        # A person is sent to the sign-in page instead of getting JSON; clients to the portal's.
        if request.url.path.startswith("/portal"):
            return Redirect("/portal/login", status_code=303)
        return Redirect(f"/login?next={quote(request.url.path)}", status_code=303)
    if exc.status_code == HTTP_403_FORBIDDEN and is_page(request) and request.method == "GET":
        # Signed in on the wrong side: a client opening the team's pages goes to the portal,
        # someone of the team opening the portal goes to the team's pages.
        in_portal = request.url.path.startswith("/portal")
        is_client = getattr(request.scope.get("user"), "role", None) == Role.client
        if is_client != in_portal:
            return Redirect("/portal" if is_client else "/", status_code=303)
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", exc.detail or "Error"))
    detail = exc.detail or title
    if exc.status_code == HTTP_401_UNAUTHORIZED and detail == "Unauthorized":
        # A valid signature whose session or user is no longer good for anything.
        detail = "This session has ended (signed out, or the user was deactivated): sign in again."
    return problem(request, status=exc.status_code, slug=slug, title=title, detail=detail, headers=exc.headers)


# The services check the common cases first and answer with field paths; these catch what a
# concurrent write (duplicate, vanished reference) or an out-of-range value still gets past them.
_DATABASE_REFUSALS: list[tuple[type[Exception], DomainError]] = [
    (IntegrityError, Conflict("The change conflicts with existing data (duplicate or missing reference).")),
    (DataError, Invalid("A value is outside what the database can store (too large or malformed).")),
]


def _database_handler(request: Request, exc: IntegrityError | DataError) -> Response[dict[str, Any]]:
    log.info("database refused a write on %s: %s", mask_path(request.url.path), exc.orig)
    refusal = next(error for kind, error in _DATABASE_REFUSALS if isinstance(exc, kind))
    return _domain_handler(request, refusal)


# SQLSTATEs of a transaction the database ended because of another one: a deadlock, a
# serialization failure. Nothing was written; the same request can simply be sent again.
_CONCURRENT = {"40P01", "40001"}


def _unavailable_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """A lost or refused connection to the database or Redis (a restart, a failover): say so and
    when to try again, instead of an unexplained 500."""
    if _sqlstate(exc) in _CONCURRENT:
        log.info("concurrent change on %s %s: %s", request.method, mask_path(request.url.path), type(exc).__name__)
        return problem(
            request,
            status=HTTP_409_CONFLICT,
            slug="concurrent-change",
            title="Changed at the same time",
            detail="Another change to the same data was made at the same moment; send the request again.",
            headers={"Retry-After": "1"},
        )
    lost = isinstance(exc, OperationalError | InterfaceError) or getattr(exc, "connection_invalidated", False)
    if isinstance(exc, DBAPIError) and not lost:
        return _internal_handler(request, exc)
    log.warning("backing service unavailable on %s %s: %s", request.method, mask_path(request.url.path), exc)
    return problem(
        request,
        status=HTTP_503_SERVICE_UNAVAILABLE,
        slug="unavailable",
        title="Service unavailable",
        detail="The database or the job queue could not be reached; try again shortly.",
        headers={"Retry-After": "1"},
    )


def _sqlstate(exc: Exception) -> str | None:
    original = getattr(exc, "orig", None)
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


def _undecodable_handler(request: Request, exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
    """A body the framework reads as text (a form field, a multipart part without a file name)
    that is not UTF-8: the sender's mistake."""
    return problem(
        request,
        status=HTTP_400_BAD_REQUEST,
        slug="bad-request",
        title="Bad request",
        detail="A part of the body is not UTF-8 text; a file is sent as a multipart part with a file name.",
    )


def _internal_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, mask_path(request.url.path), exc_info=exc)
    return problem(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        slug="internal",
        title="Internal server error",
        detail="An unexpected error occurred; it has been logged.",
    )


exception_handlers: dict[Any, Any] = {
    DomainError: _domain_handler,
    ValidationException: _validation_handler,
    PydanticValidationError: _pydantic_handler,
    NotAuthorizedException: _http_handler,
    PermissionDeniedException: _http_handler,
    LitestarNotFound: _http_handler,
    HTTPException: _http_handler,
    IntegrityError: _database_handler,
    DataError: _database_handler,
    DBAPIError: _unavailable_handler,
    # Every pooled connection busy for longer than the pool waits: overloaded, try again shortly.
    PoolTimeout: _unavailable_handler,
    ConnectionError: _unavailable_handler,
    RedisConnectionError: _unavailable_handler,
    RedisTimeoutError: _unavailable_handler,
    UnicodeDecodeError: _undecodable_handler,
    Exception: _internal_handler,
}


def answer_to_failure(request: Request, exc: Exception) -> Response[Any]:
    """The answer the handlers above give an exception (the most specific one that fits)."""
    for kind in type(exc).__mro__:
        if kind in exception_handlers:
            return exception_handlers[kind](request, exc)
    return _internal_handler(request, exc)


__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "Gone",
    "IllegalTransition",
    "Invalid",
    "NotFound",
    "PROBLEM_JSON",
    "TooManyRequests",
    "Unauthorized",
    "VersionConflict",
    "answer_to_failure",
    "exception_handlers",
    "problem",
    "pydantic_errors",
]
