"""A person whose browser opens a page that is not there, or not theirs, gets a page that says
so in their language with a way back — not the API's problem JSON. Programs (any request that
does not ask for HTML) and the API keep the problem details (RFC 9457)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.response import Template

from backend.kernel.enums import Role
from backend.kernel.errors import PROBLEM_JSON, is_page
from backend.web.i18n import page_context

Handler = Callable[[Request, Any], Response[Any]]

# The statuses a person meets by following an old link or typing an address; a form's own
# failures (409, 422) are shown on its page by the form handlers.
_SHOWN = {403: "forbidden", 404: "not_found", 410: "gone"}


def with_error_pages(handlers: dict[Any, Handler]) -> dict[Any, Handler]:
    return {kind: _as_page(handler) for kind, handler in handlers.items()}


def _as_page(handler: Handler) -> Handler:
    def answer(request: Request, exc: Any) -> Response[Any]:
        response = handler(request, exc)
        if _wants_page(request, response):
            return _page(request, response)
        return response

    return answer


def _wants_page(request: Request, response: Response[Any]) -> bool:
    return (
        request.method == "GET"
        and response.status_code in _SHOWN
        and response.media_type == PROBLEM_JSON
        and is_page(request)
        and "text/html" in request.headers.get("accept", "")
    )


def _page(request: Request, response: Response[Any]) -> Template:
    role = getattr(request.scope.get("user"), "role", None)
    status = response.status_code or 500
    name = _SHOWN[status]
    if role == Role.client or request.url.path.startswith("/portal"):
        template, home = "portal/message.html", "/portal" if role else "/portal/login"
    elif role is not None:
        template, home = "error.html", "/"
    else:
        template, home = "public/message.html", "/login"
    context = page_context(request, ok=False)
    t = context["t"]
    context.update(heading=t(f"error_{name}"), message=t(f"error_{name}_text"), link=(home, t("error_home")))
    headers = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
    return Template(template, context=context, status_code=status, media_type=MediaType.HTML, headers=headers)
