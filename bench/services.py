"""The Redis a benchmark fills: a private server of its own unless one is named, which must then
be empty, so a bench never flushes or mixes with data it did not create."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.redis_server import RedisTestServer


@contextmanager
def bench_redis(url: str | None) -> Iterator[str]:
    if url is None:
        # The server's folder goes with it: a bench leaves nothing behind.
        with (
            tempfile.TemporaryDirectory(prefix="desk-bench-redis-") as workdir,
            RedisTestServer(Path(workdir)) as server,
        ):
            yield server.url
        return
    held = redis.Redis.from_url(url).dbsize()
    if held:
        sys.exit(f"{url} holds {held} keys: name an empty database, or leave --redis-url out for a private server")
    yield url
