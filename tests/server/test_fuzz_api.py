"""Schemathesis fuzzes the whole JSON API against the app's own OpenAPI schema, in process.

A dedicated app (own SQLite file, own Redis database) gets a small seeded world: two clients with
one row of every resource, a rendered and released proposal, a delivered deliverable and a portal
user. Every operation then gets its documented examples, generated valid and invalid requests and,
where the path names a row, valid requests on a seeded row; as the admin, or as the portal user
for the operations only a client may call. Each response must be documented (status code, content
type, body schema, headers), none may be a 5xx, and every 4xx must be an RFC 9457 problem+json
document. The test counts its requests and insists on at least 1,000.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import redis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err, Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from backend.domains.auth.passwords import hash_password
from backend.domains.auth.sessions import issue_token
from backend.kernel.config import Settings
from backend.kernel.db import make_engine
from backend.kernel.migrate import upgrade
from backend.server.app import create_app
from backend.server.worker import make_worker
from tests.conftest import PASSWORD, TEST_SECRET, redis_url
from tests.fuzz_world import Seeder, deliver, seed_world

# A Redis database of its own, so the fuzzing never touches another test run's queue or limits.
FUZZ_REDIS_URL = redis_url(13)
MAX_EXAMPLES = 4
SEEDED_EXAMPLES = 3
MIN_REQUESTS = 1_000
PROBLEM_FIELDS = ("type", "title", "status", "detail")


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on a fresh loop in its own thread, away from pytest-asyncio's session loop."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def prepare_database(url: str, password_hash: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        users = {}
        async with engine.begin() as conn:
            for name in ("admin", "consultant"):
                row = await conn.execute(
                    text(
                        "INSERT INTO users (email, full_name, role, client_id, is_active, password_hash,"
                        " created_at, updated_at, version) VALUES (:email, :name, :role, NULL, :active,"
                        " :hash, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1) RETURNING id"
                    ),
                    {
                        "email": f"{name}@example.de",
                        "name": name.title(),
                        "role": name,
                        "active": True,
                        "hash": password_hash,
                    },
                )
                users[name] = row.scalar_one()
        return users
    finally:
        await engine.dispose()


async def render_queued_documents(settings: Settings) -> None:
    worker = make_worker(settings, burst=True, handle_signals=False, poll_delay=0.01)
    try:
        await worker.async_run()
    finally:
        await worker.close()


@dataclass
class Fuzzing:
    headers: dict[str, str]  # the admin's, for every operation but the client-only ones
    client_headers: dict[str, str]  # a portal user of the first client
    # Path parameters naming seeded rows: the first world's, the second one's for deletions.
    rows: dict[str, Any]
    deleted_rows: dict[str, Any]
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def headers_for(self, operation: schemathesis.APIOperation) -> dict[str, str]:
        # The admin would only ever get 403 from the operations only a client's portal user may call.
        client_only = operation.definition.raw.get("operationId") in CLIENT_ONLY_OPERATIONS
        return self.client_headers if client_only else self.headers

    def seeded_path(self, operation: schemathesis.APIOperation) -> dict[str, Any]:
        rows = self.deleted_rows if operation.method.upper() == "DELETE" else self.rows
        return {p.name: rows[p.name] for p in operation.path_parameters}


@pytest.fixture(scope="module")
def fuzzing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[schemathesis.BaseSchema, Fuzzing]]:
    root = tmp_path_factory.mktemp("fuzz")
    redis.Redis.from_url(FUZZ_REDIS_URL).flushdb()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{root / 'fuzz.sqlite3'}",
        env="test",
        secret_key=TEST_SECRET,
        redis_url=FUZZ_REDIS_URL,
        queue_name=f"desk-fuzz-{os.getpid()}",
        smtp_url=f"file://{root / 'outbox'}",
        job_timeout_seconds=30,
        # Tight limits, so the fuzzing also meets the 429 answers (and checks they are documented).
        login_links_per_ip_hour=1,
        downloads_per_minute=3,
    )
    users = run_async(prepare_database(settings.database_url, hash_password(PASSWORD)))
    # A dedicated app: Schemathesis drives it through its own ASGI client, on its own event loop.
    app = create_app(settings)

    def bearer(user_id: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {run_async(issue_token(app, user_id))}"}

    # Thousands of access-log lines would bury a failure report; server errors are still logged.
    access_log = logging.getLogger("desk.access")
    level = access_log.level
    access_log.setLevel(logging.WARNING)
    try:
        with asgi.get_client(app) as client:
            seed = Seeder(client, bearer(users["admin"]))
            first = seed_world(seed, "Müller Präzisionstechnik GmbH", "mueller.de")
            seed_world(seed, "Beta Logistik AG", "beta.de")
            # Render the queued proposals, so documents, downloads and releases have ready rows.
            run_async(render_queued_documents(settings))
            document_id = first["documents"]["id"]
            assert seed.get(f"/documents/{document_id}")["status"] == "ready"
            release = seed.post(f"/documents/{document_id}/release", status=202)
            seed.create(f"/documents/{document_id}/share-links", {"valid_days": 14})
            deliver(seed, first["deliverables"])
            portal_user = seed.create(
                "/users",
                {
                    "email": "sabine@mueller.de",
                    "full_name": "Sabine Müller",
                    "role": "client",
                    "client_id": first["clients"]["id"],
                    "password": PASSWORD,
                },
            )
        # An explicit default config: a schemathesis.toml somewhere up the tree cannot change this test.
        schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=schemathesis.Config())
        yield (
            schema,
            Fuzzing(
                headers=seed.headers,
                client_headers=bearer(portal_user["id"]),
                rows={
                    "row_id": 1,
                    "engagement_id": first["engagements"]["id"],
                    "job_id": release.headers["job-id"],
                    "payment_id": 1,
                    "kind": "agb",
                },
                deleted_rows={"row_id": 2, "payment_id": 2, "kind": "agb"},
            ),
        )
    finally:
        access_log.setLevel(level)
        asgi.shutdown_lifespans()
        redis.Redis.from_url(FUZZ_REDIS_URL).flushdb()


@schemathesis.check
def problem_json_for_client_errors(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Every 4xx is an RFC 9457 problem document: its media type and the four core members."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == "application/problem+json", (
        f"{response.status_code} answered with content type {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    missing = [name for name in PROBLEM_FIELDS if name not in body]
    assert not missing, f"problem body lacks {missing}: {body!r}"
    assert body["status"] == response.status_code, f"problem status {body['status']} != {response.status_code}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    problem_json_for_client_errors,
]

MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
CLIENT_ONLY_OPERATIONS = {"accept_proposal", "sign_off_deliverable"}


def strategies_for(operation: schemathesis.APIOperation, run: Fuzzing) -> list[tuple[str, Any, int]]:
    """(name, strategy, examples): the documented examples once each, generated valid and invalid
    requests, and, where the path names a row, valid requests and the examples on a seeded row."""
    examples = operation.get_strategies_from_examples()
    found = [(f"example {i}", strategy, 1) for i, strategy in enumerate(examples)]
    found += [(mode.value, operation.as_strategy(generation_mode=mode), MAX_EXAMPLES) for mode in MODES]
    if operation.path_parameters:
        seeded = run.seeded_path(operation)

        def on_seeded_row(case: schemathesis.Case) -> schemathesis.Case:
            case.path_parameters = {**(case.path_parameters or {}), **seeded}
            return case

        found += [(f"example {i} on {seeded}", strategy.map(on_seeded_row), 1) for i, strategy in enumerate(examples)]
        found.append((f"positive on {seeded}", operation.as_strategy(path_parameters=seeded), SEEDED_EXAMPLES))
    return found


def fuzz_operation(operation: schemathesis.APIOperation, run: Fuzzing) -> list[str]:
    headers = run.headers_for(operation)
    failures: list[str] = []

    def exercise(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        run.requests += 1
        run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    for name, strategy, examples in strategies_for(operation, run):
        test = hypothesis.settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            print_blob=False,
            verbosity=hypothesis.Verbosity.quiet,
        )(hypothesis.given(case=strategy)(exercise))
        try:
            test()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label} ({name}):\n{exc}")
    return failures


def test_api_conforms_to_its_schema(fuzzing: tuple[schemathesis.BaseSchema, Fuzzing]) -> None:
    schema, run = fuzzing
    results = list(schema.get_all_operations())
    failures = [f"schema error: {result.err()}" for result in results if isinstance(result, Err)]
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    # Deletions last, so the seeded rows (and the client user's access) live as long as possible.
    operations.sort(key=lambda operation: operation.method.upper() == "DELETE")
    for operation in operations:
        failures += fuzz_operation(operation, run)
    print(
        f"\nfuzzed {len(operations)} operations with {run.requests} requests; "
        f"statuses: {dict(sorted(run.statuses.items()))}"
    )
    assert not failures, f"{len(failures)} failing operation(s):\n\n" + "\n\n".join(failures)
    assert run.requests >= MIN_REQUESTS, f"only {run.requests} requests were generated"
