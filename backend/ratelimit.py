"""Fixed-window rate limits kept in Redis, so every API process and worker shares one count."""

from __future__ import annotations

import time
from typing import Any

from backend.errors import TooManyRequests


async def hit(redis: Any, bucket: str, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one attempt; raise TooManyRequests once `limit` attempts fell in the window."""
    window = int(time.time()) // window_seconds
    name = f"desk:rl:{bucket}:{key}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(name)
        pipe.expire(name, window_seconds + 1)
        count, _ = await pipe.execute()
    if count > limit:
        retry_after = window_seconds - int(time.time()) % window_seconds
        raise TooManyRequests(
            f"Too many requests; try again in {retry_after} seconds.", retry_after=retry_after
        )
