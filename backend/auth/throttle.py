"""Limits on guessing and on flooding: password sign-in and portal sign-in links.

The counts live in Redis, so every process shares them. Who asks is told apart by source: the
browser's device cookie if it has signed in to this account before (OWASP "device cookies"),
else its IP address. A stranger who hammers an account can therefore only lock out their own
source; the account-wide limit applies only to sources the account has never signed in from,
so the owner's own browser always gets through.

Password sign-in: after `login_free_failures` wrong passwords from one source, every further
attempt from it waits (1, 2, 4 … minutes, at most 15), and the right password is refused too
while it waits. Per IP and per account there are hourly ceilings for unknown sources.
Portal sign-in links: a few per hour per address and source, and hourly ceilings likewise.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import Cookie

from backend.config import Settings
from backend.errors import TooManyRequests
from backend.ratelimit import hit, over

DEVICE_COOKIE = "desk_device"
DEVICE_DAYS = 180
_PREFIX = "desk:throttle"
_MAX_WAIT = 15 * 60


def _account(email: str) -> str:
    # Keys name accounts by digest: Redis holds no addresses.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _mac(secret: str, account: str, nonce: str) -> str:
    return hmac.new(f"device:{secret}".encode(), f"{account}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def device_cookie(settings: Settings, email: str) -> Cookie:
    """Marks this browser as one the account has signed in from."""
    nonce = secrets.token_hex(8)
    value = f"{nonce}.{_mac(settings.secret_key, _account(email), nonce)}"
    return Cookie(key=DEVICE_COOKIE, value=value, max_age=DEVICE_DAYS * 24 * 3600, path="/", httponly=True,
                  secure=settings.env != "dev", samesite="strict")


@dataclass(frozen=True)
class Source:
    """Who is asking for an account: a known device of it, or an IP address."""

    account: str
    key: str
    known: bool

    @classmethod
    def of(cls, settings: Settings, email: str, ip: str | None, cookie: str | None) -> Source:
        account = _account(email)
        nonce, _, mac = (cookie or "").partition(".")
        if nonce and hmac.compare_digest(mac, _mac(settings.secret_key, account, nonce)):
            return cls(account, f"device:{nonce}", True)
        return cls(account, f"ip:{ip or '-'}", False)


async def check_login(redis: Any, settings: Settings, source: Source) -> None:
    """Refuse (429) an attempt from a source that must wait, before the password is looked at."""
    failures, last = await redis.hmget(f"{_PREFIX}:login:{source.account}:{source.key}", "failures", "last")
    if failures is not None and int(failures) >= settings.login_free_failures:
        wait = min(60 * 2 ** (int(failures) - settings.login_free_failures), _MAX_WAIT)
        remaining = int(float(last) + wait - time.time())
        if remaining > 0:
            raise _refusal(remaining)
    if not source.known:
        await over(redis, "login-ip", source.key, limit=settings.login_failures_per_ip_hour, window_seconds=3600)
        await over(redis, "login-account", source.account, limit=settings.login_failures_per_account_hour,
                   window_seconds=3600)


async def login_failed(redis: Any, source: Source) -> None:
    key = f"{_PREFIX}:login:{source.account}:{source.key}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "failures", 1)
        pipe.hset(key, "last", time.time())
        pipe.expire(key, 24 * 3600)
        await pipe.execute()
    if not source.known:
        await hit(redis, "login-ip", source.key, limit=None, window_seconds=3600)
        await hit(redis, "login-account", source.account, limit=None, window_seconds=3600)


async def login_succeeded(redis: Any, source: Source) -> None:
    await redis.delete(f"{_PREFIX}:login:{source.account}:{source.key}")


async def count_link_request(redis: Any, settings: Settings, source: Source) -> None:
    """One more sign-in link asked for: refuse (429) a source or an address past its limits."""
    await hit(redis, "login-link", f"{source.account}:{source.key}", limit=settings.login_links_per_email_hour,
              window_seconds=3600)
    if not source.known:
        await hit(redis, "login-link-ip", source.key, limit=settings.login_links_per_ip_hour, window_seconds=3600)
        await hit(redis, "login-link-account", source.account, limit=settings.login_links_per_account_hour,
                  window_seconds=3600)


def _refusal(retry_after: int) -> TooManyRequests:
    return TooManyRequests(
        f"Too many failed sign-ins; try again in {retry_after} seconds.", retry_after=retry_after
    )
