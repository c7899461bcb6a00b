"""Schemathesis over every API operation with every phase and every check, on SQLite and PostgreSQL.

    .venv/bin/python bench/fuzz.py [--database sqlite|postgres|both] [--max-examples 20]

For each database: a fresh one (SQLite file, or a PostgreSQL database of its own on
127.0.0.1:5432, dropped afterwards) is migrated and
seeded through the API (two clients with one row of every resource, a rendered and released
proposal, a delivered deliverable, a portal user), `desk serve` starts on it, and the
Schemathesis CLI runs the phases examples, coverage, fuzzing and stateful with all its checks:
once as the admin over every operation, once as the client's portal user over the operations
only a client may call. The server's own access log counts the requests and their statuses.

Prints requests and statuses per database; exits 1 on any 5xx, any failed check, any error or
traceback in the server's log, or fewer than 5,000 requests on a database. Needs PostgreSQL on
127.0.0.1:5432; Redis is a private server per database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from backend.domains.auth.passwords import hash_password  # noqa: E402
from backend.kernel.db import make_engine  # noqa: E402
from backend.kernel.migrate import upgrade  # noqa: E402
from bench.postgres import bench_database  # noqa: E402
from bench.services import bench_redis  # noqa: E402
from tests.fuzz_world import Seeder, deliver, seed_world  # noqa: E402
from tests.live_server import wait_until_answering  # noqa: E402
from tests.smtp_server import free_port  # noqa: E402

SECRET = "fuzz-secret-key-long-enough-for-settings-0123"
PASSWORD = "fuzz-password-0123456789"
MIN_REQUESTS = 5_000
CLIENT_ONLY = ("accept_proposal", "sign_off_deliverable")
PHASES = "examples,coverage,fuzzing,stateful"


async def prepare(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (email, full_name, role, is_active, password_hash, created_at, updated_at,"
                    " version) VALUES ('admin@example.de', 'Admin', 'admin', true, :hash, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP, 1)"
                ),
                {"hash": hash_password(PASSWORD)},
            )
    finally:
        await engine.dispose()


def sign_in(base: str, email: str) -> str:
    response = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def seed(base: str, env: dict[str, str]) -> str:
    """The fuzzing world; returns the portal user's token."""
    admin = {"Authorization": f"Bearer {sign_in(base, 'admin@example.de')}"}
    with httpx.Client(base_url=base, timeout=30) as http:
        seeder = Seeder(http, admin)
        first = seed_world(seeder, "Müller Präzisionstechnik GmbH", "mueller.de")
        seed_world(seeder, "Beta Logistik AG", "beta.de")
        subprocess.run(
            [sys.executable, "-m", "backend.server.cli", "worker", "--burst"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        document_id = first["documents"]["id"]
        seeder.post(f"/documents/{document_id}/release", status=202)
        seeder.create(f"/documents/{document_id}/share-links", {"valid_days": 14})
        deliver(seeder, first["deliverables"])
        seeder.create(
            "/users",
            {
                "email": "sabine@mueller.de",
                "full_name": "Sabine Müller",
                "role": "client",
                "client_id": first["clients"]["id"],
                "password": PASSWORD,
            },
        )
    return sign_in(base, "sabine@mueller.de")


def schemathesis(
    base: str, token: str, max_examples: int, *, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> int:
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{base}/schema/openapi.json",
        "--phases",
        PHASES,
        # Every check but one: cross-field rules (a reason to reject, an end after the start, the fee
        # of the pricing model) cannot all be written in JSON Schema, so some schema-valid requests
        # are rightly answered 422 with the field's path.
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        str(max_examples),
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        "1",
        "--seed",
        "20261129",
        "--suppress-health-check",
        "all",
        "--continue-on-failure",
        "--request-timeout",
        "30",
    ]
    command += [arg for operation in include for arg in ("--include-operation-id", operation)]
    command += [arg for operation in exclude for arg in ("--exclude-operation-id", operation)]
    return subprocess.run(command, cwd=ROOT).returncode


def run(database: str, max_examples: int, workdir: Path) -> tuple[bool, Counter[int], list[str]]:
    with contextlib.ExitStack() as stack:
        if database == "postgres":
            url = stack.enter_context(bench_database(None, "fuzz"))
        else:
            url = f"sqlite+aiosqlite:///{workdir / 'fuzz.sqlite3'}"
        asyncio.run(prepare(url))
        # A private server per database: nothing else is touched.
        redis_url = stack.enter_context(bench_redis(None))
        return _fuzz(database, url, redis_url, max_examples, workdir)


def _fuzz(
    database: str, url: str, redis_url: str, max_examples: int, workdir: Path
) -> tuple[bool, Counter[int], list[str]]:
    env = os.environ | {
        "DESK_ENV": "test",
        "DESK_SECRET_KEY": SECRET,
        "DESK_DATABASE_URL": url,
        "DESK_REDIS_URL": redis_url,
        "DESK_QUEUE_NAME": "desk-fuzz",
        "DESK_SMTP_URL": f"file://{workdir / 'outbox'}",
        "DESK_LOG_LEVEL": "INFO",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (workdir / f"server-{database}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "backend.server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env | {"DESK_PUBLIC_URL": base},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answering(f"{base}/health", server, 60)
        client_token = seed(base, env)
        # Every session up front: the fuzzing may change the admin's password or deactivate it.
        admin_token, spare_token = sign_in(base, "admin@example.de"), sign_in(base, "admin@example.de")
        # The client's operations first: the admin's pass archives clients, which ends their
        # portal users' sessions (every later request of theirs would stop at sign-in).
        print(f"\n== {database}: the client-only operations as the portal user", flush=True)
        passed = schemathesis(base, client_token, max_examples, include=CLIENT_ONLY) == 0
        alive = httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {client_token}"}, timeout=30)
        if alive.status_code != 200:
            print(f"the portal user's session ended during its own pass ({alive.status_code}): not fuzzed", flush=True)
            passed = False
        print(f"\n== {database}: every operation as the admin", flush=True)
        passed = schemathesis(base, admin_token, max_examples, exclude=(*CLIENT_ONLY, "logout")) == 0 and passed
        # Signing out ends the session that signs the requests: it gets a session of its own.
        print(f"\n== {database}: signing out", flush=True)
        passed = schemathesis(base, spare_token, max_examples, include=("logout",)) == 0 and passed
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    statuses: Counter[int] = Counter()
    errors: list[str] = []  # server-side errors and tracebacks: there must be none
    for line in (workdir / f"server-{database}.log").read_text().split("\n"):
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            errors.append(line)  # not one of our JSON lines: a stray print or traceback
            continue
        if record.get("logger") == "desk.access":
            statuses[record["status"]] += 1
        elif record.get("level") in ("error", "critical") or "exception" in record:
            errors.append(record.get("message", line))
    return passed, statuses, errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--max-examples", type=int, default=20)
    args = parser.parse_args()
    failed = False
    summary = []
    for database in ("sqlite", "postgres") if args.database == "both" else (args.database,):
        with tempfile.TemporaryDirectory(prefix=f"desk-fuzz-{database}-") as workdir:
            passed, statuses, logged = run(database, args.max_examples, Path(workdir))
        total, errors = sum(statuses.values()), sum(n for status, n in statuses.items() if status >= 500)
        summary.append(
            f"{database}: {total} requests, {errors} × 5xx, {len(logged)} errors logged, checks "
            f"{'passed' if passed else 'FAILED'}; statuses {dict(sorted(statuses.items()))}"
        )
        summary += [f"  logged: {message[:200]}" for message in logged[:10]]
        failed |= not passed or errors > 0 or bool(logged) or total < MIN_REQUESTS
    print("\n" + "\n".join(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
