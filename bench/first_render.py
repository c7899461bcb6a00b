"""How long the first document takes after `desk run` starts (embedded Redis, SQLite, demo data).

    .venv/bin/python bench/first_render.py [--runs 3]

Starts `desk run` on a free port with a fresh database, waits until /health answers, signs in
as the demo consultant and asks for a proposal: at once (the worst case: the render processes
are still warming up) and again after a pause (what someone who opens the page first sees),
then a result report. Prints seconds from the request until the document is ready, per run.
Target: the first document well under a second.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONSULTANT = "jonas.berger@engagement-desk.de"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ready_after(client: httpx.Client, headers: dict[str, str], engagement_id: int, kind: str) -> float:
    started = time.perf_counter()
    document = client.post(f"/api/v1/engagements/{engagement_id}/documents", json={"kind": kind}, headers=headers)
    document.raise_for_status()
    while client.get(f"/api/v1/documents/{document.json()['id']}", headers=headers).json()["status"] != "ready":
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"{kind} not ready after 60 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def one_run(pause: float) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        env = os.environ | {
            "DESK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bench.sqlite3",
            "DESK_SMTP_URL": f"file://{workdir}/outbox",
            "DESK_PORT": str(port),
        }
        env.pop("DESK_REDIS_URL", None)
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "backend.server.cli", "run"],
            cwd=workdir,
            env=env | {"PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
            up = time.perf_counter() - started
            login = {"email": CONSULTANT, "password": "demo-passwort-2026"}
            token = client.post("/api/v1/auth/login", json=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            engagement_id = client.get("/api/v1/engagements", headers=headers).json()["items"][0]["id"]
            at_once = ready_after(client, headers, engagement_id, "proposal")
            time.sleep(pause)
            later = ready_after(client, headers, engagement_id, "proposal")
            report = ready_after(client, headers, engagement_id, "result_report")
            return up, at_once, later, report
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pause", type=float, default=2.0)
    args = parser.parse_args()
    heads = ("run", "serving after s", "first, at once s", "proposal later s", "result report s")
    print("  ".join(f"{h:>{max(3, len(h))}}" for h in heads))
    worst = 0.0
    for run in range(1, args.runs + 1):
        up, at_once, later, report = one_run(args.pause)
        worst = max(worst, at_once)
        print(f"{run:>3}  {up:>15.2f}  {at_once:>16.2f}  {later:>16.2f}  {report:>15.2f}")
    print(f"first document at once after start: worst {worst:.2f} s (target: under 1 s)")
    if worst >= 1.0:
        print("TARGET MISSED")
        sys.exit(1)


if __name__ == "__main__":
    main()
