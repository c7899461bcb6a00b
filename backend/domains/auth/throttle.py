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

from backend.kernel.config import Settings
from backend.kernel.errors import TooManyRequests
from backend.kernel.ratelimit import hit, undo_hit

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
    return Cookie(
        key=DEVICE_COOKIE,
        value=value,
        max_age=DEVICE_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        secure=settings.env != "dev",
        samesite="strict",
    )


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
        # Bytes: compare_digest refuses a str with non-ASCII characters (a planted cookie).
        if nonce and hmac.compare_digest(mac.encode(), _mac(settings.secret_key, account, nonce).encode()):
            return cls(account, f"device:{nonce}", True)
        return cls(account, f"ip:{ip or '-'}", False)


# Count an attempt and decide whether it may go ahead, in one step: parallel guesses from one
# source each get their own count, so no more than the free ones reach the password check.
_BEGIN_ATTEMPT = """
local attempts = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '0')
local now, free, most = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if attempts > free then
  local wait = math.min(60 * 2 ^ (attempts - 1 - free), most)
  if now < last + wait then
    redis.call('HINCRBY', KEYS[1], 'failures', -1)
    return math.ceil(last + wait - now)
  end
end
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400)
return 0
"""


def _attempts_key(source: Source) -> str:
    return f"{_PREFIX}:login:{source.account}:{source.key}"


async def begin_login(redis: Any, settings: Settings, source: Source) -> None:
    """Count this attempt as a failure before the password is looked at (`login_succeeded`
    takes it back), or refuse it (429) if the source must wait or is over a ceiling."""
    wait = await redis.eval(
        _BEGIN_ATTEMPT, 1, _attempts_key(source), time.time(), settings.login_free_failures, _MAX_WAIT
    )
    if int(wait) > 0:
        raise _refusal(int(wait))
    if not source.known:
        try:
            await hit(redis, "login-ip", source.key, limit=settings.login_failures_per_ip_hour, window_seconds=3600)
            await hit(
                redis,
                "login-account",
                source.account,
                limit=settings.login_failures_per_account_hour,
                window_seconds=3600,
            )
        except TooManyRequests:
            await redis.hincrby(_attempts_key(source), "failures", -1)
            raise


async def login_succeeded(redis: Any, source: Source) -> None:
    await redis.delete(_attempts_key(source))
    if not source.known:
        await undo_hit(redis, "login-ip", source.key, window_seconds=3600)
        await undo_hit(redis, "login-account", source.account, window_seconds=3600)


async def count_link_request(redis: Any, settings: Settings, source: Source) -> None:
    """One more sign-in link asked for: refuse (429) a source or an address past its limits."""
    await hit(
        redis,
        "login-link",
        f"{source.account}:{source.key}",
        limit=settings.login_links_per_email_hour,
        window_seconds=3600,
    )
    if not source.known:
        await hit(redis, "login-link-ip", source.key, limit=settings.login_links_per_ip_hour, window_seconds=3600)
    # No ceiling per address: it would lock the owner out. The flood an address can receive is
    # bounded where links are made instead (backend.flows.portal.access: a few unused links at a time).


def _refusal(retry_after: int) -> TooManyRequests:
    return TooManyRequests(f"Too many failed sign-ins; try again in {retry_after} seconds.", retry_after=retry_after)
