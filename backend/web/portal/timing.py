"""The stopwatch page of a timing round: one link for everyone, opened on a phone without an
account. The device's cookie holds a random value only, so a device is counted once (the
round's threshold) and bounded in how much it sends; the server keeps its hash alone. A round
with participation codes asks for one instead, and the page's cookie keeps it for this round's
link only."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from backend.domains.pilots import timing
from backend.domains.pilots.timing_models import LONGEST_ROUND, TimingRound
from backend.kernel.errors import DomainError, Gone, Invalid
from backend.kernel.ratelimit import hit
from backend.kernel.signing import mac
from backend.kernel.time import today
from backend.web.forms import refusal, word
from backend.web.handlers import AppRequest, DbSession, Token
from backend.web.portal.public import limit_public, public_context, refused_page
from backend.web.sessions import client_ip, private_cookie

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
DEVICE_COOKIE = "desk_timer"
DEVICE = "timing-device"  # the MAC's purpose (kernel/signing.py)
_DEVICE_DAYS = 180


# New contributors one address may bring into the rounds per hour, counted when a device first
# sends times (opening the page costs nothing): a department behind one router times on its
# phones; a script minting devices to fill a round's threshold alone is slowed. Where one person
# with many devices must not count many times, a round has participation codes.
NEW_DEVICES_PER_HOUR = 60
CODE_COOKIE = "desk_timing_code"


def _known_device(request: AppRequest) -> str | None:
    """The device's value, if this server gave it (a value made up by the sender counts for nothing)."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    nonce, _, tag = value.partition(".")
    secret = request.app.state.settings.secret_key
    if len(nonce) == 32 and nonce.isascii() and nonce.isalnum() and tag == mac(secret, DEVICE, nonce):
        return nonce
    return None


async def _count_new_contributor(request: AppRequest) -> None:
    await hit(
        request.app.state.queue,
        "timing-device",
        client_ip(request) or "-",
        limit=NEW_DEVICES_PER_HOUR,
        window_seconds=3600,
    )


def _new_device(request: AppRequest) -> Cookie:
    """A device cookie of this server's making: a random value and its MAC, nothing else."""
    nonce = secrets.token_hex(16)
    value = f"{nonce}.{mac(request.app.state.settings.secret_key, DEVICE, nonce)}"
    return private_cookie(request, DEVICE_COOKIE, value, path="/m/", max_age=_DEVICE_DAYS * 86400, samesite="lax")


def _code_cookie(request: AppRequest, token: str, code: str) -> Cookie:
    """The participation code, kept for this round's link only (a later visit need not type it)."""
    lasts = int(LONGEST_ROUND.total_seconds())
    return private_cookie(request, CODE_COOKIE, timing.normal_code(code), path=f"/m/{token}", max_age=lasts)


def _saved_code(request: AppRequest, row: TimingRound) -> str | None:
    """The code this device used in the round before, if it is one of the round's."""
    typed = request.cookies.get(CODE_COOKIE, "")
    if not row.codes or not typed:
        return None
    try:
        timing.code_key(request.app.state.settings.secret_key, row, typed)
    except DomainError:
        return None
    return typed


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
        closes_on=row.closes_on,
        with_codes=bool(row.codes),
        **{"done": None, "error": None, "times": "", "code": "", "code_saved": False, **values},
    )


def _unsaved(request: AppRequest, exc: DomainError) -> Template:
    """Times sent to a round that has ended: the page says they were not stored."""
    if exc.key == "timing_ended":
        exc = Gone(exc.detail, key="timing_ended_unsaved")
    return refused_page(request, exc, "timing_title")


class TimingPages(Controller):
    include_in_schema = False

    @get("/m/{token:str}", exclude_from_auth=True)
    async def stopwatch(self, db_session: DbSession, request: AppRequest, token: Token) -> Template:
        try:
            row = await timing.open_round(db_session, request.app.state.settings.secret_key, token, today())
            cookies = None if row.codes or _known_device(request) else [_new_device(request)]
        except DomainError as exc:
            return refused_page(request, exc, "timing_title")
        context = await _page(db_session, request, row, token, code_saved=_saved_code(request, row) is not None)
        return Template("public/stopwatch.html", context=context, cookies=cookies)

    @post("/m/{token:str}", exclude_from_auth=True, status_code=200)
    async def send_times(self, db_session: DbSession, request: AppRequest, token: Token, data: Form) -> Template:
        settings = request.app.state.settings
        try:
            await limit_public(request, "timing")
            row = await timing.open_round(db_session, settings.secret_key, token, today())
        except DomainError as exc:
            return _unsaved(request, exc)
        typed = str(data.get("times", ""))[:2000]
        code = str(data.get("code") or "")[:40] or _saved_code(request, row) or ""
        cookie = None
        try:
            if row.codes:
                key = timing.code_key(settings.secret_key, row, code)
                cookie = _code_cookie(request, token, code)
            elif (device := _known_device(request)) is not None:
                key = timing.device_key(row.id, device)
            else:  # cookies blocked, or a device made up: a new one, and the times kept to send again
                cookie = _new_device(request)
                raise Invalid.field(
                    "times", "this device is new to the round: send the times again", key="timing_device_new"
                )
            seconds = timing.parse_times(typed)
            timing.check_times(seconds)  # times that store nothing cost the address nothing
            if not await timing.took_part(db_session, key):
                await _count_new_contributor(request)
            row = await timing.add_times(db_session, row, key, seconds, today())
        except DomainError as exc:
            await db_session.rollback()
            try:
                row = await timing.open_round(db_session, settings.secret_key, token, today())
            except DomainError as ended:  # it ended in the meantime: nothing was stored
                return _unsaved(request, ended)
            error = refusal(request, exc) or exc.detail
            context = await _page(db_session, request, row, token, error=error, times=typed, code=code)
            # A refused code is not kept; a new device's cookie is, so the times can go again.
            cookies = [cookie] if cookie is not None and not row.codes else None
            return Template("public/stopwatch.html", context=context, status_code=exc.status_code, cookies=cookies)
        done = word(request, "timing_thanks", n=len(seconds))
        context = await _page(db_session, request, row, token, done=done, code_saved=bool(row.codes))
        return Template("public/stopwatch.html", context=context, cookies=[cookie] if cookie is not None else None)
