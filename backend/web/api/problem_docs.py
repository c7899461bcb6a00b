"""The error answers of every API operation, documented in OpenAPI as problem+json."""

from __future__ import annotations

from litestar import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
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
    HTTP_503_SERVICE_UNAVAILABLE,
)
from pydantic import BaseModel

from backend.kernel.errors import PROBLEM_JSON


class FieldProblem(BaseModel):
    path: str
    message: str
    rule: str | None = None  # the business rule that failed (issuing an invoice: UStG-14-4-6, BR-CO-10 …)


class Problem(BaseModel):
    """The RFC 9457 body of every error response, as `problem()` writes it (for OpenAPI)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None


PROBLEM_DESCRIPTIONS = {
    HTTP_400_BAD_REQUEST: "Malformed request: a body or parameter that cannot be read",
    HTTP_401_UNAUTHORIZED: "Not signed in, or the token or link is not valid",
    HTTP_403_FORBIDDEN: "Your role may not do this",
    HTTP_404_NOT_FOUND: "No such row, or not one you may see",
    HTTP_409_CONFLICT: "Conflicts with the current state: a stale version, a move the state does not allow, "
    "a duplicate, or a document without its PDF yet",
    HTTP_410_GONE: "The link was valid once: it expired, was used or was withdrawn",
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The upload is larger than the limit the detail names",
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: "A file type that is not accepted, or content that is not what its name says",
    HTTP_422_UNPROCESSABLE_ENTITY: "Validation failed; `errors` names each field by its path",
    HTTP_429_TOO_MANY_REQUESTS: "Too many requests; the Retry-After header gives the seconds to wait",
    HTTP_503_SERVICE_UNAVAILABLE: "The database or the job queue could not be reached; retry after Retry-After seconds",
}


def problem_responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for error answers; pass a handler's own ones to its `responses=`."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=PROBLEM_DESCRIPTIONS[code],
            generate_examples=False,
        )
        for code in codes
    }


_RESERVED_KWARGS = {"self", "request", "state", "scope", "headers", "cookies", "query"}
_WRITES = {HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE}


def _problem_codes(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    dependencies = handler.resolve_dependencies()
    parameters = handler.parsed_fn_signature.parameters
    takes_input = any(name not in _RESERVED_KWARGS and name not in dependencies for name in parameters)
    codes = [HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY] if takes_input else []
    if not handler.opt.get("exclude_from_auth"):
        codes.append(HTTP_401_UNAUTHORIZED)
    guarded = bool(handler.resolve_guards())
    if guarded:
        codes.append(HTTP_403_FORBIDDEN)
    if route.path_parameters:
        codes.append(HTTP_404_NOT_FOUND)
    # Writes on the team's or a client's data (all of them role-guarded) can meet a stale version,
    # a state that does not allow the move, or a duplicate.
    if guarded and handler.http_methods & _WRITES:
        codes.append(HTTP_409_CONFLICT)
    codes.append(HTTP_503_SERVICE_UNAVAILABLE)  # every operation needs the database or Redis
    return codes


class ProblemResponses(ReceiveRoutePlugin):
    """Documents the problem+json answers of every API operation in OpenAPI.

    Litestar's own default (a 400 with a different body) is replaced; public operations are
    documented as needing no token. Derived from the handler:
    400/422 if it takes input, 401 unless public, 403 if role-guarded, 404 for a row in the path,
    409 for guarded writes, 503 for all. A handler adds what only it can answer (410, 429 …) with
    `responses=problem_responses(...)`; those entries win.
    """

    def __init__(self, prefix: str = "/api/") -> None:
        self.prefix = prefix

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(self.prefix):
            return
        for handler in route.route_handlers:
            derived = problem_responses(*_problem_codes(route, handler))
            handler.responses = derived | dict(handler.responses or {})
            if handler.opt.get("exclude_from_auth"):
                # Public: the empty requirement overrides the document's bearer token.
                handler.security = [{}]
