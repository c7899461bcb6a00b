"""A private Redis server a test can stop and start again, for outage tests.

It keeps nothing on disk, like CI's: a restart loses every queued job, as a Redis restart
without persistence does in production.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from backend.kernel.embedded_redis import binary
from backend.kernel.processes import starter
from tests.smtp_server import HOST, free_port


class RedisTestServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> RedisTestServer:
        self.process = subprocess.Popen(
            [
                binary(),
                "--port",
                str(self.port),
                "--bind",
                HOST,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=starter(),
        )
        client = redis.Redis(host=HOST, port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> RedisTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
