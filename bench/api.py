"""API speed on 10,000 engagements in PostgreSQL, next to a bare Litestar endpoint.

    .venv/bin/python bench/api.py [--engagements 10000] [--concurrency 8] [--seconds 10] [--workers 2]

Seeds a fresh database `desk_bench_api` on 127.0.0.1:5432 (clients, contacts, engagements,
pilots, KPIs, measurements, deliverables), starts `desk serve` (uvicorn, uvloop, httptools;
JSON access log on, as in production) and a bare Litestar app with the same server settings,
and drives each endpoint with wrk (Debian package `wrk`) on loopback: `concurrency`
connections, random pages and ids. Prints requests/s, p50 and p99 latency, the share of the
bare endpoint's requests/s and the SQL statements per request (counted in-process).
Targets: list endpoints p99 ≤ 50 ms, ≥ 40 % of the bare rps, constant queries per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from httpx import ASGITransport, AsyncClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from backend.domains.auth.models import User  # noqa: E402
from backend.domains.auth.passwords import hash_password  # noqa: E402
from backend.domains.auth.sessions import issue_token  # noqa: E402
from backend.kernel.config import Settings  # noqa: E402
from backend.kernel.db import make_engine, make_sessionmaker  # noqa: E402
from backend.kernel.enums import Role  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from backend.server.app import create_app  # noqa: E402
from backend.server.loadgen import seed_engagements  # noqa: E402
from bench.postgres import SERVER, fresh_postgres  # noqa: E402
from bench.services import bench_redis  # noqa: E402
from tests.conftest import running_lifespan  # noqa: E402
from tests.live_server import wait_until_answering  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

SECRET = "bench-secret-key-long-enough-for-settings-0123"
BARE_DATA = "/bare/engagements?offset={n}"


@dataclass
class Target:
    name: str
    path: str  # "{n}" is replaced per request by a random number in [1, spread]
    spread: int = 0
    is_list: bool = True


def targets(count: int) -> list[Target]:
    return [
        Target("engagements list (newest first)", "/api/v1/engagements?limit=20&offset={n}", 500),
        Target(
            "engagements list, status filter, by title",
            "/api/v1/engagements?status=active&sort=title&limit=20&offset={n}",
            500,
        ),
        Target("clients list (by name)", "/api/v1/clients?limit=20&offset={n}", 500),
        Target("deliverables of one engagement", "/api/v1/deliverables?engagement_id={n}", count),
        Target("engagement detail", "/api/v1/engagements/{n}", count, is_list=False),
    ]


async def seed(settings: Settings, count: int) -> int:
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        await seed_engagements(session, count, start=date(2026, 11, 2))
        user = User(
            email="bench@engagement-desk.de",
            full_name="Bench",
            role=Role.consultant,
            password_hash=hash_password("bench-password-123"),
        )
        session.add(user)
        await session.commit()
        user_id = user.id
    async with engine.connect() as connection:
        # As autovacuum does after a bulk load: row counts for the planner, and a visibility map
        # so counts can read an index alone.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    return user_id  # type: ignore[return-value]


async def queries_per_request(settings: Settings, token: str, count: int) -> dict[str, list[int]]:
    """SQL statements each target costs, for three different pages or ids (must be equal)."""
    app = create_app(settings)
    statements = 0

    def on_execute(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", on_execute)
    found: dict[str, list[int]] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with running_lifespan(app), AsyncClient(transport=ASGITransport(app=app), base_url="http://b") as http:
        # As in the running server: the user change feed is up and the user has been seen once.
        deadline = time.monotonic() + 10
        while not app.state.principals.live:
            assert time.monotonic() < deadline, "user change feed did not come up"
            await asyncio.sleep(0.01)
        assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 200
        for target in targets(count):
            found[target.name] = []
            for n in (1, count // 2, count - 20):
                statements = 0
                response = await http.get(target.path.replace("{n}", str(n)), headers=headers)
                assert response.status_code == 200, response.text
                found[target.name].append(statements)
    await app.state.engine.dispose()
    return found


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_answering(f"http://127.0.0.1:{port}/{'health' if 'serve' in command else 'bare'}", process, 60)
    return process


LUA = """
math.randomseed(os.time())
request = function()
  local path = string.gsub(wrk.path, "NUM", tostring(math.random(1, %d)))
  return wrk.format(nil, path)
