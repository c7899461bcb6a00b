"""`make test` needs nothing but Python: a configured service that does not answer stops the run
within seconds and says which; without one, the run brings its own Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PRIVATE_REDIS, REDIS_ENV, redis_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DESK_TEST_REDIS_URL", "redis://127.0.0.1:1/0", "DESK_TEST_REDIS_URL=redis://127.0.0.1:1/0 does not answer"),
        (
            "DESK_TEST_POSTGRES_URL",
            "postgresql+asyncpg://postgres@127.0.0.1:1/x",
            "DESK_TEST_POSTGRES_URL does not answer",
        ),
    ],
)
def test_a_configured_service_that_does_not_answer_stops_the_run_at_once(variable: str, value: str, says: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_TEST_")} | {variable: value}
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/kernel/test_time.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 3 and says in run.stdout + run.stderr, run.stdout + run.stderr
    assert time.monotonic() - started < 20


def test_this_run_has_a_redis_of_its_own_unless_one_was_configured(pytestconfig: pytest.Config) -> None:
    import redis

    assert redis.Redis.from_url(redis_url()).ping()
    server = pytestconfig.stash.get(PRIVATE_REDIS, None)
    if server is None:
        pytest.skip(f"{REDIS_ENV} names the Redis of this run")
    assert server.process is not None and f":{server.port}/" in redis_url()
    ppid = int(Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    assert ppid == os.getpid()  # this run's child: started for it, ended with it
