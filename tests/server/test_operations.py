"""Running it: liveness and readiness, request ids and JSON logs without secrets, compose file."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from httpx import ASGITransport, AsyncClient

from backend.kernel.config import Settings
from backend.kernel.logs import JsonFormatter, MaskingFormatter, mask_path
from backend.server.app import create_app
from backend.server.worker import make_worker
from tests.conftest import TEST_SECRET, Api, redis_url, running_lifespan
from tests.live_server import wait_until_answering
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_ready_reports_database_redis_and_worker(api: Api) -> None:
    assert (await api.http.get("/health")).json() == {"status": "ok"}
    ready = await api.http.get("/ready")
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["worker"] == {"status": "down"}
    worker = make_worker(api.app.state.settings, handle_signals=False, poll_delay=0.01)
    running = asyncio.create_task(worker.async_run())
    try:
        deadline = asyncio.get_running_loop().time() + 10
        while (beat := (await api.http.get("/ready")).json()["checks"]["worker"])["status"] != "ok":
            assert asyncio.get_running_loop().time() < deadline, beat
            await asyncio.sleep(0.05)
        assert "j_complete=" in beat["detail"]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await worker.close()
    # A worker that stops takes its heartbeat with it.
    assert (await api.http.get("/ready")).json()["checks"]["worker"] == {"status": "down"}


async def test_ready_and_the_api_answer_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",
        env="test",
        secret_key=TEST_SECRET,
        redis_url=redis_url(),
        queue_name="desk-ready-test",
    )
    app = create_app(settings)
    token = app.state.auth.create_token(identifier="1", token_unique_jwt_id="0" * 32)
    async with running_lifespan(app), AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
        response = await http.get("/ready")
        api_call = await http.get("/api/v1/engagements", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["checks"]["database"]["status"] == "down"
    assert response.json()["checks"]["redis"]["status"] == "ok"
    # Not an unexplained 500: the client learns the database is away and when to try again.
    assert api_call.status_code == 503 and api_call.headers["retry-after"] == "1"
    assert api_call.headers["content-type"].startswith("application/problem+json")
    assert api_call.json()["type"] == "/problems/unavailable"
    await app.state.engine.dispose()


async def test_request_id_is_echoed_and_logged_without_secrets(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="desk.access")
    given = await api.http.get("/portal/login/secret-token-value-123456", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await api.get("/engagements")
    assert len(made.headers["x-request-id"]) == 32
    odd = await api.http.get("/health", headers={"x-request-id": "bad id\nwith newline"})
    assert odd.headers["x-request-id"] != "bad id\nwith newline"
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "desk.access"]
    assert [line["path"] for line in lines] == ["/portal/login/***", "/api/v1/engagements", "/health"]
    assert lines[1]["status"] == 200 and lines[1]["user_id"] == api.users["consultant"]
    assert lines[1]["method"] == "GET" and lines[1]["duration_ms"] >= 0
    # Everything the app logged (the test's own HTTP client logs the URLs it called).
    text = "\n".join(JsonFormatter().format(r) for r in caplog.records if r.name != "httpx")
    assert "secret-token-value" not in text and api.tokens["consultant"] not in text


DESK = [sys.executable, "-m", "backend.server.cli"]


def migrated_env(tmp_path: Path, queue: str) -> dict[str, str]:
    """The environment of a `desk serve` on a migrated SQLite file of its own."""
    env = os.environ | {
        "DESK_ENV": "test",
        "DESK_SECRET_KEY": TEST_SECRET,
        "DESK_REDIS_URL": redis_url(),
        "DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.sqlite3'}",
        "DESK_QUEUE_NAME": queue,
    }
    subprocess.run([*DESK, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def test_production_server_writes_json_lines_without_credentials(tmp_path: Path) -> None:
    """`desk serve` as deployed: every line it prints is JSON, with paths masked and no
    second access log from the server."""
    env = migrated_env(tmp_path, "desk-serve-logs")
    port = free_port()
    server = subprocess.Popen(
        [*DESK, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/health", server, 30)
        for path in ("/portal/login/secret-token-value-123456", "/s/12.1767225600.abcDEFsecret"):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5)
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0]
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    paths = [r["path"] for r in records if r["logger"] == "desk.access"]
    assert paths[-2:] == ["/portal/login/***", "/s/***"], output
    assert "secret-token-value" not in output and "abcDEFsecret" not in output
    assert not [r for r in records if r["logger"] == "uvicorn.access"]


def test_paths_with_credentials_are_masked() -> None:
    assert mask_path("/s/12.1767225600.abcDEF") == "/s/***"
    assert mask_path("/portal/login/xyz") == "/portal/login/***"
    assert mask_path("/portal/engagements/3") == "/portal/engagements/3"
    assert mask_path("/api/v1/documents/3/share-links") == "/api/v1/documents/3/share-links"
    for odd in (
        "/portal/./login/x",
        "//portal//login/x",
        "/portal/login;x",
        "/portal/login/\tx",
        "/portal/../portal/login/x",
    ):
        assert mask_path(odd) == "/portal/login/***", odd
    assert mask_path("/s/ 12.3.x") == "/s/***" and mask_path("/portal/login") == "/portal/login"
    # Mistyped in another case, a token is still a token; a longer word is no prefix.
    for odd in ("/PORTAL/login/x", "/portal/Login/x", "/S/x", "/s;x", "/portal/login%2Fx"):
        assert mask_path(odd) in ("/portal/login/***", "/s/***"), odd
    for plain in ("/api/v1/portal/login-links", "/portal/login-help", "/sessions", "/static/app.css"):
        assert mask_path(plain) == plain


def test_every_log_line_masks_credentials_in_messages_extras_and_tracebacks() -> None:
    """Warnings and errors name the request's path too; the one rule covers them all."""
    try:
        # A driver's error may quote a statement's value: an address among them, too.
        raise RuntimeError(
            "failed to open https://desk.example/s/12.1767225600.abcDEFsecret for petra.holzmann@kunde.de"
        )
    except RuntimeError:
        exc_info = sys.exc_info()
    records = [
        logging.makeLogRecord(
            {
                "msg": "unhandled error on %s %s",
                "args": ("GET", "/s/12.1767225600.abcDEFsecret"),
                "levelno": logging.ERROR,
                "levelname": "ERROR",
                "exc_info": exc_info,
            }
        ),
        logging.makeLogRecord(
            {
                "msg": "backing service unavailable on GET /portal/login/secret-token-value",
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "url": "https://desk.example/portal/login/secret-token-value",
            }
        ),
    ]
    for formatter in (JsonFormatter(), MaskingFormatter("%(levelname)s %(message)s")):
        for record in records:
            line = formatter.format(record)
            assert "abcDEFsecret" not in line and "secret-token-value" not in line, line
            assert "petra.holzmann" not in line, line
            assert "/s/***" in line or "/portal/login/***" in line, line


