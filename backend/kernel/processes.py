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
from collections.abc import Callable
from functools import partial

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int | None = None) -> None:
    """Run in the child (as a process initializer, or as `preexec_fn` with `starter()`): end
    with `parent`, the process that started this one (default: the multiprocessing parent)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if parent is None:
        started_by = multiprocessing.parent_process()
        parent = started_by.pid if started_by is not None else None
    # A parent that died before the line above was never going to send the signal.
    if parent is not None and os.getppid() != parent:
        os._exit(0)


def starter() -> Callable[[], None]:
    """A `preexec_fn` for subprocess: the child ends with the process calling this. (It names
    the caller: a process that multiprocessing started has a parent of its own, which is not
    the new child's.)"""
    return partial(die_with_parent, os.getpid())
