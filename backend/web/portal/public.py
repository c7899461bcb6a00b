"""What the pages a client's staff open without an account share: their context, the page that
says why a link is refused, and the bound on how often one address may send."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from backend.kernel.errors import DomainError
from backend.kernel.ratelimit import hit
from backend.web.forms import refusal, word
from backend.web.handlers import AppRequest
from backend.web.i18n import page_context
from backend.web.sessions import client_ip

# Sends per address and ten minutes: a room's or a team's phones share one address behind the
# company's router, so the limit is generous; it stops a script, not a team.
PER_TEN_MINUTES = 300


def public_context(request: AppRequest, **values: Any) -> dict[str, Any]:
    return page_context(request, brand=request.app.state.settings.brand_name, **values)


def refused_page(request: AppRequest, exc: DomainError, heading_key: str) -> Template:
    context = public_context(
        request, heading=word(request, heading_key), message=refusal(request, exc) or exc.detail, ok=False, link=None
    )
    return Template("public/message.html", context=context, status_code=exc.status_code, headers=exc.headers)


async def limit_public(request: AppRequest, bucket: str) -> None:
    await hit(request.app.state.queue, bucket, client_ip(request) or "-", limit=PER_TEN_MINUTES, window_seconds=600)
