"""API speed on 10,000 or 100,000 engagements (and ten times as many time entries) in PostgreSQL,
next to bare Litestar endpoints.

    .venv/bin/python bench/api.py [--engagements 10000] [--concurrency 8] [--seconds 10] [--workers 2]
                                  [--database-url URL] [--redis-url URL]

Seeds a PostgreSQL database of its own (on 127.0.0.1:5432 or the server `--database-url` names;
dropped afterwards) with clients, contacts, engagements, pilots, KPIs, measurements and
deliverables, starts `desk serve` (uvicorn, uvloop, httptools; JSON access log on, as in
production) and a bare Litestar app with the same server settings, and drives each endpoint with
wrk (Debian package `wrk`) on loopback: `concurrency` connections over random pages, depths and
ids. Beside each endpoint the bare app answers the same page with raw asyncpg (`SELECT *`, same
filter, order and limit). Prints requests/s, p50 and p99 latency, the share of the bare
endpoint's requests/s, the SQL statements per request (counted in-process) and the memory of
every server process.
Targets: lists p99 ≤ 50 ms and ≥ 60 % of their bare endpoint, constant statements per request
at any depth; the serving supervisor ≤ 40 MiB. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
from backend.kernel.paging import encode_cursor  # noqa: E402
from backend.server.app import create_app  # noqa: E402
from backend.server.loadgen import seed_engagements  # noqa: E402
from bench.postgres import bench_database  # noqa: E402
from bench.services import bench_redis  # noqa: E402
from tests.conftest import running_lifespan  # noqa: E402
from tests.live_server import wait_until_answering  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

SECRET = "bench-secret-key-long-enough-for-settings-0123"
START = date(2026, 11, 2)  # every seeded engagement's start
PATHS_PER_TARGET = 500
ENTRIES_PER_ENGAGEMENT = 10
NEWEST = "ORDER BY start_date DESC, id DESC LIMIT 20"


@dataclass
class Target:
    name: str
    app: Callable[[int], str]  # the endpoint's path for a number (an offset, an id)
    numbers: tuple[int, int]  # the range the numbers are drawn from
    bare: str  # the same page in SQL, `$1` for the number
    is_list: bool = True
    # An offset near the end costs what the database's walk over every skipped row costs (the
    # bare page as much): held to the share of the bare page, not to the 50 ms (cursors are).
    walks: bool = False


def targets(count: int) -> list[Target]:
    deep = (count - 1000, count - 20)
    return [
        Target(
            "engagements, newest first",
            lambda n: f"/api/v1/engagements?limit=20&offset={n}",
            (0, 500),
            f"SELECT * FROM engagements {NEWEST} OFFSET $1",
        ),
        Target(
            "engagements, offset at the end",
            lambda n: f"/api/v1/engagements?limit=20&offset={n}",
            deep,
            f"SELECT * FROM engagements {NEWEST} OFFSET $1",
            walks=True,
        ),
        Target(
            "engagements by cursor, any depth",
            lambda n: f"/api/v1/engagements?limit=20&cursor={encode_cursor('-start_date', START, n)}",
            (21, count),
            f"SELECT * FROM engagements WHERE (start_date, id) < ('{START}', $1) {NEWEST}",
        ),
        Target(
            "engagements, status filter, by title",
            lambda n: f"/api/v1/engagements?status=active&sort=title&limit=20&offset={n}",
            (0, 500),
            "SELECT * FROM engagements WHERE status = 'active' ORDER BY title, id LIMIT 20 OFFSET $1",
        ),
        Target(
            "clients (live, by name)",
            lambda n: f"/api/v1/clients?limit=20&offset={n}",
            (0, 500),
            "SELECT * FROM clients WHERE archived_at IS NULL ORDER BY name, id LIMIT 20 OFFSET $1",
        ),
        Target(
            "clients, offset at the end",
            lambda n: f"/api/v1/clients?limit=20&offset={n}",
            deep,
            "SELECT * FROM clients WHERE archived_at IS NULL ORDER BY name, id LIMIT 20 OFFSET $1",
            walks=True,
        ),
        Target(
            "deliverables of one engagement",
            lambda n: f"/api/v1/deliverables?engagement_id={n}",
            (1, count),
            "SELECT * FROM deliverables WHERE engagement_id = $1 ORDER BY due_week, id LIMIT 20",
        ),
        Target(
            "time entries, newest first",
            lambda n: f"/api/v1/time-entries?limit=20&offset={n}",
            (0, 500),
            "SELECT * FROM time_entries ORDER BY day DESC, id DESC LIMIT 20 OFFSET $1",
        ),
        Target(
            "time entries of one engagement",
            lambda n: f"/api/v1/time-entries?engagement_id={n}",
            (1, count),
            "SELECT * FROM time_entries WHERE engagement_id = $1 ORDER BY day DESC, id DESC LIMIT 20",
        ),
        Target(
            "engagement detail",
            lambda n: f"/api/v1/engagements/{n}",
            (1, count),
            "SELECT * FROM engagements WHERE id = $1",
            is_list=False,
        ),
    ]


async def seed(settings: Settings, count: int) -> int:
    engine = make_engine(settings.database_url)
    await upgrade(engine)
    async with make_sessionmaker(engine)() as session:
        await seed_engagements(session, count, start=START)
        user = User(
            email="bench@engagement-desk.de",
            full_name="Bench",
            role=Role.consultant,
            password_hash=hash_password("bench-password-123"),
        )
        session.add(user)
        await session.flush()
        # A month of the bench user's time on every engagement, in one statement.
        await (await session.connection()).execute(
            text(
                "INSERT INTO time_entries (engagement_id, user_id, day, minutes, description, billable,"
                " created_at, updated_at, version)"
                f" SELECT e.id, :user_id, DATE '{START}' + (g * 5 + e.id) % 28, 30 + (g * 45) % 240,"
                " 'Workshop vorbereitet ' || g, g % 4 <> 0, now(), now(), 1"
                f" FROM engagements e CROSS JOIN generate_series(1, {ENTRIES_PER_ENGAGEMENT}) AS g"
            ).bindparams(user_id=user.id)
        )
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
            low, high = target.numbers
            for n in (max(low, 1), (low + high) // 2, high):
                statements = 0
                response = await http.get(target.app(n), headers=headers)
                assert response.status_code == 200, response.text
                found[target.name].append(statements)
    await app.state.engine.dispose()
    return found


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/{'health' if 'serve' in command else 'bare'}", process, 60)
    except BaseException:
        process.terminate()  # a server that did not come up is not left behind
        process.wait(15)
        raise
    return process


def lua(paths: list[str]) -> str:
    """A wrk script that asks for one of `paths` at random per request."""
    listed = ",\n".join(json.dumps(path) for path in paths)
    return f"""
