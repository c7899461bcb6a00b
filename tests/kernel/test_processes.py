"""Helper processes end with the process that started them, and start at all from anywhere."""

import multiprocessing
import subprocess
import sys

from backend.kernel.processes import starter


def _run_helper(answers: "multiprocessing.Queue[str]") -> None:
    done = subprocess.run([sys.executable, "-c", "print('läuft')"], capture_output=True, preexec_fn=starter())
    answers.put(done.stdout.decode().strip())


def test_a_process_started_by_multiprocessing_can_start_helpers() -> None:
    # As in each server process of `desk serve --workers 2`, which starts the embedded Redis:
    # its helper was once ended at birth, the server process not being its own parent's child.
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    child = context.Process(target=_run_helper, args=(answers,))
    child.start()
    child.join(60)
    assert answers.get(timeout=5) == "läuft"
