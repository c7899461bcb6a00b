"""The stopwatch page of a timing round: one link for everyone, opened on a phone without an
account. The device's cookie holds a random value only, so a device is counted once (the
round's threshold) and bounded in how much it sends; the server keeps its hash alone."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from backend.domains.pilots import timing
from backend.domains.pilots.timing_models import TimingRound
from backend.kernel.errors import DomainError
from backend.kernel.time import today
from backend.web.forms import refusal, word
from backend.web.handlers import AppRequest, DbSession, Token
from backend.web.portal.public import limit_public, public_context, refused_page

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
DEVICE_COOKIE = "desk_timer"
_DEVICE_DAYS = 180


def _device(request: AppRequest) -> tuple[str, Cookie | None]:
    """The device's random value, or a new one with the cookie that keeps it."""
    known = request.cookies.get(DEVICE_COOKIE, "")
    if 20 <= len(known) <= 64 and known.isalnum():
        return known, None
    value = secrets.token_hex(16)
    cookie = Cookie(
        key=DEVICE_COOKIE,
        value=value,
        path="/m/",
        max_age=_DEVICE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.env != "dev",
    )
    return value, cookie


async def _page(
    db_session: DbSession, request: AppRequest, row: TimingRound, token: str, **values: Any
) -> dict[str, Any]:
    kpi, task, unit = await timing.task_of(db_session, row)
    return public_context(
        request,
        kpi=kpi,
        task=task,
        unit=unit,
        token=token,
        needed=row.min_contributors,
        contributors=row.contributors,
        closes_on=row.closes_on,
        **{"done": None, "error": None, "times": "", **values},
    )


class TimingPages(Controller):
    include_in_schema = False

    @get("/m/{token:str}", exclude_from_auth=True)
    async def stopwatch(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        try:
            row = await timing.open_round(db_session, request.app.state.settings.secret_key, token, today())
        except DomainError as exc:
            return refused_page(request, exc, "timing_title")
        _, cookie = _device(request)
        context = await _page(db_session, request, row, token)
        return Template("public/stopwatch.html", context=context, cookies=[cookie] if cookie else None)

    @post("/m/{token:str}", exclude_from_auth=True, status_code=200)
    async def send_times(self, db_session: DbSession, request: AppRequest, token: Token, data: Form) -> Template:
        settings = request.app.state.settings
        try:
            await limit_public(request, "timing")
            row = await timing.open_round(db_session, settings.secret_key, token, today())
        except DomainError as exc:
            return refused_page(request, exc, "timing_title")
        device, cookie = _device(request)
        cookies = [cookie] if cookie else None
        typed = str(data.get("times", ""))[:2000]
        try:
            seconds = timing.parse_times(typed)
            row = await timing.add_times(db_session, row, device, seconds, today())
        except DomainError as exc:
            await db_session.rollback()
            row = await timing.open_round(db_session, settings.secret_key, token, today())
            error = refusal(request, exc) or exc.detail
            context = await _page(db_session, request, row, token, error=error, times=typed)
            return Template("public/stopwatch.html", context=context, status_code=exc.status_code, cookies=cookies)
        context = await _page(db_session, request, row, token, done=word(request, "timing_thanks", n=len(seconds)))
        return Template("public/stopwatch.html", context=context, cookies=cookies)
