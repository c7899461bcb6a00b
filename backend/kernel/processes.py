"""Helper processes that end with the process that started them.

An embedded Redis server (or a test's) must not live on as an orphan when its parent
stops, however it stops (Ctrl-C, SIGTERM, SIGKILL, a crash). On Linux the kernel sends a signal
to a child when its parent dies (PR_SET_PDEATHSIG, kept across exec); elsewhere this is a no-op
and the parent's own shutdown has to do.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable
from functools import partial

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Run in the child before it executes its program: end with `parent`, the process that
    started this one."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    # A parent that died before the line above was never going to send the signal.
    if os.getppid() != parent:
        os._exit(0)


def starter() -> Callable[[], None]:
    """A `preexec_fn` for subprocess: the child ends with the process calling this (named here,
    before the fork: the child cannot tell which process its parent was meant to be)."""
    return partial(die_with_parent, os.getpid())
