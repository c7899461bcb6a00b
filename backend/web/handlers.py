"""What every handler uses, in the API and the pages alike: the request's database session,
paging and row-id parameters, role guards, documented request bodies."""

from typing import Annotated, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Body, PathParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.domains.auth.principals import Principal
from backend.kernel.enums import Role
from backend.kernel.paging import Paging
from backend.kernel.schema import MAX_ID

DbSession = NamedDependency[AsyncSession]
# Every list's limit, offset, cursor and total=true (backend.kernel.paging).
Pages = NamedDependency[Paging]
# A request as handlers see it: `request.user` is the signed-in principal (on routes open to
# everyone, reading it is an error).
AppRequest = Request[Principal, Any, State]
RowId = Annotated[
    int, PathParameter(ge=1, le=MAX_ID, description="The id of the row the path names", examples=[Example(value=1)])
]
# A signed token in a link (sign-in, share, check-in): long, never a number.
Token = Annotated[str, PathParameter(max_length=200)]


def role_guard(roles: frozenset[Role]):
    # Async on purpose: Litestar runs a sync guard in a worker thread, on every request.
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":
            return  # Litestar's own answer (204 with Allow); it runs without signing in
        if getattr(connection.scope.get("user"), "role", None) not in roles:
            raise PermissionDeniedException("Your role may not do this")

    guard.__name__ = "guard_" + "_".join(sorted(roles))
    return guard


def example_body(schema: type, value: dict[str, Any], description: str | None = None) -> Any:
    """Request-body annotation carrying one documented example."""
    return Annotated[schema, Body(examples=[Example(value=value)], description=description)]