@pytest.mark.parametrize(
    "path",
    [
        "/portal/login/%09secret-token-value",
        "/portal/login;secret-token-value",
        "/portal/login/%22secret-token-value",
        "/s/%2012.1767225600.abcDEFsecret",
    ],
)
async def test_credentials_in_oddly_spelled_paths_are_masked(
    api: Api, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    caplog.set_level(logging.INFO)
    await api.http.get(path)
    text = "\n".join(JsonFormatter().format(r) for r in caplog.records if r.name != "httpx")
    assert "secret-token-value" not in text and "abcDEFsecret" not in text, text


def test_no_log_line_carries_an_email_address_but_message_ids_stay() -> None:
    for name, message in (
        ("backend.flows.portal.release", "document 7: SMTP 550 <t{o}m@bücher.de>: no such user"),
        ("arq.worker", "send_portal_login_link('o'brien@alpha.de', 'de')"),
    ):
        record = logging.makeLogRecord({"name": name, "msg": message, "levelno": 30, "levelname": "WARNING"})
        line = JsonFormatter().format(record)
        assert "t{o}m" not in line and "brien" not in line and "***@" in line, line
    kept = logging.makeLogRecord(
        {
            "name": "backend.kernel.mail",
            "msg": "mail <digest.1.2026-W48.3@desk.de> handed over",
            "levelno": 20,
            "levelname": "INFO",
        }
    )
    assert "digest.1.2026-W48.3@desk.de" in JsonFormatter().format(kept)


def test_job_log_lines_leave_out_email_addresses() -> None:
    record = logging.makeLogRecord(
        {
            "name": "arq.worker",
            "msg": "%6.2fs → %s(%s)",
            "args": (0.5, "portal-login:ab12", "'eva.berger@alpha.de', 'de'"),
            "levelno": 20,
            "levelname": "INFO",
        }
    )
    for formatter in (JsonFormatter(), MaskingFormatter("%(message)s")):
        line = formatter.format(record)
        assert "eva.berger" not in line and "***@alpha.de" in line, line


def test_a_request_path_cannot_forge_log_lines() -> None:
    forged = '/api/v1/jobs/x\n{"level": "error", "message": "forged"}\r\u2028\u2029\x85\x1b[31m'
    record = logging.makeLogRecord({"msg": "GET %s 404", "args": (forged,), "levelno": 20, "levelname": "INFO"})
    for formatter in (JsonFormatter(), MaskingFormatter("%(levelname)s %(message)s")):
        line = formatter.format(record)
        assert len(line.splitlines()) == 1 and "\x1b" not in line, line
    assert json.loads(JsonFormatter().format(record))["message"] == f"GET {forged} 404"


def test_check_worker_fails_without_a_heartbeat() -> None:
    env = os.environ | {"DESK_REDIS_URL": redis_url(), "DESK_QUEUE_NAME": "desk-no-worker-here"}
    result = subprocess.run([str(ROOT / ".venv/bin/desk"), "check-worker"], env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "no worker heartbeat" in result.stdout


def test_compose_file_describes_the_whole_stack() -> None:
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert set(services) == {"postgres", "redis", "mailpit", "migrate", "api", "worker"}
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert all("healthcheck" in services[name] for name in ("postgres", "redis", "mailpit", "api", "worker"))
    assert "/ready" in " ".join(services["api"]["healthcheck"]["test"])
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "desk", "check-worker"]
    assert {"pgdata", "redisdata"} <= set(spec["volumes"])
    assert "serve" in services["api"]["command"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER desk" in dockerfile and "HEALTHCHECK" in dockerfile


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed")
def test_compose_config_validates_and_insists_on_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DESK_SECRET_KEY"}
    refused = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "DESK_SECRET_KEY" in refused.stderr
    valid = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env | {"DESK_SECRET_KEY": "x" * 40},
    )
    assert valid.returncode == 0, valid.stderr


async def test_a_cancellation_lost_in_a_redis_read_still_stops_the_worker(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arq import worker as arq_worker
    from redis.exceptions import TimeoutError as RedisTimeoutError

    original = arq_worker.Worker._poll_iteration

    async def read_that_loses_a_cancel(self: arq_worker.Worker) -> None:
        # What a read's timeout can do with a cancellation that lands as it expires.
        try:
            await original(self)
            await asyncio.sleep(0.05)
        except asyncio.CancelledError as exc:
            raise RedisTimeoutError("Timeout reading from redis") from exc

    monkeypatch.setattr(arq_worker.Worker, "_poll_iteration", read_that_loses_a_cancel)
    worker = make_worker(api.app.state.settings, handle_signals=False, poll_delay=0.01)
    running = asyncio.create_task(worker.async_run())
    await asyncio.sleep(0.5)
    running.cancel()
    done, _ = await asyncio.wait({running}, timeout=10)
    assert done == {running} and running.cancelled()
    await worker.close()


def test_server_processes_end_with_a_killed_supervisor(tmp_path: Path) -> None:
    """`desk serve --workers 2` killed with SIGKILL: its server processes end too instead of
    serving the port on, orphaned (a new start could not bind it)."""
    env = migrated_env(tmp_path, "desk-serve-orphans")
    port = free_port()
    supervisor = subprocess.Popen(
        [*DESK, "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/health", supervisor, 60)
        servers = [
            pid
            for pid in subprocess.run(
                ["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True
            ).stdout.split()
            if "resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        ]
        assert len(servers) == 2, servers
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait(10)
        deadline = time.monotonic() + 15
        while alive := [pid for pid in servers if Path(f"/proc/{pid}").exists() and _not_zombie(pid)]:
            assert time.monotonic() < deadline, f"server processes outlived their supervisor: {alive}"
            time.sleep(0.1)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()


def _not_zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_serve_refuses_impossible_options_and_settings_in_one_line() -> None:
    for args, env, says in (
        (["serve", "--port", "99999"], {}, "--port"),
        (["serve", "--workers", "0"], {}, "--workers"),
        (["migrate"], {"DESK_PORT": "70000"}, "DESK_PORT"),
        (["serve"], {"DESK_ENV": "prod", "DESK_SECRET_KEY": ""}, "DESK_SECRET_KEY"),
    ):
        run = subprocess.run([*DESK, *args], cwd=ROOT, env=os.environ | env, capture_output=True, text=True, timeout=60)
        assert run.returncode != 0, args
        assert says in run.stderr and "Traceback" not in run.stderr, run.stderr