math.randomseed(os.time())
paths = {{{listed}}}
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
"""


def wrk(base: str, paths: list[str], concurrency: int, seconds: int, token: str | None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua(paths))
    command = ["wrk", f"-t{min(concurrency, 2)}", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", script.name]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
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


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def memory(process: subprocess.Popen) -> dict[str, float]:
    """Resident memory of a server's processes: the supervisor and each process it started."""
    found = {"supervisor": rss_mib(process.pid)}
    for child in children(process.pid):
        command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        kind = "resource tracker" if "resource_tracker" in command else "server process"
        found[f"{kind} {child}"] = rss_mib(child)
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engagements", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to make the bench's database on")
    parser.add_argument("--redis-url", default=None, help="an empty database (default: a private server)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    with bench_database(args.database_url, "bench_api") as database_url, bench_redis(args.redis_url) as redis_url:
        return measure(args, database_url, redis_url)


def measure(args: argparse.Namespace, database_url: str, redis_url: str) -> int:
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
    plan = targets(args.engagements)

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
    env["BENCH_QUERIES"] = json.dumps({f"q{i}": target.bare for i, target in enumerate(plan)})
    try:
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
    except BaseException:
        server.terminate()  # not left serving when the yardstick does not start
        server.wait(15)
        raise
    rng = random.Random(7)
    results: dict[str, tuple[dict[str, float], dict[str, float]]] = {}
    try:
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        floor = wrk(bare_base, ["/bare"], args.concurrency, args.seconds, None)
        for i, target in enumerate(plan):
            numbers = [rng.randint(*target.numbers) for _ in range(PATHS_PER_TARGET)]
            app_paths = [target.app(n) for n in numbers]
            bare_paths = [f"/bare/q{i}?n={n}" for n in numbers]
            wrk(app_base, app_paths, args.concurrency, 2, token)  # warm up
            wrk(bare_base, bare_paths, args.concurrency, 2, None)
            results[target.name] = (
                wrk(app_base, app_paths, args.concurrency, args.seconds, token),
                wrk(bare_base, bare_paths, args.concurrency, args.seconds, None),
            )
        held = memory(server)
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(15)

    print(
        f"\n{args.engagements} engagements and clients; {args.concurrency} concurrent connections, {args.seconds} s "
        f"each, {args.workers} server processes, {os.cpu_count()} cores (wrk and PostgreSQL on the same machine)\n"
    )
    print(f"{'endpoint':38} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'bare req/s':>10} {'of bare':>8} {'queries':>9}")
    print(f"{'bare Litestar, 20 rows from memory':38} {floor['rps']:7.0f} {floor['p50']:7.2f} {floor['p99']:7.2f}")
    ok = True
    for target in plan:
        mine, yardstick = results[target.name]
        share = 100 * mine["rps"] / yardstick["rps"]
        per_request = counts[target.name]
        constant = len(set(per_request)) == 1
        print(
            f"{target.name:38} {mine['rps']:7.0f} {mine['p50']:7.2f} {mine['p99']:7.2f} {yardstick['rps']:10.0f} "
            f"{share:7.0f} % {'/'.join(map(str, per_request)):>9}"
        )
        if mine["errors"] or yardstick["errors"]:
            print(f"  ! {mine['errors']} non-2xx responses ({yardstick['errors']} from the bare endpoint)")
            ok = False
        if target.is_list and ((mine["p99"] > 50 and not target.walks) or share < 60 or not constant):
            ok = False
    print("\nmemory of `desk serve`:", ", ".join(f"{name} {mib:.0f} MiB" for name, mib in held.items()))
    if held["supervisor"] > 40:
        ok = False
    print(
        "\ntargets met (lists: p99 ≤ 50 ms but for offsets at the end, ≥ 60 % of bare, constant queries; "
        "supervisor ≤ 40 MiB)"
        if ok
        else "\nTARGET MISSED"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
