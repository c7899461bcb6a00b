"""`desk run` in a subprocess for the browser tests: its own SQLite file, port and queue; and
waiting for any started server to answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def wait_until_answering(url: str, process: subprocess.Popen, seconds: float, log: Path | None = None) -> None:
    """Returns once `url` answers; fails if the server process exits or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            alive = process.poll() is None and time.monotonic() < deadline
            assert alive, log.read_text() if log else f"{url} did not answer"
            time.sleep(0.2)


@contextmanager
def live_server(workdir: Path, *, smtp_url: str, redis_url: str) -> Iterator[str]:
    """Yields the base URL once /health answers (emailed links point at it: they follow the port)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = os.environ | {
        "DESK_ENV": "test",
        "DESK_SECRET_KEY": TEST_SECRET,
        "DESK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'live.sqlite3'}",
        "DESK_REDIS_URL": redis_url,
        "DESK_QUEUE_NAME": f"desk-live-{port}",
        "DESK_SMTP_URL": smtp_url,
    }
    env.pop("DESK_PUBLIC_URL", None)
    log = open(workdir / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.server.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, ended as a whole below
    )
    try:
        wait_until_answering(f"{base}/health", process, 60, log=workdir / "server.log")
        yield base
    finally:
        process.terminate()
        process.wait(15)
        # The app's shutdown stops its worker and PDF render pool; should the server die before
        # that finished, nothing of its process group may outlive the test.
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        log.close()