end
"""


def wrk(url: str, spread: int, concurrency: int, seconds: int, token: str | None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % max(spread, 1))
    command = ["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", script.name]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    # The script puts a random number where the URL says NUM.
    out = subprocess.run([*command, url.replace("{n}", "NUM")], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(latency["50"]),
        "p99": _ms(latency["99"]),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engagements", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--redis-url", default=None, help="an empty database (default: a private server)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with bench_redis(args.redis_url) as redis_url:
        return measure(args, redis_url)


def measure(args: argparse.Namespace, redis_url: str) -> int:
    database_url = asyncio.run(fresh_postgres(SERVER, "desk_bench_api"))
    settings = Settings(
        env="bench", secret_key=SECRET, database_url=database_url, redis_url=redis_url, queue_name="desk-bench-api"
    )
    t0 = time.perf_counter()
    user_id = asyncio.run(seed(settings, args.engagements))
    print(
        f"seeded {args.engagements} engagements with clients, contacts, pilots, KPIs, measurements and "
        f"deliverables in {time.perf_counter() - t0:.1f} s"
    )
    token = asyncio.run(issue_token(create_app(settings), user_id))
    counts = asyncio.run(queries_per_request(settings, token, args.engagements))

    app_port, bare_port = free_port(), free_port()
    env = os.environ | {
        "DESK_ENV": "bench",
        "DESK_SECRET_KEY": SECRET,
        "DESK_DATABASE_URL": database_url,
        "DESK_REDIS_URL": redis_url,
        "DESK_QUEUE_NAME": "desk-bench-api",
    }
    server = start(
        [sys.executable, "-m", "backend.server.cli", "serve", "--port", str(app_port), "--workers", str(args.workers)],
        env,
        app_port,
    )
    env["BENCH_DSN"] = database_url.replace("postgresql+asyncpg", "postgresql")
    bare = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(bare_port),
            "--workers",
            str(args.workers),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env,
        bare_port,
    )
    results: dict[str, dict[str, float]] = {}
    try:
        for port, path, spread, auth in [(bare_port, "/bare", 0, None), (bare_port, BARE_DATA, 500, None)] + [
            (app_port, t.path, t.spread, token) for t in targets(args.engagements)
        ]:
            wrk(f"http://127.0.0.1:{port}{path}", spread, args.concurrency, 2, auth)  # warm up
            results[path] = wrk(f"http://127.0.0.1:{port}{path}", spread, args.concurrency, args.seconds, auth)
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(15)

    floor, base = results["/bare"], results[BARE_DATA]
    print(
        f"\n{args.concurrency} concurrent connections, {args.seconds} s each, {args.workers} server processes, "
        f"{os.cpu_count()} cores (wrk and PostgreSQL on the same machine)\n"
    )
    print(f"{'endpoint':44} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'of bare':>8} {'queries':>9}")
    print(
        f"{'bare Litestar, 20 rows from memory':44} {floor['rps']:8.0f} {floor['p50']:7.2f} {floor['p99']:7.2f} "
        f"{100 * floor['rps'] / base['rps']:7.0f} % {'0':>9}"
    )
    print(
        f"{'bare Litestar + asyncpg, same page from PG':44} {base['rps']:8.0f} {base['p50']:7.2f} {base['p99']:7.2f} "
        f"{'100 %':>8} {'2':>9}"
    )
    base = base["rps"]
    ok = True
    for target in targets(args.engagements):
        r = results[target.path]
        share = 100 * r["rps"] / base
        per_request = counts[target.name]
        constant = len(set(per_request)) == 1
        print(
            f"{target.name:44} {r['rps']:8.0f} {r['p50']:7.2f} {r['p99']:7.2f} {share:7.0f} % "
            f"{'/'.join(map(str, per_request)):>9}"
        )
        if r["errors"]:
            print(f"  ! {r['errors']} non-2xx responses")
            ok = False
        if target.is_list and (r["p99"] > 50 or share < 40 or not constant):
            ok = False
    print("\ntargets met (lists: p99 ≤ 50 ms, ≥ 40 % of bare, constant queries)" if ok else "\nTARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
