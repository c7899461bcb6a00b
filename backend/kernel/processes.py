"""Helper processes that end with the process that started them.

A render process or an embedded Redis server must not live on as an orphan when its parent
stops, however it stops (Ctrl-C, SIGTERM, SIGKILL, a crash). On Linux the kernel sends a signal
to a child when its parent dies (PR_SET_PDEATHSIG, kept across exec); elsewhere this is a no-op
and the parent's own shutdown has to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Run in the child (as a process initializer or `preexec_fn`): end with the parent."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    # A parent that died before the line above was never going to send the signal.
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(0)
