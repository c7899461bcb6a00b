"""The embedded Redis ends with the process that started it, is shared by a second process of
the same checkout, and one left without its owner is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.kernel.embedded_redis import EmbeddedRedis, binary

OWNER = """
import sys, time
from pathlib import Path
from backend.kernel.embedded_redis import EmbeddedRedis
server = EmbeddedRedis(Path(sys.argv[1]))
print(server.ensure(), flush=True)
time.sleep(60)
"""


def _gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A child of ours that ended is a zombie until reaped; this server is not our child.
        if b"redis-server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return True
        time.sleep(0.05)
    return False


def _start_owner(directory: Path) -> subprocess.Popen[str]:
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(directory)], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    assert owner.stdout.readline().strip().endswith(".sock")
    return owner


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_server_ends_with_its_owner_however_the_owner_ends(tmp_path: Path, how: signal.Signals) -> None:
    owner = _start_owner(tmp_path)
    pid = int((tmp_path / "redis.pid").read_text())
    other = EmbeddedRedis(tmp_path)  # a second process of the checkout uses the same server
    assert other.answers() and other.ensure() == str(tmp_path.resolve() / "redis.sock")
    assert int((tmp_path / "redis.pid").read_text()) == pid and other.process is None
    owner.send_signal(how)
    owner.wait(timeout=10)
    assert _gone(pid), f"redis-server {pid} outlived its owner ({how.name})"


def test_a_server_whose_owner_is_gone_is_replaced(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    # As a crash on a system without parent-death signals would leave it: running, ownerless.
    orphan = subprocess.Popen(
        [binary(), "--port", "0", "--unixsocket", str(server.socket_path), "--pidfile", str(server.pidfile),
         "--dir", str(tmp_path), "--save", "", "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    (tmp_path / "owner.pid").write_text("999999")
    for _ in range(100):
        if server.answers():
            break
        time.sleep(0.02)
    assert server.answers()
    try:
        server.ensure()
        assert orphan.wait(timeout=10) is not None  # stopped
        assert server.process is not None and server.answers()
        assert int((tmp_path / "owner.pid").read_text()) == os.getpid()
    finally:
        server.stop()
        if orphan.poll() is None:
            orphan.kill()


def test_a_process_that_shares_the_server_takes_over_when_the_owner_goes(tmp_path: Path) -> None:
    owner = _start_owner(tmp_path)
    sharing = EmbeddedRedis(tmp_path)
    sharing.ensure()
    assert sharing.process is None  # uses the owner's server
    owner.kill()
    owner.wait(timeout=10)
    try:
        deadline = time.monotonic() + 10
        while not (sharing.process is not None and sharing.answers()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sharing.process is not None and sharing.answers()  # started again, and owned here
        assert int((tmp_path / "owner.pid").read_text()) == os.getpid()
    finally:
        sharing.stop()


def test_a_pid_file_naming_someone_elses_redis_stops_nothing(tmp_path: Path) -> None:
    foreign_dir = tmp_path / "foreign"
    foreign_dir.mkdir()
    foreign = subprocess.Popen(
        [binary(), "--port", "0", "--unixsocket", str(foreign_dir / "r.sock"), "--dir", str(foreign_dir), "--save", ""],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = EmbeddedRedis(tmp_path / "ours")
    try:
        server.directory.mkdir()
        server.pidfile.write_text(str(foreign.pid))
        (server.directory / "owner.pid").write_text("999999")
        server.ensure()
        assert server.answers() and foreign.poll() is None  # ours started, theirs untouched
    finally:
        server.stop()
        foreign.kill()
        foreign.wait()


def test_a_server_that_ends_under_its_owner_is_started_again_with_its_data(tmp_path: Path) -> None:
    import redis

    server = EmbeddedRedis(tmp_path)
    socket_path = server.ensure()
    try:
        redis.Redis(unix_socket_path=socket_path).set("queued", "job")
        time.sleep(1.2)  # the append-only file is written every second
        crashed = server.process
        assert crashed is not None
        crashed.kill()
        crashed.wait(timeout=5)
        deadline = time.monotonic() + 10
        while not (server.process not in (None, crashed) and server.answers()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.answers() and server.process is not crashed
        assert redis.Redis(unix_socket_path=socket_path).get("queued") == b"job"
    finally:
        server.stop()
    time.sleep(1.5)
    assert not server.answers()  # stopped stays stopped
