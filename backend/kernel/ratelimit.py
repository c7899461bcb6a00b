"""Fixed-window rate limits kept in Redis, so every API process and worker shares one count."""

from __future__ import annotations

import time
from typing import Any

from backend.kernel.errors import TooManyRequests


def _window(bucket: str, key: str, window_seconds: int) -> tuple[str, int]:
    now = int(time.time())
    return f"desk:rl:{bucket}:{key}:{now // window_seconds}", window_seconds - now % window_seconds


async def hit(redis: Any, bucket: str, key: str, *, limit: int | None, window_seconds: int) -> None:
    """Count one attempt; raise TooManyRequests once more than `limit` fell in the window."""
    name, retry_after = _window(bucket, key, window_seconds)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        count, _ = await pipe.execute()
    if limit is not None and count > limit:
        raise _refusal(retry_after)


async def undo_hit(redis: Any, bucket: str, key: str, *, window_seconds: int) -> None:
    """Take back one counted attempt (it turned out not to be one that counts)."""
    name, _ = _window(bucket, key, window_seconds)
    await redis.decr(name)


def _refusal(retry_after: int) -> TooManyRequests:
    return TooManyRequests(f"Too many requests; try again in {retry_after} seconds.", retry_after=retry_after)
