"""Liveness and readiness: is the process up, can it reach its database and Redis, does a
worker beat. Load balancers and compose health checks call these without signing in."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from arq.constants import health_check_key_suffix
from litestar import Controller, Request, Response, get

from backend.kernel.db import ping

# A worker rewrites its heartbeat this often; the key lives one second longer.
WORKER_HEARTBEAT_SECONDS = 30
CHECK_TIMEOUT_SECONDS = 2.0


def heartbeat_key(queue_name: str) -> str:
    return queue_name + health_check_key_suffix


async def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"status": "down", "error": type(exc).__name__}
    result = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
    if detail:
        result["detail"] = detail
    return result


async def _database(app: Any) -> None:
    await ping(app.state.engine)


async def _redis(app: Any) -> None:
    await app.state.queue.ping()


async def worker_heartbeat(redis: Any, queue_name: str) -> str | None:
    """The last heartbeat a worker of this queue wrote (its job counters), None if none is alive."""
    beat = await redis.get(heartbeat_key(queue_name))
    return beat.decode() if beat else None


class HealthController(Controller):
    include_in_schema = False

    @get("/health", exclude_from_auth=True)
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", exclude_from_auth=True)
    async def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        """503 when the database or Redis is unreachable; a missing worker is reported, not
        fatal: the API serves without one, jobs wait in the queue."""
        app = request.app
        database, redis = await asyncio.gather(_timed(_database(app)), _timed(_redis(app)))
        checks: dict[str, Any] = {"database": database, "redis": redis}
        if redis["status"] == "ok":
            beat = await worker_heartbeat(app.state.queue, app.state.settings.queue_name)
            checks["worker"] = {"status": "ok", "detail": beat} if beat else {"status": "down"}
        ready = database["status"] == redis["status"] == "ok"
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return Response(body, status_code=200 if ready else 503)
